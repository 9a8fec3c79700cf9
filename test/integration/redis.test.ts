// The Redis of the local environment keeps its data across a restart through the append-only
// file alone (RDB snapshots are off): after a clean shutdown and after a crash (SIGKILL).
import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensureService } from '../env/environment.ts';
import { isAlive } from '../env/processes.ts';
import { readEnvState } from '../env/state.ts';
import { pingRedis, restartRedis, type RedisDetails } from '../env/services/redis.ts';

function connect(details: RedisDetails): Redis {
  // No retries: a client that silently reconnects would hide a Redis that did not come back.
  return new Redis(details.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
}

async function withClient<T>(details: RedisDetails, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = connect(details);
  await client.connect();
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

describe('redis (local environment)', function () {
  let redis: RedisDetails;
  // Unique per run, so a leftover from an earlier run cannot make the test pass.
  const prefix = `lagpilot-test:restart:${process.pid}:${Date.now()}`;

  before(async function () {
    redis = await ensureService<RedisDetails>('redis');
  });

  after(async function () {
    // Other suites share this Redis: it must be up and recorded whatever happened here.
    const recorded = readEnvState().redis;
    expect(recorded, 'redis is no longer in the env file').to.not.equal(undefined);
    expect(await pingRedis(redis.port), 'the shared redis does not answer PING after the restarts').to.equal(true);
    await withClient(redis, async (client) => {
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length > 0) await client.del(...keys);
    });
  });

  it('answers PING and runs with the append-only file on', async function () {
    await withClient(redis, async (client) => {
      expect(await client.ping()).to.equal('PONG');
      const [, appendonly] = (await client.config('GET', 'appendonly')) as [string, string];
      expect(appendonly).to.equal('yes');
      const [, save] = (await client.config('GET', 'save')) as [string, string];
      expect(save, 'RDB snapshots must be off, or the test would not prove the AOF').to.equal('');
    });
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`keeps strings, hashes, sorted sets and TTLs across a restart by ${signal}`, async function () {
      const keys = {
        string: `${prefix}:${signal}:cooldown`,
        hash: `${prefix}:${signal}:target`,
        sortedSet: `${prefix}:${signal}:decisions`,
        expiring: `${prefix}:${signal}:expiring`,
      };
      await withClient(redis, async (client) => {
        await client.set(keys.string, 'payments-consumer');
        await client.hset(keys.hash, { replicas: '7', lastScaledAt: '2026-11-23T20:00:00Z' });
        await client.zadd(keys.sortedSet, 1, 'scale-up', 2, 'hold', 3, 'scale-down');
        await client.set(keys.expiring, 'x', 'EX', 3600);
      });

      const oldPid = redis.pids[0];
      expect(oldPid).to.be.a('number');
      redis = await restartRedis(redis, { signal });
      const newPid = redis.pids[0];

      expect(newPid, 'restartRedis must start a new process').to.not.equal(oldPid);
      expect(isAlive(oldPid ?? -1), 'the old redis-server is still running').to.equal(false);
      expect(readEnvState().redis?.pids, 'the env file must name the new pid').to.deep.equal([newPid]);

      await withClient(redis, async (client) => {
        expect(await client.get(keys.string)).to.equal('payments-consumer');
        expect(await client.hgetall(keys.hash)).to.deep.equal({ replicas: '7', lastScaledAt: '2026-11-23T20:00:00Z' });
        expect(await client.zrange(keys.sortedSet, 0, -1)).to.deep.equal(['scale-up', 'hold', 'scale-down']);
        const ttl = await client.ttl(keys.expiring);
        expect(ttl).to.be.within(3500, 3600);
      });
    });
  }

  it('keeps the data in append-only files under its data directory', function () {
    // Redis 7 writes a directory of AOF segments; older versions one appendonly.aof file.
    const aofDirectory = join(redis.dataDir, 'appendonlydir');
    const aofFiles = existsSync(aofDirectory) ? readdirSync(aofDirectory) : readdirSync(redis.dataDir);
    expect(aofFiles.some((file) => file.includes('.aof')), `no AOF in ${redis.dataDir}: ${aofFiles.join(', ')}`).to.equal(true);
    expect(readdirSync(redis.dataDir).some((file) => file.endsWith('.rdb')), 'an RDB snapshot was written').to.equal(false);
  });
});
