// `redis`: the shared state (cooldowns, recommendation history, decision journal).
import { z } from 'zod';
import { duration } from './common.ts';

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
    // 2 s: a healthy Redis answers lagpilot's small reads, writes and scripts in well under a
    // millisecond, and even a fork for a snapshot stalls it for a few hundred; an answer later
    // than that means Redis stopped answering (a frozen process keeps the connection open, so
    // nothing else notices). It is well below the defaults of the leader election's
    // renewDeadline and of tickTimeout (10s each), so a hung call fails with time left to retry.
    commandTimeout: duration('Time limit of one Redis command; a command not answered by then fails with an error that names it, instead of waiting while Redis does not answer.', '2s'),
  })
  .superRefine((section, context) => {
    if (section.commandTimeout <= 0) {
      context.addIssue({ code: 'custom', path: ['commandTimeout'], message: 'must be longer than 0s, or a command could wait for ever on a Redis that stopped answering' });
    }
  })
  .describe('Redis for state shared between replicas and restarts. Omit to keep state in memory.');

export type RedisConfig = z.output<typeof redisSchema>;
