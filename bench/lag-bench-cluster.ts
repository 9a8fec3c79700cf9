// The lag benchmarks' cluster and data, shared by bench/lag-sweep.ts and bench/daemon-rss.ts: a
// single-node Kafka of their own under <repo>/.lagpilot-env/lag-bench with many topics, records
// and committed offsets, all kept between runs so a second run only starts the broker (or finds
// it running) and measures.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlatformaticKafkaAdmin } from '../src/kafka/platformatic-admin.ts';
import { installKafka } from '../test/env/kafka/install.ts';
import { brokerServes, formatNode, isKafkaNodeProcess, randomClusterId, singleReplicaSettings, startNodeProcess, stopNodeProcess, type KafkaNodeSpec } from '../test/env/kafka/nodes.ts';
import { runRoot } from '../test/env/paths.ts';
import { freeLoopbackPorts } from '../test/env/ports.ts';

const benchDir = join(runRoot, 'lag-bench');
const stateFile = join(benchDir, 'cluster.json');
const nodeIds = [1];
// A broker of its own rather than the shared test broker: the 2,000 topics' partitions and
// groups stay out of other runs' way, records never expire (retention off), and the set-up is
// kept between runs.
const brokerHeap = '512m';
const recordsPerPartition = 20;

export interface BenchCluster {
  pids: number[];
  ports: number[];
  controllerPort: number;
  clusterId: string;
}

export function positiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number >= 1, got "${text}"`);
  return value;
}

function nodeDirOf(nodeId: number): string {
  return join(benchDir, `node-${String(nodeId)}`);
}

export function readCluster(): BenchCluster | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as BenchCluster;
}

export function bootstrapOf(cluster: BenchCluster): string {
  return cluster.ports.map((port) => `127.0.0.1:${String(port)}`).join(',');
}

async function clusterServes(cluster: BenchCluster): Promise<boolean> {
  try {
    return await brokerServes(bootstrapOf(cluster).split(',')[0] ?? '', cluster.clusterId, nodeIds);
  } catch {
    return false;
  }
}

export async function ensureBenchCluster(): Promise<BenchCluster> {
  const installation = await installKafka();
  const recorded = readCluster();
  if (recorded !== undefined && nodeIds.every((nodeId, index) => isKafkaNodeProcess(recorded.pids[index] ?? -1, nodeDirOf(nodeId))) && (await clusterServes(recorded))) {
    return recorded;
  }
  let cluster: Omit<BenchCluster, 'pids'>;
  if (recorded !== undefined && nodeIds.every((nodeId) => existsSync(join(nodeDirOf(nodeId), 'server.properties')))) {
    cluster = recorded;
  } else {
    rmSync(benchDir, { recursive: true, force: true });
    const [controllerPort, ...ports] = await freeLoopbackPorts(1 + nodeIds.length);
    if (controllerPort === undefined || ports.length !== nodeIds.length) throw new Error('no free loopback ports for the bench cluster');
    cluster = { ports, controllerPort, clusterId: randomClusterId() };
    const settings = {
      ...singleReplicaSettings,
      'default.replication.factor': 1,
      // Records are produced once with recent timestamps and must outlive many runs.
      'log.retention.hours': -1,
    };
    const specs: KafkaNodeSpec[] = nodeIds.map((nodeId, index) => ({
      nodeId,
      role: index === 0 ? 'combined' : 'broker',
      nodeDir: nodeDirOf(nodeId),
      brokerPort: ports[index] ?? 0,
      ...(index === 0 ? { controllerPort } : {}),
      quorumVoters: `${String(nodeIds[0])}@127.0.0.1:${String(controllerPort)}`,
      settings,
    }));
    for (const spec of specs) await formatNode(installation, spec, cluster.clusterId);
  }
  const pids: number[] = [];
  for (const [index, nodeId] of nodeIds.entries()) {
    const pid = recorded?.pids[index];
    if (pid !== undefined && isKafkaNodeProcess(pid, nodeDirOf(nodeId))) await stopNodeProcess(pid, nodeDirOf(nodeId));
    pids.push(startNodeProcess(installation, nodeDirOf(nodeId), brokerHeap).pid);
  }
  const running = { ...cluster, pids };
  writeFileSync(stateFile, JSON.stringify(running, null, 2));
  const deadline = Date.now() + 180_000;
  while (!(await clusterServes(running))) {
    if (Date.now() > deadline) throw new Error(`the bench cluster at ${bootstrapOf(running)} did not serve within 180 s; see ${join(nodeDirOf(1), 'kafka.log')}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
  }
  return running;
}

export function topicName(index: number): string {
  return `lagbench-t${String(index).padStart(4, '0')}`;
}

export function groupName(index: number): string {
  return `lagbench-g${String(index).padStart(5, '0')}`;
}

/** Group i reads topic i mod topics; it committed a different offset on each partition, so every partition has some lag. */
function committedOffset(group: number, partition: number): number {
  return (group * 7 + partition * 3) % recordsPerPartition;
}

export async function prepareBenchData(bootstrap: string, groups: number, topics: number, partitions: number): Promise<void> {
  const admin = new PlatformaticKafkaAdmin({ bootstrapServers: bootstrap.split(','), requestTimeoutMs: 60_000 });
  try {
    const existing = new Set(await admin.listTopics());
    const missing = Array.from({ length: topics }, (_, index) => topicName(index)).filter((name) => !existing.has(name));
    const startedAt = performance.now();
    for (let index = 0; index < missing.length; index += 20) {
      await admin.createTopics(missing.slice(index, index + 20).map((name) => ({ name, partitions, replicationFactor: 1 })));
    }
    if (missing.length > 0) console.log(`created ${String(missing.length)} topics in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);

    const allTopics = Array.from({ length: topics }, (_, index) => topicName(index));
    // New topics reach every broker's metadata a moment after CreateTopics answers.
    const metadataDeadline = Date.now() + 60_000;
    for (;;) {
      try {
        const described = await admin.describeTopics(allTopics);
        if (described.every((topic) => topic.partitions.length === partitions && topic.partitions.every((p) => p.leader >= 0))) break;
      } catch (error) {
        if (Date.now() > metadataDeadline) throw error;
      }
      if (Date.now() > metadataDeadline) throw new Error(`the ${String(topics)} bench topics did not all get leaders within 60 s`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 500));
    }
    const ends = await admin.listOffsets(allTopics.flatMap((topic) => Array.from({ length: partitions }, (_, partition) => ({ topic, partition }))), { kind: 'latest' });
    const emptyTopics = [...new Set(ends.filter((end) => end.offset === 0n).map((end) => end.topic))];
    const groupIds = Array.from({ length: groups }, (_, index) => groupName(index));
    const committed = await admin.fetchCommittedOffsets(groupIds);
    const uncommitted = groupIds.filter((groupId) => (committed.get(groupId) ?? []).length < partitions);
    if (emptyTopics.length === 0 && uncommitted.length === 0) return;

    // @platformatic/kafka's own producer and admin for setting up: records, and offsets committed
    // through OffsetCommit without members (generation -1), which makes each group without a join.
    const { Admin, Producer } = await import('@platformatic/kafka');
    if (emptyTopics.length > 0) {
      const producedAt = performance.now();
      const producer = new Producer({ clientId: 'lagpilot-bench', bootstrapBrokers: bootstrap.split(',') });
      try {
        const now = Date.now();
        for (const topic of emptyTopics) {
          const messages = Array.from({ length: partitions * recordsPerPartition }, (_, n) => ({
            topic,
            partition: n % partitions,
            value: Buffer.from(`v${String(n)}`),
            timestamp: BigInt(now - (recordsPerPartition - Math.floor(n / partitions)) * 1000),
          }));
          await producer.send({ messages, acks: -1 });
        }
      } finally {
        await producer.close();
      }
      console.log(`produced ${String(recordsPerPartition)} records to each partition of ${String(emptyTopics.length)} topics in ${((performance.now() - producedAt) / 1000).toFixed(1)} s`);
    }
    if (uncommitted.length > 0) {
      const committedAt = performance.now();
      const offsetsAdmin = new Admin({ clientId: 'lagpilot-bench', bootstrapBrokers: bootstrap.split(','), timeout: 60_000 });
      try {
        let next = 0;
        const worker = async (): Promise<void> => {
          for (;;) {
            const groupId = uncommitted[next];
            next += 1;
            if (groupId === undefined) return;
            const group = Number(groupId.slice('lagbench-g'.length));
            await offsetsAdmin.alterConsumerGroupOffsets({
              groupId,
              topics: [{
                name: topicName(group % topics),
                partitionOffsets: Array.from({ length: partitions }, (_, partition) => ({ partition, offset: BigInt(committedOffset(group, partition)) })),
              }],
            });
          }
        };
        await Promise.all(Array.from({ length: 32 }, worker));
      } finally {
        await offsetsAdmin.close();
      }
      console.log(`committed offsets of ${String(uncommitted.length)} groups in ${((performance.now() - committedAt) / 1000).toFixed(1)} s`);
    }
  } finally {
    await admin.close();
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}


/** Stops the bench broker if it runs. */
export async function stopBenchCluster(): Promise<void> {
  const recorded = readCluster();
  for (const [index, nodeId] of nodeIds.entries()) {
    const pid = recorded?.pids[index];
    if (pid !== undefined && isKafkaNodeProcess(pid, nodeDirOf(nodeId))) await stopNodeProcess(pid, nodeDirOf(nodeId));
  }
}
