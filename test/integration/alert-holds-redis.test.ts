// Raised minimums shared through the real Redis of the local environment: what one replica puts
// in when Alertmanager's webhook reaches it, another replica (the leader) sees; a resolution
// handled by either ends it; lapsed holds are dropped and the hash expires with its longest hold.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { MinimumHolds, RedisHoldStore } from '../../src/engine/minimum-holds.ts';
import { ensureService } from '../env/environment.ts';
import type { RedisDetails } from '../env/services/redis.ts';

describe('alert holds shared through Redis', function () {
  const keyPrefix = `lagpilot-test:holds:${process.pid}:${Date.now()}:`;
  let details: RedisDetails;
  const clients: Redis[] = [];

  async function client(): Promise<Redis> {
    const connection = new Redis(details.url, { keyPrefix, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    await connection.connect();
    clients.push(connection);
    return connection;
  }

  before(async function () {
    details = await ensureService<RedisDetails>('redis');
  });

  after(async function () {
    // The Redis is shared: only this run's keys go, and the server keeps running.
    const cleaner = new Redis(details.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      const keys = await cleaner.keys(`${keyPrefix}*`);
      if (keys.length > 0) await cleaner.del(...keys);
    } finally {
      cleaner.disconnect();
      for (const connection of clients) connection.disconnect();
    }
  });

  it('lets the leader see and end a hold that a follower put in', async function () {
    const now = Date.now();
    const follower = new MinimumHolds({ now: () => now, store: new RedisHoldStore(await client()) });
    const leader = new MinimumHolds({ now: () => now, store: new RedisHoldStore(await client()) });
    await follower.raise('orders', { key: 'lag-floor/abc', minReplicas: 5, untilMillis: now + 60_000, cause: 'alert KafkaLagHigh [abc]' });
    await follower.raise('orders', { key: 'lag-floor/def', minReplicas: 3, untilMillis: now + 120_000, cause: 'alert KafkaLagHigh [def]' });

    const seen = await leader.heldMinimum('orders', now);
    expect(seen?.minReplicas).to.equal(5);
    expect(seen?.holds.map((hold) => hold.key).sort()).to.deep.equal(['lag-floor/abc', 'lag-floor/def']);
    expect(await leader.heldMinimum('payments', now), 'holds are per target').to.equal(undefined);

    const raw = await client();
    const ttl = await raw.pttl('alert-holds:orders');
    expect(ttl, 'the hash expires with its longest hold').to.be.within(60_000, 120_000);

    expect(await leader.release('orders', 'lag-floor/abc')).to.equal(true);
    expect((await follower.heldMinimum('orders', now))?.minReplicas).to.equal(3);
    expect(await follower.release('orders', 'lag-floor/abc'), 'already ended').to.equal(false);
  });

  it('drops lapsed holds from the hash when it reads them', async function () {
    const now = Date.now();
    const holds = new MinimumHolds({ now: () => now, store: new RedisHoldStore(await client()) });
    await holds.raise('billing', { key: 'short', minReplicas: 4, untilMillis: now + 1_000, cause: 'a' });
    await holds.raise('billing', { key: 'long', minReplicas: 2, untilMillis: now + 60_000, cause: 'b' });
    const later = await holds.heldMinimum('billing', now + 1_000);
    expect(later?.holds.map((hold) => hold.key)).to.deep.equal(['long']);
    const raw = await client();
    expect(await raw.hkeys('alert-holds:billing')).to.deep.equal(['long']);
  });
});
