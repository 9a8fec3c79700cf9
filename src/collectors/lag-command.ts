// `lagpilot lag`: one look (or a few, for the status window) at the lag of a config's targets,
// printed like `kafka-consumer-groups --describe` with the log start, lag in seconds, flags and
// the consumer status added; or as JSON. Exit 0 when every target was read completely, 1 when
// some data is missing (the errors say what), 2 for an invalid config.
// The Kafka and Redis clients are imported when the command runs, so `lagpilot --help` stays quick.
import type { Command } from 'commander';
import type { LagpilotConfig, TargetConfig } from '../config/schema.ts';
import { parseDurationMillis } from '../util/duration.ts';
import type { GroupReport, LagTarget } from './kafka-lag.ts';
import type { OffsetHistoryStore } from './lag-seconds.ts';

interface LagOptions {
  config: string;
  target?: string;
  json?: boolean;
  samples: string;
  every: string;
}

export function lagTargetOf(target: TargetConfig): LagTarget {
  return {
    name: target.name,
    cluster: target.cluster,
    consumerGroup: target.consumerGroup,
    ...(target.topics === undefined ? {} : { topics: target.topics }),
    ...(target.topicPattern === undefined ? {} : { topicPattern: target.topicPattern }),
    offsetReset: target.lagCollection.offsetReset,
    lagSeconds: target.lagCollection.lagSeconds,
  };
}

function text(value: bigint | number | string | null): string {
  if (value === null) return '-';
  return String(value);
}

function seconds(value: number | null): string {
  return value === null ? '-' : value.toFixed(1);
}

/** Columns padded to their widest cell, as Kafka's tool prints them. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatGroupReport(report: GroupReport): string {
  const kind = report.groupType === null ? '' : `, ${report.groupType}`;
  const heading = [
    `Target ${report.target}: group ${report.group} on cluster ${report.cluster} (state ${report.state ?? 'unknown'}${kind}, ${String(report.members.length)} member(s))`,
    `  lag ${text(report.totalLag)} message(s)${report.partial ? ' (partial)' : ''}, oldest unconsumed ${seconds(report.maxLagSeconds)} s, status ${report.status.status}: ${report.status.reason}`,
    ...report.errors.map((error) => `  error ${error.code}: ${error.message}`),
  ];
  if (report.partitions.length === 0) return heading.join('\n');
  const header = ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-START-OFFSET', 'LOG-END-OFFSET', 'LAG', 'LAG-SECONDS', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', 'FLAGS'];
  const rows = report.partitions.map((p) => [
    report.group,
    p.topic,
    String(p.partition),
    text(p.committedOffset),
    text(p.logStartOffset),
    text(p.logEndOffset),
    text(p.lag),
    seconds(p.lagSeconds),
    p.consumer?.memberId ?? '-',
    p.consumer?.host ?? '-',
    p.consumer?.clientId ?? '-',
    p.flags.length === 0 ? '-' : p.flags.join(','),
  ]);
  return `${heading.join('\n')}\n\n${table(header, rows)}`;
}

/** The report as plain JSON: offsets as numbers (Kafka offsets stay far below 2^53). */
export function groupReportJson(report: GroupReport): unknown {
  return JSON.parse(JSON.stringify(report, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value))) as unknown;
}

/** The estimated mode reads the histories the daemon keeps in Redis; without Redis it has none yet. */
async function historyStoreFor(config: LagpilotConfig): Promise<OffsetHistoryStore | undefined> {
  if (config.redis === undefined || !config.targets.some((target) => target.lagCollection.lagSeconds === 'estimated')) return undefined;
  // Through `default` (module.exports): in the esbuild bundle a dynamic import of this CommonJS
  // package yields only `default`, where Node also gives named exports; module.exports has Redis.
  const { Redis } = (await import('ioredis')).default;
  const { RedisOffsetHistoryStore } = await import('./redis-offset-history.ts');
  const client = new Redis(config.redis.url, { keyPrefix: config.redis.keyPrefix, maxRetriesPerRequest: 1 });
  return new RedisOffsetHistoryStore(client, { ownsClient: true });
}

async function runLag(options: LagOptions): Promise<number> {
  const { loadConfigFile } = await import('../config/loader.ts');
  const loaded = await loadConfigFile(options.config);
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${problem}\n`);
    return 2;
  }
  const { config } = loaded;
  const names = config.targets.map((target) => target.name);
  const chosen = options.target === undefined ? config.targets : config.targets.filter((target) => target.name === options.target);
  if (chosen.length === 0) {
    process.stderr.write(options.target === undefined ? `${options.config} defines no target\n` : `no target "${options.target}" in ${options.config} (targets: ${names.join(', ') || 'none'})\n`);
    return 2;
  }
  const samples = Number(options.samples);
  if (!Number.isInteger(samples) || samples < 1) {
    process.stderr.write(`--samples must be a whole number >= 1, got "${options.samples}"\n`);
    return 2;
  }
  let everyMs: number;
  try {
    everyMs = parseDurationMillis(options.every);
  } catch (error) {
    process.stderr.write(`--every: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }

  const { KafkaClusterRegistry } = await import('./kafka-clusters.ts');
  const { KafkaLagCollector } = await import('./kafka-lag.ts');
  const registry = new KafkaClusterRegistry(config.clusters);
  const historyStore = await historyStoreFor(config);
  const collector = new KafkaLagCollector(registry, historyStore === undefined ? {} : { historyStore });
  try {
    const targets = chosen.map(lagTargetOf);
    let reports: GroupReport[] = [];
    for (let sample = 0; sample < samples; sample += 1) {
      if (sample > 0) await new Promise((resolveWait) => setTimeout(resolveWait, everyMs));
      const sweep = await collector.sweep(targets, { nowMs: Date.now(), signal: new AbortController().signal });
      reports = targets.flatMap((target) => {
        const report = sweep.groups.get(target.name);
        return report === undefined ? [] : [report];
      });
    }
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify(reports.map(groupReportJson), null, 2)}\n`);
    } else {
      process.stdout.write(`${reports.map(formatGroupReport).join('\n\n')}\n`);
    }
    return reports.some((report) => report.partial) ? 1 : 0;
  } finally {
    await collector.close();
    await registry.close();
  }
}

export function registerLagCommand(program: Command): void {
  program
    .command('lag')
    .description('print the lag of the config\'s targets like kafka-consumer-groups --describe, with lag in seconds and status; exit 1 if some data could not be read')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .option('-t, --target <name>', 'only this target')
    .option('--json', 'print JSON instead of tables')
    .option('--samples <n>', 'sweeps to take; the status needs at least 2', '1')
    .option('--every <duration>', 'time between sweeps', '5s')
    .action(async (options: LagOptions) => {
      process.exitCode = await runLag(options);
    });
}
