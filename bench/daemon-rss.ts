// The memory of the real daemon at 2,000 consumer groups: `lagpilot run` as a process of its
// own, its config a target per group (all on the bench cluster of bench/lag-sweep.ts), sweeping
// until several rounds are done, with /proc/PID/status sampled every second.
//
//   node bench/daemon-rss.ts [--variant NAME]... [--groups 2000] [--topics 200] [--partitions 10]
//                            [--rounds 6] [--interval 10] [--partition-metrics]
//                            [--mode targets|monitor] [--lag-seconds exact|estimated|none]
//   node bench/daemon-rss.ts --write-config FILE   only writes the daemon's config (for profiling by hand)
//
// Variants: `src` (the TypeScript sources, type-stripped at start), `bundle` (dist/lagpilot.mjs,
// rebuilt first), `bundle-tuned` (the bundle with the V8 flags bin/lagpilot.js and the image
// use), or `bundle:FLAG,FLAG` / `src:FLAG,FLAG` for other Node flags. By default all three.
// For each: RSS right after the start, median and peak RSS over the measured rounds (VmRSS,
// VmHWM), V8's heap and external memory from the daemon's own /metrics, and the sweep time of
// each round (the kafka-lag collector's time per target, from /metrics).
//
// --mode monitor watches the same groups through one `monitor` entry (groupPattern matching all
// of them) instead of a target each: what replacing kafka-lag-exporter costs. Its sweep time is
// the group monitor's own (lagpilot_collector_duration_seconds{collector="group-monitor"}), and
// a round counts only when the entry watched every group without an error.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { daemonNodeFlags } from '../bin/daemon-node-flags.js';
import { buildBundle } from '../scripts/build.ts';
import { repoRoot } from '../test/env/paths.ts';
import { sampleSum, sampleValue, startDaemon, type DaemonProcess } from '../test/integration/daemon-process.ts';
import { bootstrapOf, ensureBenchCluster, groupName, median, positiveInt, prepareBenchData, topicName } from './lag-bench-cluster.ts';

const { values: args } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true },
    groups: { type: 'string', default: '2000' },
    topics: { type: 'string', default: '200' },
    partitions: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '6' },
    interval: { type: 'string', default: '10' },
    'partition-metrics': { type: 'boolean', default: false },
    'write-config': { type: 'string' },
    mode: { type: 'string', default: 'targets' },
    'lag-seconds': { type: 'string', default: 'exact' },
  },
});

interface Variant {
  name: string;
  entry: 'src' | 'bundle';
  nodeFlags: string[];
}

interface RoundSweep {
  /** Mean time the targets of the round waited for their lag (one shared sweep), in ms. */
  sweepMs: number;
  targets: number;
  errors: number;
}

interface VariantResult {
  variant: Variant;
  startRssKiB: number;
  medianRssKiB: number;
  peakRssKiB: number;
  sweeps: RoundSweep[];
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  metricsBytes: number;
}

const bundlePath = join(repoRoot, 'dist', 'lagpilot.mjs');

function parseVariant(text: string): Variant {
  if (text === 'src' || text === 'bundle') return { name: text, entry: text, nodeFlags: [] };
  if (text === 'bundle-tuned') return { name: text, entry: 'bundle', nodeFlags: [...daemonNodeFlags] };
  const [entry, flags] = text.split(':', 2);
  if ((entry === 'src' || entry === 'bundle') && flags !== undefined) {
    return { name: text, entry, nodeFlags: flags.split(',').filter((flag) => flag !== '') };
  }
  throw new Error(`--variant "${text}": use src, bundle, bundle-tuned, or bundle:FLAG,FLAG / src:FLAG,FLAG`);
}

/** VmRSS and VmHWM of the daemon, in KiB; throws with the daemon's last output if it has ended. */
function memoryOf(daemon: DaemonProcess): { rssKiB: number; peakKiB: number } {
  const pid = daemon.pid;
  let status: string;
  try {
    status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  } catch {
    throw new Error(`the daemon (pid ${String(pid)}) ended while measured; its stderr:\n${daemon.stderr().trimEnd().split('\n').slice(-15).join('\n')}`);
  }
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (match?.[1] === undefined) throw new Error(`/proc/${String(pid)}/status has no ${name}`);
    return Number(match[1]);
  };
  return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
}

type Mode = 'targets' | 'monitor';

function parseMode(text: string): Mode {
  if (text === 'targets' || text === 'monitor') return text;
  throw new Error(`--mode "${text}": use targets or monitor`);
}

/** lagSeconds of a target's lagCollection for the monitor's mode names. */
const targetLagSeconds: Readonly<Record<string, string>> = { exact: 'exact', estimated: 'estimated', none: 'off' };

function monitorConfig(bootstrap: string, intervalSeconds: number, partitionMetrics: boolean, lagSeconds: string): Record<string, unknown> {
  return {
    server: { partitionMetrics },
    log: { level: 'info' },
    clusters: [{ name: 'bench', bootstrap: bootstrap.split(','), clientId: 'lagpilot-rss-bench' }],
    monitor: [{ name: 'all', cluster: 'bench', groupPattern: 'lagbench-g\\d+', interval: `${String(intervalSeconds)}s`, lagSeconds, partitionSeries: partitionMetrics }],
  };
}

function daemonConfig(bootstrap: string, groups: number, topics: number, intervalSeconds: number, partitionMetrics: boolean, lagSeconds: string): Record<string, unknown> {
  return {
    server: { partitionMetrics },
    log: { level: 'info' },
    clusters: [{ name: 'bench', bootstrap: bootstrap.split(','), clientId: 'lagpilot-rss-bench' }],
    targets: Array.from({ length: groups }, (_, index) => ({
      name: `target-${String(index)}`,
      cluster: 'bench',
      consumerGroup: groupName(index),
      topics: [topicName(index % topics)],
      interval: `${String(intervalSeconds)}s`,
      tickTimeout: `${String(intervalSeconds)}s`,
      replicas: { min: 1, max: 10 },
      lag: { targetMessagesPerReplica: 5 },
      lagCollection: { lagSeconds: targetLagSeconds[lagSeconds] ?? lagSeconds },
      actuator: { kind: 'dryRun' },
    })),
  };
}

const lagCollector = '{collector="kafka-lag"}';
const monitorCollector = '{collector="group-monitor"}';

/** /metrics, allowed longer than the test helper allows: at 2,000 targets on a busy machine it can take seconds. */
async function scrape(daemon: DaemonProcess): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${daemon.url}/metrics`, { signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    const stderrTail = daemon.stderr().trimEnd().split('\n').slice(-15).join('\n');
    throw new Error(`GET ${daemon.url}/metrics failed (${error instanceof Error ? error.message : String(error)}${cause}); daemon stderr:\n${stderrTail}`, { cause: error });
  }
  if (!response.ok) throw new Error(`GET ${daemon.url}/metrics answered ${String(response.status)}`);
  return response.text();
}

async function measure(variant: Variant, config: Record<string, unknown>, mode: Mode, groups: number, rounds: number, intervalSeconds: number): Promise<VariantResult> {
  const collector = mode === 'monitor' ? monitorCollector : lagCollector;
  const entryFile = variant.entry === 'bundle' ? bundlePath : join(repoRoot, 'src', 'cli.ts');
  const daemon: DaemonProcess = await startDaemon({ config, entryArgs: [...variant.nodeFlags, entryFile], startTimeoutMs: 60_000 });
  try {
    const startRssKiB = memoryOf(daemon).rssKiB;
    const rssSamples: number[] = [];
    const sweeps: RoundSweep[] = [];
    let previous = { sum: 0, count: 0, errors: 0 };
    let lastMetrics = '';
    // The first round connects and fills the caches; the rounds after it are measured.
    const endAt = Date.now() + (rounds + 1) * intervalSeconds * 1000 + intervalSeconds * 500;
    let nextScrapeAt = Date.now() + intervalSeconds * 1000 + intervalSeconds * 500;
    while (Date.now() < endAt) {
      await sleep(1000);
      const { rssKiB } = memoryOf(daemon);
      if (sweeps.length > 0 || previous.count > 0) rssSamples.push(rssKiB);
      if (Date.now() < nextScrapeAt) continue;
      nextScrapeAt += intervalSeconds * 1000;
      // Scraped once per round, half an interval after the rounds start, as Prometheus would.
      lastMetrics = await scrape(daemon);
      const now = {
        sum: sampleValue(lastMetrics, `lagpilot_collector_duration_seconds_sum${collector}`) ?? 0,
        count: sampleValue(lastMetrics, `lagpilot_collector_duration_seconds_count${collector}`) ?? 0,
        errors: sampleSum(lastMetrics, 'lagpilot_collector_errors_total'),
      };
      const evaluations = now.count - previous.count;
      if (previous.count > 0 && evaluations > 0) {
        // A target round is one evaluation per target; a monitor round one sweep of all its groups.
        const targets = mode === 'monitor' ? (sampleValue(lastMetrics, 'lagpilot_monitor_groups{monitor="all",cluster="bench"}') ?? 0) : evaluations;
        const stale = mode === 'monitor' ? (sampleValue(lastMetrics, 'lagpilot_monitor_stale{monitor="all",cluster="bench"}') ?? 1) : 0;
        sweeps.push({ sweepMs: ((now.sum - previous.sum) / evaluations) * 1000, targets, errors: now.errors - previous.errors + stale });
      }
      previous = now;
    }
    if (sweeps.length === 0) throw new Error(`no complete round within ${String((rounds + 1) * intervalSeconds)} s; daemon stderr:\n${daemon.stderr()}`);
    const incomplete = sweeps.filter((sweep) => sweep.targets !== groups || sweep.errors > 0);
    if (incomplete.length > 0) {
      const errorLines = daemon.logLines.filter((line) => line.level === 'warn' || line.level === 'error').slice(-5).map((line) => JSON.stringify(line));
      throw new Error(`rounds that did not read every group without errors: ${JSON.stringify(incomplete)}\n${errorLines.join('\n')}`);
    }
    return {
      variant,
      startRssKiB,
      medianRssKiB: median(rssSamples),
      peakRssKiB: memoryOf(daemon).peakKiB,
      sweeps,
      heapUsedBytes: sampleValue(lastMetrics, 'nodejs_heap_size_used_bytes') ?? Number.NaN,
      heapTotalBytes: sampleValue(lastMetrics, 'nodejs_heap_size_total_bytes') ?? Number.NaN,
      externalBytes: sampleValue(lastMetrics, 'nodejs_external_memory_bytes') ?? Number.NaN,
      metricsBytes: Buffer.byteLength(lastMetrics),
    };
  } finally {
    const exit = await daemon.stop();
    if (exit.code !== 0) console.error(`${variant.name}: the daemon did not stop cleanly (${JSON.stringify(exit)})`);
  }
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
const mibOfBytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const groups = positiveInt('groups', args.groups);
  const topics = positiveInt('topics', args.topics);
  const partitions = positiveInt('partitions', args.partitions);
  const rounds = positiveInt('rounds', args.rounds);
  const intervalSeconds = positiveInt('interval', args.interval);
  const variants = (args.variant ?? ['src', 'bundle', 'bundle-tuned']).map(parseVariant);
  const mode = parseMode(args.mode);
  const lagSeconds = args['lag-seconds'];
  if (!(lagSeconds in targetLagSeconds)) throw new Error(`--lag-seconds "${lagSeconds}": use exact, estimated or none`);

  const cluster = await ensureBenchCluster();
  const bootstrap = bootstrapOf(cluster);
  await prepareBenchData(bootstrap, groups, topics, partitions);
  const config = mode === 'monitor'
    ? monitorConfig(bootstrap, intervalSeconds, args['partition-metrics'], lagSeconds)
    : daemonConfig(bootstrap, groups, topics, intervalSeconds, args['partition-metrics'], lagSeconds);
  if (args['write-config'] !== undefined) {
    writeFileSync(args['write-config'], stringify({ ...config, server: { ...(config.server as object), host: '127.0.0.1', port: 0 } }));
    console.log(`wrote ${args['write-config']}: ${mode === 'monitor' ? 'one monitor entry for' : ''} ${String(groups)} ${mode === 'monitor' ? 'groups' : 'targets'} on the bench cluster at ${bootstrap}`);
    return;
  }
  if (variants.some((variant) => variant.entry === 'bundle')) {
    const built = await buildBundle();
    console.log(`built ${built.bundlePath} (${mibOfBytes(built.entryBytes)}; ${mibOfBytes(built.totalBytes)} with its chunks) in ${(built.millis / 1000).toFixed(1)} s`);
  }

  const results: VariantResult[] = [];
  const failures: string[] = [];
  for (const variant of variants) {
    console.log(`measuring ${variant.name} (node ${[...variant.nodeFlags, variant.entry].join(' ')}) over ${String(rounds)} rounds of ${String(intervalSeconds)} s...`);
    try {
      const result = await measure(variant, config, mode, groups, rounds, intervalSeconds);
      results.push(result);
      console.log(`  sweeps: ${result.sweeps.map((sweep) => sweep.sweepMs.toFixed(0)).join(', ')} ms`);
    } catch (error) {
      // One variant failing (a heap limit too small ends the daemon) leaves the others measured.
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${variant.name}: ${message.split('\n').find((line) => line.includes('FATAL ERROR')) ?? message}`);
      console.log(`  failed: ${message}`);
    }
  }

  const watching = mode === 'monitor' ? `${String(groups)} groups watched by one monitor entry` : `${String(groups)} targets (one group each)`;
  console.log(`\n${watching}, lag seconds ${lagSeconds}, over ${String(topics)} topics x ${String(partitions)} partitions, interval ${String(intervalSeconds)} s, ` +
    `partition metrics ${args['partition-metrics'] ? 'on' : 'off'}, Kafka at ${bootstrap}, node ${process.version}`);
  console.log('| variant | Node flags | RSS at start | median RSS | peak RSS (VmHWM) | heap used / total | external | median sweep (min–max) | /metrics size |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const result of results) {
    const sweepMs = result.sweeps.map((sweep) => sweep.sweepMs);
    console.log(`| ${result.variant.entry} | ${result.variant.nodeFlags.join(' ') || '(none)'} | ${mib(result.startRssKiB)} | **${mib(result.medianRssKiB)}** | ${mib(result.peakRssKiB)} | ` +
      `${mibOfBytes(result.heapUsedBytes)} / ${mibOfBytes(result.heapTotalBytes)} | ${mibOfBytes(result.externalBytes)} | ` +
      `${median(sweepMs).toFixed(0)} ms (${Math.min(...sweepMs).toFixed(0)}–${Math.max(...sweepMs).toFixed(0)}) | ${mibOfBytes(result.metricsBytes)} |`);
  }
  for (const failure of failures) console.log(`failed: ${failure}`);
  if (failures.length > 0) process.exitCode = 1;
}

await main();
