// Which Node Kafka client should lagpilot's admin port use? Measured against the real Kafka 4 broker
// of the local environment (`node bench/kafka-clients.ts`; it starts Kafka through the env entry
// point). For kafkajs 2.2.4 and @platformatic/kafka 2.12.1 (through lagpilot's admin port) it:
//   1. tries each admin call lagpilot needs and prints call -> ok / fails (with the error);
//   2. has Kafka's own console consumer make a classic group and a KIP-848 group
//      (group.protocol=consumer) and shows what each client sees of them;
//   3. commits offsets for 2,000 groups (OffsetCommit without members) and times fetching the
//      committed offsets of all of them with each client's best method (median of several runs),
//      counting the requests each fetch sends.
// The results feed docs/decisions/0002-kafka-client.md.
import { performance } from 'node:perf_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import { Admin, Producer, channelsNamespace, protocolAPIsById } from '@platformatic/kafka';
import kafkajsPackage, { type Admin as KafkajsAdmin } from 'kafkajs';
import { ensureService } from '../test/env/environment.ts';
import type { KafkaDetails } from '../test/env/services/kafka.ts';
import { PlatformaticKafkaAdmin } from '../src/kafka/platformatic-admin.ts';
import { requestCountsBetween, totalRequests, type KafkaAdminPort, type RequestCounts } from '../src/kafka/admin-port.ts';
import { startConsoleConsumer, waitFor, type RunningConsoleConsumer } from './kafka-console-consumer.ts';

// kafkajs is CommonJS and Node's named-export detection misses some of its exports.
const { AssignerProtocol, ConfigResourceTypes: KafkajsConfigResourceTypes, Kafka, logLevel } = kafkajsPackage;

const groupCount = 2_000;
const offsetTopicCount = 10;
const partitionsPerTopic = 3;
const timedRuns = 9;
const recordsPerPartition = 10;
// Fixed names: a second run reuses the topics and re-commits the same offsets instead of piling up groups.
const offsetTopics = Array.from({ length: offsetTopicCount }, (_, index) => `lagpilot-bench-offsets-${String(index)}`);
// Per run, and deleted at the end: its records are what the console consumers must read.
const recordsTopic = `lagpilot-bench-records-${String(Date.now())}`;
const groupIds = Array.from({ length: groupCount }, (_, index) => `lagpilot-bench-group-${String(index).padStart(4, '0')}`);
// Recent on purpose: records older than retention.ms (7 days) are deleted by the broker's retention check.
const baseTimestampMs = Date.now() - 60_000;

/** Group i commits offsets i, i+1, i+2 on partitions 0..2 of one topic. */
function expectedOffsets(groupIndex: number): { topic: string; partition: number; offset: bigint }[] {
  const topic = offsetTopics[groupIndex % offsetTopicCount] ?? '';
  return [0, 1, 2].map((partition) => ({ topic, partition, offset: BigInt(groupIndex + partition) }));
}

interface CallCheck {
  call: string;
  run: () => Promise<string>;
}

interface CallResult {
  call: string;
  outcome: string;
}

/** The error's message and the first nested reason (kafkajs keeps per-partition errors apart). */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const details = error as { partitions?: { partition?: number; error?: unknown }[]; cause?: unknown };
  const partitionError = details.partitions?.[0];
  if (partitionError?.error instanceof Error) {
    return `${error.message}: partition ${String(partitionError.partition)}: ${partitionError.error.message}`;
  }
  if (details.cause instanceof Error) return `${error.message}: ${details.cause.message}`;
  return error.message;
}

async function runChecks(checks: CallCheck[]): Promise<CallResult[]> {
  const results: CallResult[] = [];
  for (const check of checks) {
    try {
      results.push({ call: check.call, outcome: `ok: ${await check.run()}` });
    } catch (error) {
      const message = describeFailure(error);
      results.push({ call: check.call, outcome: `FAILS: ${message.replace(/\s+/g, ' ').slice(0, 160)}` });
    }
  }
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

function formatCounts(counts: RequestCounts): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([api, count]) => `${api} ${String(count)}`)
    .join(', ');
}

function notAvailable(reason: string): () => Promise<string> {
  return () => Promise.reject(new Error(`no such call in the client (${reason})`));
}

async function prepareTopicsAndGroups(kafka: KafkaDetails): Promise<{ setupMillis: number }> {
  const started = performance.now();
  const admin = new Admin({ clientId: 'lagpilot-bench-setup', bootstrapBrokers: [kafka.bootstrap] });
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...offsetTopics, recordsTopic].filter((topic) => !existing.has(topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, partitions: partitionsPerTopic, replicas: 1 });
    const producer = new Producer({ clientId: 'lagpilot-bench-producer', bootstrapBrokers: [kafka.bootstrap] });
    try {
      const messages = [];
      for (let partition = 0; partition < partitionsPerTopic; partition++) {
        for (let index = 0; index < recordsPerPartition; index++) {
          messages.push({ topic: recordsTopic, partition, value: Buffer.from(`record ${String(index)}`), timestamp: BigInt(baseTimestampMs + index) });
        }
      }
      await producer.send({ messages, acks: -1, idempotent: true });
    } finally {
      await producer.close();
    }
    // OffsetCommit for a group without members (generation -1) makes the group: no joins needed.
    const concurrency = 50;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < groupCount) {
          const groupIndex = next++;
          const groupId = groupIds[groupIndex] ?? '';
          const offsets = expectedOffsets(groupIndex);
          await admin.alterConsumerGroupOffsets({
            groupId,
            topics: [{ name: offsets[0]?.topic ?? '', partitionOffsets: offsets.map(({ partition, offset }) => ({ partition, offset })) }],
          });
        }
      }),
    );
  } finally {
    await admin.close();
  }
  return { setupMillis: performance.now() - started };
}

async function produceInto(kafka: KafkaDetails, topic: string, count: number): Promise<void> {
  const producer = new Producer({ clientId: 'lagpilot-bench-producer', bootstrapBrokers: [kafka.bootstrap] });
  try {
    const messages = Array.from({ length: count }, (_, index) => ({ topic, partition: 0, value: Buffer.from(String(index)) }));
    await producer.send({ messages, acks: -1, idempotent: true });
  } finally {
    await producer.close();
  }
}

function verifyOffsets(client: string, fetched: Map<string, { topic: string; partition: number; offset: bigint }[]>): void {
  for (const [groupIndex, groupId] of groupIds.entries()) {
    const got = JSON.stringify((fetched.get(groupId) ?? []).map((o) => [o.topic, o.partition, String(o.offset)]));
    const want = JSON.stringify(expectedOffsets(groupIndex).map((o) => [o.topic, o.partition, String(o.offset)]));
    if (got !== want) throw new Error(`${client}: committed offsets of ${groupId} are ${got}, expected ${want}`);
  }
}

interface OffsetTiming {
  client: string;
  method: string;
  medianMillis: number;
  minMillis: number;
  maxMillis: number;
  requests: string;
  requestTotal: number;
}

async function timePlatformaticOffsets(port: KafkaAdminPort): Promise<OffsetTiming> {
  verifyOffsets('@platformatic/kafka', await port.fetchCommittedOffsets(groupIds));
  const durations: number[] = [];
  let counts: RequestCounts = {};
  for (let run = 0; run < timedRuns; run++) {
    const before = port.requestCounts();
    const started = performance.now();
    await port.fetchCommittedOffsets(groupIds);
    durations.push(performance.now() - started);
    counts = requestCountsBetween(before, port.requestCounts());
  }
  return {
    client: '@platformatic/kafka 2.12.1',
    method: 'port.fetchCommittedOffsets (Admin.listConsumerGroupOffsets: one OffsetFetch v8+ for all groups)',
    medianMillis: median(durations),
    minMillis: Math.min(...durations),
    maxMillis: Math.max(...durations),
    requests: formatCounts(counts),
    requestTotal: totalRequests(counts),
  };
}

async function kafkajsFetchAll(admin: KafkajsAdmin): Promise<Map<string, { topic: string; partition: number; offset: bigint }[]>> {
  // kafkajs fetches one group per OffsetFetch; its best is all groups at once over its pipelined connection.
  const perGroup = await Promise.all(
    groupIds.map(async (groupId) => {
      const topics = await admin.fetchOffsets({ groupId });
      const offsets = topics.flatMap(({ topic, partitions }) =>
        partitions.map((p) => ({ topic, partition: p.partition, offset: BigInt(p.offset) })),
      );
      offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      return [groupId, offsets] as const;
    }),
  );
  return new Map(perGroup);
}

async function timeKafkajsOffsets(admin: KafkajsAdmin, requestLog: RequestCounts): Promise<OffsetTiming> {
  verifyOffsets('kafkajs', await kafkajsFetchAll(admin));
  const durations: number[] = [];
  let counts: RequestCounts = {};
  for (let run = 0; run < timedRuns; run++) {
    const before = { ...requestLog };
    const started = performance.now();
    await kafkajsFetchAll(admin);
    durations.push(performance.now() - started);
    counts = requestCountsBetween(before, requestLog);
  }
  return {
    client: 'kafkajs 2.2.4',
    method: 'admin.fetchOffsets per group (one OffsetFetch each), all 2,000 concurrently',
    medianMillis: median(durations),
    minMillis: Math.min(...durations),
    maxMillis: Math.max(...durations),
    requests: formatCounts(counts),
    requestTotal: totalRequests(counts),
  };
}

function platformaticChecks(kafka: KafkaDetails, port: KafkaAdminPort, classicGroup: string, kip848Group: string): CallCheck[] {
  const scratchTopic = 'lagpilot-bench-scratch-platformatic';
  const describeGroup = async (groupId: string) => {
    const group = (await port.describeConsumerGroups([groupId])).get(groupId);
    if (group === undefined) throw new Error(`group ${groupId} missing from the answer`);
    const assignment = group.members.flatMap((m) => m.assignment.map((a) => `${a.topic}[${a.partitions.join(',')}]`)).join(' ');
    return `type ${group.groupType}, state ${group.state}, ${String(group.members.length)} member(s), assignment ${assignment || 'none'}`;
  };
  const allPartitions = [0, 1, 2].map((partition) => ({ topic: recordsTopic, partition }));
  return [
    {
      call: 'list consumer groups (sees the KIP-848 group?)',
      run: async () => {
        const groups = await port.listConsumerGroups();
        const kip848 = groups.find((g) => g.groupId === kip848Group);
        return `${String(groups.length)} groups; KIP-848 group ${kip848 === undefined ? 'NOT listed' : `listed as ${kip848.groupType ?? '?'}/${kip848.state}`}`;
      },
    },
    { call: 'describe classic group (console consumer)', run: () => describeGroup(classicGroup) },
    { call: 'describe KIP-848 group (console consumer)', run: () => describeGroup(kip848Group) },
    {
      call: 'committed offsets of 3 groups in one call',
      run: async () => {
        const fetched = await port.fetchCommittedOffsets(groupIds.slice(0, 3));
        return [...fetched.values()].map((offsets) => offsets.map((o) => String(o.offset)).join('/')).join(' ');
      },
    },
    {
      call: 'list offsets earliest / latest / by timestamp',
      run: async () => {
        const earliest = await port.listOffsets(allPartitions, { kind: 'earliest' });
        const latest = await port.listOffsets(allPartitions, { kind: 'latest' });
        const byTime = await port.listOffsets(allPartitions, { kind: 'timestamp', timestampMs: baseTimestampMs + 4 });
        const show = (list: { offset: bigint }[]) => list.map((o) => String(o.offset)).join(',');
        return `earliest ${show(earliest)}; latest ${show(latest)}; at t+4 ${show(byTime)}`;
      },
    },
    {
      call: 'metadata of named topics only',
      run: async () => {
        const [topic] = await port.describeTopics([recordsTopic]);
        return `${topic?.name ?? '?'}: ${String(topic?.partitions.length ?? 0)} partitions, leaders ${topic?.partitions.map((p) => p.leader).join(',') ?? ''}`;
      },
    },
    {
      call: 'one record at an offset (timestamp)',
      run: async () => {
        const record = await port.fetchRecord(recordsTopic, 1, 6n);
        if (record === null) throw new Error('no record at offset 6');
        return `offset ${String(record.offset)}, timestamp base+${String(record.timestampMs - baseTimestampMs)} ms`;
      },
    },
    {
      call: 'describe cluster (brokers, controller)',
      run: async () => {
        const cluster = await port.describeCluster();
        return `${String(cluster.brokers.length)} broker(s), controller ${String(cluster.controllerId)}, id ${cluster.clusterId}`;
      },
    },
    {
      call: 'describe topic and broker configs',
      run: async () => {
        const [topic, broker] = await port.describeConfigs([
          { kind: 'topic', name: recordsTopic },
          { kind: 'broker', name: String(kafka.nodeId) },
        ]);
        return `retention.ms ${topic?.entries.get('retention.ms')?.value ?? '?'}; broker entries ${String(broker?.entries.size ?? 0)}`;
      },
    },
    {
      call: 'describe log dirs (disk used)',
      run: async () => {
        const dirs = await port.describeLogDirs();
        const bytes = dirs.flatMap((d) => d.partitions).reduce((sum, p) => sum + p.sizeBytes, 0n);
        return `${String(dirs.length)} dir(s), ${String(bytes)} bytes in partitions`;
      },
    },
    {
      call: 'create topic, delete records, delete topic',
      run: async () => {
        await port.createTopics([{ name: scratchTopic, partitions: 1, replicationFactor: 1 }]);
        await produceInto(kafka, scratchTopic, 5);
        const [deleted] = await port.deleteRecords([{ topic: scratchTopic, partition: 0, beforeOffset: 2n }]);
        const [earliest] = await port.listOffsets([{ topic: scratchTopic, partition: 0 }], { kind: 'earliest' });
        await port.deleteTopics([scratchTopic]);
        return `low watermark ${String(deleted?.lowWatermark)}, earliest then ${String(earliest?.offset)}`;
      },
    },
    {
      call: 'alter / list partition reassignments',
      run: async () => {
        await port.alterPartitionReassignments([{ topic: recordsTopic, partition: 0, replicas: [kafka.nodeId] }]);
        const ongoing = await port.listPartitionReassignments([recordsTopic]);
        return `reassigned to [${String(kafka.nodeId)}]; ${String(ongoing.length)} ongoing`;
      },
    },
  ];
}

function kafkajsChecks(kafka: KafkaDetails, admin: KafkajsAdmin, classicGroup: string, kip848Group: string): CallCheck[] {
  const scratchTopic = 'lagpilot-bench-scratch-kafkajs';
  const describeGroup = async (groupId: string) => {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    if (group === undefined) throw new Error(`group ${groupId} missing from the answer`);
    const assignment = group.members
      .map((member) => {
        if (member.memberAssignment.length === 0) return 'empty';
        const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        return Object.entries(decoded?.assignment ?? {})
          .map(([topic, partitions]) => `${topic}[${partitions.join(',')}]`)
          .join(' ');
      })
      .join(' ');
    return `protocolType "${group.protocolType}", state ${group.state}, ${String(group.members.length)} member(s), assignment ${assignment || 'none'}`;
  };
  return [
    {
      call: 'list consumer groups (sees the KIP-848 group?)',
      run: async () => {
        const { groups } = await admin.listGroups();
        const kip848 = groups.find((g) => g.groupId === kip848Group);
        return `${String(groups.length)} groups; KIP-848 group ${kip848 === undefined ? 'NOT listed' : `listed, protocolType "${kip848.protocolType}"`}`;
      },
    },
    { call: 'describe classic group (console consumer)', run: () => describeGroup(classicGroup) },
    { call: 'describe KIP-848 group (console consumer)', run: () => describeGroup(kip848Group) },
    {
      call: 'committed offsets of 3 groups in one call',
      run: notAvailable('fetchOffsets takes one groupId; 3 groups = 3 OffsetFetch requests'),
    },
    {
      call: 'list offsets earliest / latest / by timestamp',
      run: async () => {
        const offsets = await admin.fetchTopicOffsets(recordsTopic);
        const byTime = await admin.fetchTopicOffsetsByTimestamp(recordsTopic, baseTimestampMs + 4);
        const sorted = [...offsets].sort((a, b) => a.partition - b.partition);
        return `earliest ${sorted.map((o) => o.low).join(',')}; latest ${sorted.map((o) => o.high).join(',')}; at t+4 ${byTime.map((o) => o.offset).join(',')} (per topic, not per partition list)`;
      },
    },
    {
      call: 'metadata of named topics only',
      run: async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [recordsTopic] });
        return `${topics[0]?.name ?? '?'}: ${String(topics[0]?.partitions.length ?? 0)} partitions`;
      },
    },
    {
      call: 'one record at an offset (timestamp)',
      run: notAvailable('the admin client cannot fetch; a consumer must join a group to read'),
    },
    {
      call: 'describe cluster (brokers, controller)',
      run: async () => {
        const cluster = await admin.describeCluster();
        return `${String(cluster.brokers.length)} broker(s), controller ${String(cluster.controller)}, id ${cluster.clusterId} (from Metadata)`;
      },
    },
    {
      call: 'describe topic and broker configs',
      run: async () => {
        const described = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [
            { type: KafkajsConfigResourceTypes.TOPIC, name: recordsTopic },
            { type: KafkajsConfigResourceTypes.BROKER, name: String(kafka.nodeId) },
          ],
        });
        const topic = described.resources.find((r) => r.resourceType === KafkajsConfigResourceTypes.TOPIC);
        const broker = described.resources.find((r) => r.resourceType === KafkajsConfigResourceTypes.BROKER);
        return `retention.ms ${topic?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue ?? '?'}; broker entries ${String(broker?.configEntries.length ?? 0)}`;
      },
    },
    { call: 'describe log dirs (disk used)', run: notAvailable('kafkajs has no DescribeLogDirs') },
    {
      call: 'create topic, delete records, delete topic',
      run: async () => {
        await admin.createTopics({ topics: [{ topic: scratchTopic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
        await produceInto(kafka, scratchTopic, 5);
        const deletion = { topic: scratchTopic, partitions: [{ partition: 0, offset: '2' }] };
        // kafkajs looks leaders up in its cached metadata, which createTopics does not refresh.
        const firstTry = await admin.deleteTopicRecords(deletion).then(
          () => 'first try',
          async (error: unknown) => {
            await admin.fetchTopicMetadata({ topics: [scratchTopic] });
            await admin.deleteTopicRecords(deletion);
            return `only after a metadata refresh (first try: ${describeFailure(error)})`;
          },
        );
        const [offsets] = await admin.fetchTopicOffsets(scratchTopic);
        await admin.deleteTopics({ topics: [scratchTopic] });
        return `earliest then ${offsets?.low ?? '?'}, ${firstTry}`;
      },
    },
    {
      call: 'alter / list partition reassignments',
      run: async () => {
        await admin.alterPartitionReassignments({ topics: [{ topic: recordsTopic, partitionAssignment: [{ partition: 0, replicas: [kafka.nodeId] }] }] });
        const ongoing = await admin.listPartitionReassignments({ topics: [{ topic: recordsTopic, partitions: [0, 1, 2] }] });
        return `reassigned to [${String(kafka.nodeId)}]; ${String(ongoing.topics.length)} ongoing`;
      },
    },
  ];
}

function printTable(header: string[], rows: string[][]): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.map((cell) => cell.replace(/\|/g, '/')).join(' | ')} |`);
  console.log('');
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const kafka = await ensureService<KafkaDetails>('kafka');
  console.log(`Kafka ${kafka.version} at ${kafka.bootstrap}; Node ${process.version}\n`);

  const { setupMillis } = await prepareTopicsAndGroups(kafka);
  console.log(`setup: ${String(offsetTopicCount + 1)} topics, ${String(groupCount)} groups committed in ${(setupMillis / 1000).toFixed(1)} s\n`);

  const runId = String(Date.now());
  const classicGroup = `lagpilot-bench-console-classic-${runId}`;
  const kip848Group = `lagpilot-bench-console-kip848-${runId}`;
  const consumers: RunningConsoleConsumer[] = [];
  const port = new PlatformaticKafkaAdmin({ bootstrapServers: [kafka.bootstrap], clientId: 'lagpilot-bench' });
  const requestLog: RequestCounts = {};
  const kafkajsVersions = new Set<string>();
  const platformaticVersions = new Set<string>();
  const recordPlatformaticVersion = (message: unknown) => {
    const { apiKey, apiVersion } = message as { apiKey?: unknown; apiVersion?: unknown };
    if (typeof apiKey === 'number' && typeof apiVersion === 'number') platformaticVersions.add(`${protocolAPIsById[apiKey] ?? String(apiKey)} v${String(apiVersion)}`);
  };
  diagnosticsChannel.subscribe(`tracing:${channelsNamespace}:connections:api:start`, recordPlatformaticVersion);
  const kafkajs = new Kafka({ clientId: 'lagpilot-bench-kafkajs', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).admin();
  kafkajs.on(kafkajs.events.REQUEST, (event) => {
    requestLog[event.payload.apiName] = (requestLog[event.payload.apiName] ?? 0) + 1;
    kafkajsVersions.add(`${event.payload.apiName} v${String(event.payload.apiVersion)}`);
  });
  try {
    await kafkajs.connect();
    for (const [groupId, groupProtocol] of [
      [classicGroup, 'classic'],
      [kip848Group, 'consumer'],
    ] as const) {
      consumers.push(startConsoleConsumer({ java: kafka.java, toolsLibDir: kafka.toolsLibDir, bootstrap: kafka.bootstrap, topic: recordsTopic, groupId, groupProtocol }));
    }
    // The console consumers prove they joined and got every partition by printing every record.
    for (const consumer of consumers) {
      await waitFor(
        `Kafka's console consumer (pid ${String(consumer.pid)}) to print all ${String(recordsPerPartition * partitionsPerTopic)} records`,
        () => Promise.resolve((consumer.output().match(/^record \d+$/gm)?.length ?? 0) >= recordsPerPartition * partitionsPerTopic ? true : undefined),
        60_000,
        () => consumer.output().slice(-1500),
      );
    }

    const platformaticResults = await runChecks(platformaticChecks(kafka, port, classicGroup, kip848Group));
    const kafkajsResults = await runChecks(kafkajsChecks(kafka, kafkajs, classicGroup, kip848Group));
    for (const consumer of consumers) await consumer.stop();

    console.log('## Calls lagpilot needs\n');
    printTable(
      ['call', '@platformatic/kafka 2.12.1 (through the port)', 'kafkajs 2.2.4'],
      platformaticResults.map((result, index) => [result.call, result.outcome, kafkajsResults[index]?.outcome ?? '']),
    );

    const timings = [await timePlatformaticOffsets(port), await timeKafkajsOffsets(kafkajs, requestLog)];
    console.log(`## Committed offsets of ${String(groupCount)} groups (median of ${String(timedRuns)} runs after a checked warm-up)\n`);
    printTable(
      ['client', 'method', 'median ms', 'min ms', 'max ms', 'requests per fetch'],
      timings.map((t) => [t.client, t.method, t.medianMillis.toFixed(1), t.minMillis.toFixed(1), t.maxMillis.toFixed(1), `${String(t.requestTotal)} (${t.requests})`]),
    );
  } finally {
    for (const consumer of consumers) await consumer.stop();
    await kafkajs.disconnect();
    await port.deleteTopics([recordsTopic]);
    await port.close();
  }
  diagnosticsChannel.unsubscribe(`tracing:${channelsNamespace}:connections:api:start`, recordPlatformaticVersion);
  console.log(`request versions sent by @platformatic/kafka: ${[...platformaticVersions].sort().join(', ')}`);
  console.log(`request versions sent by kafkajs: ${[...kafkajsVersions].sort().join(', ')}\n`);
  console.log(`bench finished in ${((performance.now() - benchStarted) / 1000).toFixed(1)} s`);
}

await main();
