// Learned capacities survive a restart: a tracker built on a new connection reads what an
// earlier one learned from Redis.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { CapacityTracker } from '../../src/collectors/capacity.ts';
import type { Sample } from '../../src/collectors/collector.ts';
import { RedisCapacityStore } from '../../src/state/redis-capacity-store.ts';
import { ensureService } from '../env/environment.ts';
import type { RedisDetails } from '../env/services/redis.ts';

const keyPrefix = `lagpilot-test:capacity:${process.pid}:${Date.now()}:`;

function sample(name: string, value: number, timestampMs: number): Sample {
  return { name, value, unit: 'count', labels: { target: 'orders' }, timestampMs, source: 'test' };
}

describe('Redis capacity store', function () {
  let redis: RedisDetails;

  before(async function () {
    redis = await ensureService<RedisDetails>('redis');
  });

  after(async function () {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    try {
      const keys = await client.keys(`${keyPrefix}*`);
      if (keys.length > 0) await client.del(...keys);
    } finally {
      await client.quit();
    }
  });

  function openStore(): RedisCapacityStore {
    return new RedisCapacityStore(new Redis(redis.url, { maxRetriesPerRequest: 0 }), { keyPrefix, ownsClient: true });
  }

  it('keeps what a tracker learned for the next process, with an expiry', async () => {
    const t0 = Date.now() - 60_000;
    const first = openStore();
    try {
      const tracker = new CapacityTracker(first);
      await tracker.observe({ target: 'orders' }, [sample('consumergroup_lag_messages', 500, t0), sample('consumergroup_members', 2, t0)], t0);
      const update = await tracker.observe(
        { target: 'orders' },
        [
          sample('consumergroup_lag_messages', 600, t0 + 30_000),
          sample('consumergroup_members', 2, t0 + 30_000),
          sample('consumergroup_consume_rate', 180, t0 + 30_000),
          sample('consumergroup_consume_rate_window_seconds', 30, t0 + 30_000),
        ],
        t0 + 30_000,
      );
      expect(update.storeError).to.be.undefined;
    } finally {
      await first.close();
    }

    const second = openStore();
    try {
      expect(await second.load('orders')).to.deep.equal({ perReplica: 90, measurements: 1, updatedAtMs: t0 + 30_000 });
      expect(await second.load('unknown-target')).to.be.null;
      const update = await new CapacityTracker(second).observe({ target: 'orders' }, [], t0 + 60_000);
      expect(update.samples.find((s) => s.name === 'consumer_capacity')?.value).to.equal(90);
    } finally {
      await second.close();
    }
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    try {
      const ttl = await client.ttl(`${keyPrefix}capacity:orders`);
      expect(ttl).to.be.greaterThan(29 * 24 * 3600);
    } finally {
      await client.quit();
    }
  });
});
