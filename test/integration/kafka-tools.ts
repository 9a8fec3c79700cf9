// Kafka's own command-line tools (org.apache.kafka:kafka-tools), run against a cluster of the
// local environment. Tests use them as the outside reference: what lagpilot's client reads must
// agree with what Kafka's tools report.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { kafkaToolsLog4jConfig } from '../env/kafka/install.ts';
import { shortLivedJvmFlags } from '../env/kafka/nodes.ts';

/** The part of a kafka or kafka3 record the tools need. */
export interface KafkaToolsTarget {
  bootstrap: string;
  java: string;
  toolsLibDir: string;
}

export const kafkaToolClasses = {
  consumerGroupCommand: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  topicCommand: 'org.apache.kafka.tools.TopicCommand',
  producerPerformance: 'org.apache.kafka.tools.ProducerPerformance',
  consoleProducer: 'org.apache.kafka.tools.ConsoleProducer',
  consoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
} as const;

export interface KafkaToolRun {
  stdout: string;
  stderr: string;
}

export interface KafkaToolOptions {
  /** Written to the tool's standard input, which is then closed (e.g. for ConsoleProducer). */
  input?: string;
  timeoutMs?: number;
}

/**
 * Runs one of Kafka's tools and returns its output. Fails on a non-zero exit and also when the
 * tool reports an error on exit code 0, as ConsumerGroupCommand does for a group that does not
 * exist ("Error: Executing consumer group command failed due to …").
 */
export async function runKafkaTool(
  target: KafkaToolsTarget,
  mainClass: string,
  args: string[],
  options: KafkaToolOptions = {},
): Promise<KafkaToolRun> {
  const javaArgs = [
    ...shortLivedJvmFlags,
    '-Xmx256m',
    `-Dlog4j2.configurationFile=${kafkaToolsLog4jConfig}`,
    '-cp', join(target.toolsLibDir, '*'),
    mainClass,
    ...args,
  ];
  const commandLine = `${target.java} ${javaArgs.join(' ')}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const run = await new Promise<KafkaToolRun & { code: number | null; signal: NodeJS.Signals | null }>((resolveRun, reject) => {
    const child = spawn(target.java, javaArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${mainClass} (${target.java}): ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ stdout, stderr, code, signal });
    });
    child.stdin.end(options.input ?? '');
  });
  const reportedError = /^Error: .*$/m.exec(`${run.stdout}\n${run.stderr}`);
  if (run.code !== 0 || reportedError !== null) {
    const why = run.signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit ${String(run.code ?? run.signal)}`;
    throw new Error(
      `${commandLine}\nfailed (${why}${reportedError === null ? '' : `: ${reportedError[0]}`})\n` +
        `--- stdout ---\n${run.stdout.trimEnd()}\n--- stderr ---\n${run.stderr.trimEnd()}`,
    );
  }
  return { stdout: run.stdout, stderr: run.stderr };
}

/** `kafka-consumer-groups.sh` against the target: returns the tool's stdout. */
export async function runConsumerGroupCommand(target: KafkaToolsTarget, args: string[]): Promise<string> {
  const run = await runKafkaTool(target, kafkaToolClasses.consumerGroupCommand, ['--bootstrap-server', target.bootstrap, ...args]);
  return run.stdout;
}

/** One row of `ConsumerGroupCommand --describe` (the offsets view). "-" reads as null. */
export interface ConsumerGroupOffsetRow {
  group: string;
  topic: string;
  partition: number;
  currentOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  consumerId: string | null;
  host: string | null;
  clientId: string | null;
}

const offsetColumns = ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'];

function optionalText(cell: string): string | null {
  return cell === '-' ? null : cell;
}

function optionalNumber(cell: string, column: string, line: string): number | null {
  if (cell === '-') return null;
  const value = Number(cell);
  if (!Number.isSafeInteger(value)) throw new Error(`ConsumerGroupCommand: ${column} "${cell}" is not a number in: ${line}`);
  return value;
}

/**
 * Parses the tables of `ConsumerGroupCommand --describe`: one table per group, each a header
 * line (GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID) and
 * one whitespace-separated row per partition. Other lines ("Consumer group 'g' has no active
 * members.") are skipped. A header with other columns than those fails loudly: the format of the
 * reference tool changed, and tests must not compare against a misread table.
 */
export function parseConsumerGroupDescribe(stdout: string): ConsumerGroupOffsetRow[] {
  const rows: ConsumerGroupOffsetRow[] = [];
  let inTable = false;
  for (const line of stdout.split('\n')) {
    const cells = line.trim().split(/\s+/).filter((cell) => cell !== '');
    if (cells.length === 0) { inTable = false; continue; }
    if (cells[0] === 'GROUP') {
      if (cells.join(' ') !== offsetColumns.join(' ')) {
        throw new Error(`ConsumerGroupCommand --describe printed an unexpected header: "${line.trim()}"`);
      }
      inTable = true;
      continue;
    }
    if (!inTable) continue;
    if (cells.length !== offsetColumns.length) {
      throw new Error(`ConsumerGroupCommand --describe row has ${cells.length} cells, expected ${offsetColumns.length}: "${line.trim()}"`);
    }
    const [group, topic, partition, currentOffset, logEndOffset, lag, consumerId, host, clientId] = cells as [
      string, string, string, string, string, string, string, string, string,
    ];
    const partitionNumber = optionalNumber(partition, 'PARTITION', line);
    if (partitionNumber === null) throw new Error(`ConsumerGroupCommand: a row without a partition: "${line.trim()}"`);
    rows.push({
      group,
      topic,
      partition: partitionNumber,
      currentOffset: optionalNumber(currentOffset, 'CURRENT-OFFSET', line),
      logEndOffset: optionalNumber(logEndOffset, 'LOG-END-OFFSET', line),
      lag: optionalNumber(lag, 'LAG', line),
      consumerId: optionalText(consumerId),
      host: optionalText(host),
      clientId: optionalText(clientId),
    });
  }
  return rows;
}

/** The committed offsets, log-end offsets and lag of one group, as Kafka's own tool reports them. */
export async function describeConsumerGroupOffsets(target: KafkaToolsTarget, group: string): Promise<ConsumerGroupOffsetRow[]> {
  const stdout = await runConsumerGroupCommand(target, ['--describe', '--group', group]);
  const rows = parseConsumerGroupDescribe(stdout);
  if (rows.length === 0) {
    throw new Error(`ConsumerGroupCommand --describe --group ${group} printed no offsets table:\n${stdout}`);
  }
  return rows;
}

/**
 * Group types as `ConsumerGroupCommand --list --type` reports them: "Classic" for groups of the
 * old rebalance protocol, "Consumer" for KIP-848 groups (also "Share", "Streams").
 */
export async function listConsumerGroupTypes(target: KafkaToolsTarget): Promise<Map<string, string>> {
  const stdout = await runConsumerGroupCommand(target, ['--list', '--type']);
  const types = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const cells = line.trim().split(/\s+/).filter((cell) => cell !== '');
    if (cells.length === 0 || (cells[0] === 'GROUP' && cells[1] === 'TYPE')) continue;
    const [group, type] = cells;
    if (group === undefined || type === undefined || cells.length !== 2) {
      throw new Error(`ConsumerGroupCommand --list --type printed an unexpected line: "${line.trim()}"`);
    }
    types.set(group, type);
  }
  return types;
}

/**
 * Reads `maxMessages` messages of a topic from the beginning with Kafka's console consumer in
 * `group`, which commits its position when it exits. `consumerProperties` go to the consumer,
 * e.g. { 'group.protocol': 'consumer' } for a KIP-848 group. Returns the values read.
 */
export async function consumeWithConsoleConsumer(
  target: KafkaToolsTarget,
  options: { topic: string; group: string; maxMessages: number; consumerProperties?: Record<string, string>; timeoutMs?: number },
): Promise<string[]> {
  const properties = Object.entries(options.consumerProperties ?? {}).flatMap(([key, value]) => ['--command-property', `${key}=${value}`]);
  const run = await runKafkaTool(
    target,
    kafkaToolClasses.consoleConsumer,
    [
      '--bootstrap-server', target.bootstrap,
      '--topic', options.topic,
      '--group', options.group,
      '--from-beginning',
      '--max-messages', String(options.maxMessages),
      ...properties,
    ],
    { timeoutMs: options.timeoutMs ?? 60_000 },
  );
  const values = run.stdout.split('\n').filter((line) => line !== '');
  if (values.length !== options.maxMessages) {
    throw new Error(
      `the console consumer read ${values.length} of ${options.maxMessages} messages of ${options.topic}\n` +
        `--- stderr ---\n${run.stderr.trimEnd()}`,
    );
  }
  return values;
}

/** The summary line of ProducerPerformance. */
export interface ProducerPerformanceSummary {
  recordsSent: number;
  recordsPerSecond: number;
  megabytesPerSecond: number;
  averageLatencyMs: number;
  maxLatencyMs: number;
  p50LatencyMs: number;
  p95LatencyMs: number;
  p99LatencyMs: number;
  p999LatencyMs: number;
}

const producerPerformanceSummary =
  /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/m;

/** Parses the last line ProducerPerformance prints ("5000 records sent, 3076.9 records/sec …"). */
export function parseProducerPerformance(stdout: string): ProducerPerformanceSummary {
  const match = producerPerformanceSummary.exec(stdout);
  if (match === null) throw new Error(`ProducerPerformance printed no summary line:\n${stdout}`);
  const [recordsSent, recordsPerSecond, megabytesPerSecond, average, max, p50, p95, p99, p999] = match.slice(1).map(Number) as [
    number, number, number, number, number, number, number, number, number,
  ];
  return {
    recordsSent,
    recordsPerSecond,
    megabytesPerSecond,
    averageLatencyMs: average,
    maxLatencyMs: max,
    p50LatencyMs: p50,
    p95LatencyMs: p95,
    p99LatencyMs: p99,
    p999LatencyMs: p999,
  };
}

/**
 * Writes `records` records of `recordSize` bytes to a topic with Kafka's ProducerPerformance,
 * as fast as it can unless `recordsPerSecond` is given; `producerProperties` go to the producer
 * (e.g. { acks: 'all' }). Returns its summary.
 */
export async function runProducerPerformance(
  target: KafkaToolsTarget,
  options: { topic: string; records: number; recordSize: number; recordsPerSecond?: number; producerProperties?: Record<string, string>; timeoutMs?: number },
): Promise<ProducerPerformanceSummary> {
  // ProducerPerformance (argparse4j) takes all properties after one --command-property; a
  // repeated flag would keep only the last.
  const properties = Object.entries(options.producerProperties ?? {}).map(([key, value]) => `${key}=${value}`);
  const run = await runKafkaTool(
    target,
    kafkaToolClasses.producerPerformance,
    [
      '--topic', options.topic,
      '--num-records', String(options.records),
      '--record-size', String(options.recordSize),
      '--throughput', String(options.recordsPerSecond ?? -1),
      '--bootstrap-server', target.bootstrap,
      ...(properties.length === 0 ? [] : ['--command-property', ...properties]),
    ],
    { timeoutMs: options.timeoutMs ?? 120_000 },
  );
  return parseProducerPerformance(run.stdout);
}
