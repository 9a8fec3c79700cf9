// `redis`: the shared state (cooldowns, recommendation history, decision journal).
import { z } from 'zod';

export const redisSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
      .describe('redis://[user:password@]host:port[/db]; rediss:// for TLS. Use ${ENV_VAR} for the password.'),
    keyPrefix: z
      .string()
      .min(1)
      .default('lagpilot:')
      .describe('Prefix of every key lagpilot writes, so several deployments can share one Redis.'),
  })
  .describe('Redis for state shared between replicas and restarts. Omit to keep state in memory.');

export type RedisConfig = z.output<typeof redisSchema>;
