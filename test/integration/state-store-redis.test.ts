// The state-store conformance suite against the real Redis of the local environment: cooldowns
// taken atomically by concurrent replicas, history and journal found again by a new connection
// (another lagpilot replica, or lagpilot after a restart).
import { Redis } from 'ioredis';
import { ensureService } from '../env/environment.ts';
import type { RedisDetails } from '../env/services/redis.ts';
import { RedisStateStore } from '../../src/state/redis-store.ts';
import { stateStoreConformance } from '../../src/state/store-conformance.ts';

const journalLength = 5;
let redis: RedisDetails | undefined;
const keyPrefix = `lagpilot-test:state:${process.pid}:${Date.now()}:`;

describe('state store on the local Redis', function () {
  before(async function () {
    redis = await ensureService<RedisDetails>('redis');
  });

  after(async function () {
    // The Redis is shared with other suites: take away this run's keys, leave the server running.
    if (redis === undefined) return;
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      const keys = await client.keys(`${keyPrefix}*`);
      if (keys.length > 0) await client.del(...keys);
    } finally {
      client.disconnect();
    }
  });

  stateStoreConformance('redis', () => ({
    async openStore() {
      if (redis === undefined) throw new Error('redis was not started by ensureService');
      // No retries: a store whose Redis is gone must fail, not wait.
      const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
      await client.connect();
      return new RedisStateStore(client, { keyPrefix, journalLength, ownsClient: true });
    },
    sleep: (millis) => new Promise((resolve) => setTimeout(resolve, millis)),
  }), journalLength);
});
