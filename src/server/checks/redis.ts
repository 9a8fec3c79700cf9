// Readiness of Redis: a PING through the daemon's own client, so the check fails exactly when
// the client cannot reach Redis.
import type { Redis } from 'ioredis';
import type { ReadinessCheck } from '../readiness.ts';

export function redisCheck(client: Redis, timeoutMillis?: number): ReadinessCheck {
  const check: ReadinessCheck = {
    name: 'redis',
    check: async () => {
      // With the offline queue off, ioredis would only say "Stream isn't writeable".
      if (client.status !== 'ready') throw new Error(`not connected (client ${client.status})`);
      // ioredis types the answer as "PONG"; what matters is that Redis answered at all.
      await client.ping();
    },
  };
  if (timeoutMillis !== undefined) check.timeoutMillis = timeoutMillis;
  return check;
}
