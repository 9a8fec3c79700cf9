// The state-store conformance suite against the real Redis of the local environment: cooldowns
// taken atomically by concurrent replicas, history and journal found again by a new connection
// (another lagpilot replica, or lagpilot after a restart).
import { expect } from 'chai';
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

  it('reports a journal it cannot decode for its target alone when it reads many together, in one pipeline', async function () {
    if (redis === undefined) throw new Error('redis was not started by ensureService');
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    await client.connect();
    const store = new RedisStateStore(client, { keyPrefix, journalLength, ownsClient: true });
    try {
      const decision = { time: 10, current: 2, desired: 3, action: 'scaleUp' as const, reasons: [], recommendations: [] };
      await store.appendDecision('batch-healthy', decision);
      await store.appendDecision('batch-garbled', { ...decision, time: 11 });
      await client.xadd(`${keyPrefix}journal:{batch-garbled}`, '*', 'decision', '{not json');
      await client.xadd(`${keyPrefix}journal:{batch-fieldless}`, '*', 'note', 'no decision here');
      await client.set(`${keyPrefix}journal:{batch-wrongtype}`, 'a string, not a stream');

      const pipelines: number[] = [];
      const pipeline = client.pipeline.bind(client);
      client.pipeline = (...args: Parameters<Redis['pipeline']>) => {
        pipelines.push(1);
        return pipeline(...args);
      };
      const reads = await store.recentDecisionsOfTargets(['batch-healthy', 'batch-garbled', 'batch-fieldless', 'batch-wrongtype', 'batch-never'], 5);
      expect(pipelines, 'one pipeline for every target').to.have.length(1);
      expect(reads.get('batch-healthy')).to.deep.equal({ ok: true, decisions: [decision] });
      expect(reads.get('batch-never')).to.deep.equal({ ok: true, decisions: [] });
      const failure = (target: string): string => {
        const read = reads.get(target);
        return read?.ok === false ? read.error.message : `no failure: ${JSON.stringify(read)}`;
      };
      expect(failure('batch-garbled')).to.match(/JSON/);
      expect(failure('batch-fieldless')).to.match(/^journal entry \d+-\d+ of batch-fieldless has no decision field$/);
      expect(failure('batch-wrongtype')).to.match(/^WRONGTYPE/);
    } finally {
      await store.close();
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
