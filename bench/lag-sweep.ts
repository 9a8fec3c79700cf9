// Times full lag sweeps over many consumer groups, and the naive one-group-at-a-time sweep a
// per-object scaler makes, on a single-node Kafka of its own.
//
//   node bench/lag-sweep.ts [--groups 2000] [--topics 200] [--partitions 10] [--sweeps 9]
//
// The cluster, its topics, records and committed offsets stay in <repo>/.lagpilot-env/lag-bench
// between runs, so a second run only starts the brokers (or finds them running) and measures.
// `node bench/lag-sweep.ts --stop` stops them.
import { parseArgs } from 'node:util';
import { KafkaClusterRegistry } from '../src/collectors/kafka-clusters.ts';
import { KafkaLagCollector, type LagTarget, type SweepReport } from '../src/collectors/kafka-lag.ts';
import { totalRequests, type RequestCounts } from '../src/kafka/admin-port.ts';
import { bootstrapOf, ensureBenchCluster, groupName, median, positiveInt, prepareBenchData, stopBenchCluster, topicName } from './lag-bench-cluster.ts';

const { values: args } = parseArgs({
  options: {
    groups: { type: 'string', default: '2000' },
    topics: { type: 'string', default: '200' },
    partitions: { type: 'string', default: '10' },
    sweeps: { type: 'string', default: '9' },
    stop: { type: 'boolean', default: false },
  },
});

function checkSweep(sweep: SweepReport, targets: readonly LagTarget[], partitions: number): void {
  for (const target of targets) {
    const report = sweep.groups.get(target.name);
    if (report === undefined || report.partial || report.partitions.length !== partitions) {
      throw new Error(`sweep of ${target.name} incomplete: ${JSON.stringify(report?.errors ?? 'no report')}`);
    }
  }
}

function formatCounts(counts: RequestCounts): string {
  return Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([api, count]) => `${api} ${String(count)}`).join(', ');
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function main(): Promise<void> {
  if (args.stop) {
    await stopBenchCluster();
    console.log('bench cluster stopped');
    return;
  }
  const groups = positiveInt('groups', args.groups);
  const topics = positiveInt('topics', args.topics);
  const partitions = positiveInt('partitions', args.partitions);
  const sweeps = positiveInt('sweeps', args.sweeps);

  const cluster = await ensureBenchCluster();
  const bootstrap = bootstrapOf(cluster);
  await prepareBenchData(bootstrap, groups, topics, partitions);

  const registry = new KafkaClusterRegistry([{ name: 'bench', bootstrap: bootstrap.split(','), clientId: 'lagpilot-bench' }], { requestTimeoutMs: 30_000 });
  const collector = new KafkaLagCollector(registry, { partitionSamples: false });
  const targets = (lagSeconds: LagTarget['lagSeconds']): LagTarget[] =>
    Array.from({ length: groups }, (_, index) => ({
      name: `target-${String(index)}`,
      cluster: 'bench',
      consumerGroup: groupName(index),
      topics: [topicName(index % topics)],
      offsetReset: 'earliest',
      lagSeconds,
    }));
  const context = (): { nowMs: number; signal: AbortSignal } => ({ nowMs: Date.now(), signal: new AbortController().signal });

  try {
    const results: string[] = [];
    let fullMedianMs = 0;
    for (const mode of ['off', 'exact'] as const) {
      const modeTargets = targets(mode);
      checkSweep(await collector.sweep(modeTargets, context()), modeTargets, partitions); // warm-up: connections, JIT
      const durations: number[] = [];
      let requests: RequestCounts = {};
      for (let sweep = 0; sweep < sweeps; sweep += 1) {
        const report = await collector.sweep(modeTargets, context());
        checkSweep(report, modeTargets, partitions);
        durations.push(report.durationMs);
        requests = report.requests.get('bench') ?? {};
      }
      if (mode === 'off') fullMedianMs = median(durations);
      const memory = process.memoryUsage();
      results.push(`  after the ${mode} sweeps: RSS ${mib(memory.rss)}, heap used ${mib(memory.heapUsed)}, buffers ${mib(memory.arrayBuffers)}`);
      results.splice(results.length - 1, 0,
        `full sweep, lag seconds ${mode}: median ${median(durations).toFixed(0)} ms (min ${Math.min(...durations).toFixed(0)}, max ${Math.max(...durations).toFixed(0)}) over ${String(sweeps)} sweeps; ` +
          `${String(totalRequests(requests))} requests per sweep (${formatCounts(requests)})`,
      );
    }
    const memory = process.memoryUsage();
    const collectGarbage = (globalThis as { gc?: () => void }).gc;
    collectGarbage?.();
    const afterGc = process.memoryUsage();
    results.push(
      `process after the full sweeps: RSS ${mib(memory.rss)}, heap used ${mib(memory.heapUsed)}` +
        (collectGarbage === undefined ? ' (run with node --expose-gc to see what stays after a collection)' : `; after a full GC: RSS ${mib(afterGc.rss)}, heap used ${mib(afterGc.heapUsed)}`),
    );

    // What a per-object scaler does: each group on its own, one after the other.
    const naiveTargets = targets('off');
    const naiveStart = performance.now();
    let naiveRequests = 0;
    for (const target of naiveTargets) {
      const report = await collector.sweep([target], context());
      checkSweep(report, [target], partitions);
      naiveRequests += totalRequests(report.requests.get('bench') ?? {});
    }
    const naiveMs = performance.now() - naiveStart;
    results.push(`naive one-group-at-a-time sweep: ${naiveMs.toFixed(0)} ms, ${String(naiveRequests)} requests; ratio naive/full ${(naiveMs / fullMedianMs).toFixed(1)}x`);

    console.log(`\n${String(groups)} groups over ${String(topics)} topics x ${String(partitions)} partitions (${String(topics * partitions)} partitions, ${String(groups * partitions)} group-partitions), Kafka at ${bootstrap}, node ${process.version}`);
    for (const line of results) console.log(`  ${line}`);
  } finally {
    await collector.close();
    await registry.close();
  }
}

await main();
