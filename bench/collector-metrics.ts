// How the collection plumbing scales with the number of targets: the runner's own cost per
// target evaluation (collectors that answer at once, so only the runner is measured), and a
// /metrics scrape of the last collections of many groups with and without per-partition series.
//   node bench/collector-metrics.ts [groups] [partitionsPerGroup]
import { Registry } from 'prom-client';
import type { Sample } from '../src/collectors/collector.ts';
import { CollectionRunner, LastCollections, type CollectionPlan } from '../src/engine/collection.ts';
import { registerCollectorMetrics } from '../src/server/collector-metrics.ts';

const groups = Number(process.argv[2] ?? 2000);
const partitionsPerGroup = Number(process.argv[3] ?? 10);
const nowMs = Date.now();

function groupSamples(index: number): Sample[] {
  const base = { target: `target-${index}`, cluster: 'main', group: `group-${index}` };
  const topic = `topic-${index % 200}`;
  const sample = (name: string, value: number, labels: Record<string, string>): Sample => ({ name, value, unit: 'messages', labels, timestampMs: nowMs, source: 'bench' });
  const samples = [
    sample('consumergroup_lag_messages', index * 10, base),
    sample('consumergroup_lag_seconds', index / 10, base),
    sample('consumergroup_members', 3, base),
    sample('consumergroup_status', 1, { ...base, status: 'OK' }),
    sample('consumergroup_consume_rate', 100, { cluster: 'main', group: base.group }),
    sample('topic_produce_rate', 100, { cluster: 'main', topic }),
  ];
  for (let partition = 0; partition < partitionsPerGroup; partition += 1) {
    const labels = { ...base, topic, partition: String(partition) };
    samples.push(
      sample('consumergroup_partition_lag_messages', index + partition, labels),
      sample('consumergroup_partition_lag_seconds', partition, labels),
      sample('consumergroup_partition_committed_offset', 1000 + partition, labels),
      sample('partition_log_end_offset', 2000 + partition, { cluster: 'main', topic, partition: String(partition) }),
    );
  }
  return samples;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function measureRunner(): Promise<void> {
  const registry = new Registry();
  const runner = new CollectionRunner({ registry, stepTimeoutMillis: 10_000 });
  const plans: CollectionPlan[] = Array.from({ length: groups }, (_, index) => ({
    target: `target-${index}`,
    readers: [
      { source: 'kafka-lag', collect: () => Promise.resolve({ samples: groupSamples(index), errors: [], partial: false }) },
      { source: 'prometheus', collect: () => Promise.resolve({ samples: [], errors: [{ code: 'QUERY_FAILED' as const, source: 'prometheus', message: 'x' }], partial: true }) },
    ],
    derivations: [{ source: 'throughput', derive: () => Promise.resolve({ samples: [], errors: [], partial: false }) }],
  }));
  const rounds: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    const started = performance.now();
    // Each evaluation has its own signal, as the scheduler gives each tick.
    await Promise.all(plans.map((plan) => runner.run(plan, new AbortController().signal)));
    rounds.push(performance.now() - started);
  }
  console.log(`runner: ${groups} target evaluations (3 steps each) in ${median(rounds).toFixed(1)} ms (median of 5), ${((median(rounds) * 1000) / groups).toFixed(1)} µs per target`);
}

async function measureScrape(partitionSeries: boolean): Promise<void> {
  const registry = new Registry();
  const collections = new LastCollections();
  const exposition = registerCollectorMetrics({ registry, collections, partitionSeries });
  for (let index = 0; index < groups; index += 1) {
    collections.record({ target: `target-${index}`, samples: groupSamples(index), errors: [], partial: false, collectedAtMs: nowMs, durationSeconds: 0.01 });
  }
  const times: number[] = [];
  let text = '';
  for (let round = 0; round < 5; round += 1) {
    // A new collection between scrapes, as in the daemon, so the sample index is rebuilt each time.
    collections.record({ target: 'target-0', samples: groupSamples(0), errors: [], partial: false, collectedAtMs: nowMs, durationSeconds: 0.01 });
    const started = performance.now();
    // What /metrics serves: the registry's text, then the sample-fed families.
    text = `${await registry.metrics()}\n${exposition.text()}`;
    times.push(performance.now() - started);
  }
  const series = text.split('\n').filter((line) => line.startsWith('lagpilot_')).length;
  console.log(
    `scrape (partition series ${partitionSeries ? 'on' : 'off'}): ${series} series, ${(text.length / 1024 / 1024).toFixed(1)} MiB, ${median(times).toFixed(0)} ms (median of 5), heap ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MiB`,
  );
}

console.log(`${groups} groups x ${partitionsPerGroup} partitions, Node ${process.version}`);
await measureRunner();
await measureScrape(false);
await measureScrape(true);
