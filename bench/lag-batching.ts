// What gathering targets' lag collections into one sweep saves, on the local Kafka: N groups on
// one topic of 10 partitions, every target evaluated at the same moment (as the scheduler's
// first tick, and every tick of targets with equal intervals, does), once through the daemon's
// plans (batched) and once with one lag collection per target (what a per-object scaler does).
//   node bench/lag-batching.ts [groups]
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { Registry } from 'prom-client';
import { collectionPlan, createCollectorServices, lagTargetOf } from '../src/collectors/registry.ts';
import { parseConfigText } from '../src/config/loader.ts';
import { CollectionRunner } from '../src/engine/collection.ts';
import { requestCountsBetween, totalRequests } from '../src/kafka/admin-port.ts';
import { createLogger } from '../src/logging/logger.ts';
import { ensureService } from '../test/env/environment.ts';
import type { KafkaDetails } from '../test/env/services/kafka.ts';

const groupCount = Number(process.argv[2] ?? 200);
const kafka = await ensureService<KafkaDetails>('kafka');
const topic = `lagpilot-bench-batching-${randomUUID().slice(0, 8)}`;
const groups = Array.from({ length: groupCount }, (_, index) => `${topic}-group-${index}`);
const client = new kafkajs.Kafka({ clientId: 'lagpilot-bench', brokers: [kafka.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
const admin = client.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 10, replicationFactor: 1 }], waitForLeaders: true });
const producer = client.producer();
await producer.connect();
await producer.send({ topic, messages: Array.from({ length: 1000 }, (_, n) => ({ partition: n % 10, value: `m${n}` })) });
await producer.disconnect();
const setupStarted = performance.now();
// kafkajs's setOffsets takes seconds per group (it waits on the coordinator), so in parallel.
for (let start = 0; start < groups.length; start += 50) {
  await Promise.all(
    groups.slice(start, start + 50).map((group) =>
      admin.setOffsets({ groupId: group, topic, partitions: Array.from({ length: 10 }, (_, partition) => ({ partition, offset: '50' })) }),
    ),
  );
}
console.log(`setup: ${groupCount} groups committed in ${(performance.now() - setupStarted).toFixed(0)} ms`);
const parsed = parseConfigText(
  JSON.stringify({
    clusters: [{ name: 'local', bootstrap: [kafka.bootstrap] }],
    targets: groups.map((group, index) => ({
      name: `t${index}`, cluster: 'local', consumerGroup: group, topics: [topic], interval: '15s', tickTimeout: '10s',
      replicas: { max: 10 }, lag: { targetSeconds: 30 }, actuator: { kind: 'dryRun' }, collectors: { kafkaLag: { lagSeconds: 'off' } },
    })),
  }),
  { sourceName: 'bench', environment: {} },
);
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const config = parsed.config;
const services = createCollectorServices(config, { logger: createLogger({ level: 'error' }) });
const port = services.clusters.admin('local');
const runner = new CollectionRunner({ registry: new Registry(), stepTimeoutMillis: 60_000 });
const plans = config.targets.map((target) => collectionPlan(target, services));

async function measure(label: string, evaluate: () => Promise<number>): Promise<void> {
  await evaluate(); // warm: connections, metadata
  const before = port.requestCounts();
  const started = performance.now();
  const lagSeen = await evaluate();
  const elapsed = performance.now() - started;
  const sent = requestCountsBetween(before, port.requestCounts());
  console.log(`${label}: ${groupCount} targets in ${elapsed.toFixed(0)} ms, ${totalRequests(sent)} requests ${JSON.stringify(sent)}, total lag seen ${lagSeen}`);
}

const lagOf = (samples: { name: string; value: number }[]): number => samples.filter((s) => s.name === 'consumergroup_lag_messages').reduce((sum, s) => sum + s.value, 0);
try {
  await measure('batched (daemon plans)', async () => {
    const results = await Promise.all(plans.map((plan) => runner.run(plan, new AbortController().signal)));
    return lagOf(results.flatMap((result) => result.samples));
  });
  await measure('one collection per target', async () => {
    const results = await Promise.all(config.targets.map((target) => services.lag.collect(lagTargetOf(target), { nowMs: Date.now(), signal: new AbortController().signal })));
    return lagOf(results.flatMap((result) => result.samples));
  });
  console.log(`batcher: ${services.lagBatcher.stats.sweeps} sweeps for ${services.lagBatcher.stats.targets} target collections`);
} finally {
  await services.close();
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
}
