// `lagpilot explain` against the real Redis of the local environment: decisions journaled by one
// store are printed from the journal by a separate connection, through the config's redis
// section and key prefix.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensureService } from '../env/environment.ts';
import type { RedisDetails } from '../env/services/redis.ts';
import { defaultEngineConfig } from '../../src/policies/config.ts';
import { decide, emptyHistory } from '../../src/policies/engine.ts';
import { testSignals } from '../../src/policies/test-signals.ts';
import { runExplain } from '../../src/state/explain-command.ts';
import { RedisStateStore } from '../../src/state/redis-store.ts';

describe('lagpilot explain (local Redis)', function () {
  const keyPrefix = `lagpilot-test:explain:${process.pid}:${Date.now()}:`;
  let redis: RedisDetails;
  let configPath: string;

  before(async function () {
    redis = await ensureService<RedisDetails>('redis');
    configPath = join(mkdtempSync(join(tmpdir(), 'lagpilot-explain-')), 'lagpilot.yaml');
    writeFileSync(configPath, [
      'clusters:',
      '  - name: local',
      '    bootstrap: ["127.0.0.1:9092"]',
      'redis:',
      `  url: ${redis.url}`,
      `  keyPrefix: "${keyPrefix}"`,
      'targets:',
      '  - name: orders',
      '    cluster: local',
      '    consumerGroup: orders-consumers',
      '    topics: [orders]',
      '    replicas: {min: 1, max: 24}',
      '    lag: {targetSeconds: 30}',
      '    actuator: {kind: dryRun}',
    ].join('\n'));
  });

  after(async function () {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      const keys = await client.keys(`${keyPrefix}*`);
      if (keys.length > 0) await client.del(...keys);
    } finally {
      client.disconnect();
    }
  });

  it('prints the journaled decisions with their reasons', async function () {
    const signals = testSignals({ currentReplicas: 2, readyReplicas: 2, produceRate: 9000, consumeRate: 2000, backlogMessages: 105_000, lagSeconds: 15 });
    const decision = decide(defaultEngineConfig(), signals, emptyHistory).decision;
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await client.connect();
    const store = new RedisStateStore(client, { keyPrefix, ownsClient: true });
    await store.appendDecision('orders', decision);
    await store.close();

    let output = '';
    await runExplain({ config: configPath, target: 'orders', count: '5' }, (text) => { output += text; });
    expect(output).to.include('scale up 2 → 24').and.to.include('HighestRecommendation').and.to.include('EvenDistribution');

    let json = '';
    await runExplain({ config: configPath, target: 'orders', count: '5', json: true }, (text) => { json += text; });
    expect(JSON.parse(json)).to.deep.equal(decision);
  });

  it('names a target the config does not have', async function () {
    let failure: unknown;
    try {
      await runExplain({ config: configPath, target: 'payments', count: '5' }, () => undefined);
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.match(/has no target "payments"/);
  });
});
