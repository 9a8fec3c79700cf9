// One Kafka node (KRaft) of the local test environment: its server.properties, the storage
// format, the JVM, and the checks that tell when it serves. Shared by the `kafka` service (one
// combined broker+controller node) and the `kafka3` service (a controller and three brokers).
import { Admin } from '@platformatic/kafka';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, runToCompletion, startDetached, stopProcess, type StartedProcess } from '../processes.ts';
import type { KafkaInstallation } from './install.ts';

/** Heaps (-Xmx). Kafka's scripts give a broker 1 GiB; tests need far less. */
export const brokerHeap = '384m';
/** A controller-only node holds the metadata log of a few topics and nothing else. */
export const controllerHeap = '192m';
const toolHeap = '128m';

export type NodeRole = 'combined' | 'broker' | 'controller';

export interface KafkaNodeSpec {
  nodeId: number;
  role: NodeRole;
  /** The node's folder: server.properties, data/ and kafka.log. */
  nodeDir: string;
  /** PLAINTEXT (client) port; absent for a controller-only node. */
  brokerPort?: number;
  /** CONTROLLER port; only nodes that are controllers listen on it. */
  controllerPort?: number;
  /** `id@127.0.0.1:port` of every controller (controller.quorum.voters). */
  quorumVoters: string;
  /** Extra settings for the node, e.g. replication factors of internal topics (key=value). */
  settings: Record<string, string | number>;
  /** Extra settings only nodes with the controller role take, e.g. default.replication.factor. */
  controllerSettings?: Record<string, string | number>;
}

export function nodeDataDir(nodeDir: string): string {
  return join(nodeDir, 'data');
}

export function nodeLogFile(nodeDir: string): string {
  return join(nodeDir, 'kafka.log');
}

function nodePropertiesFile(nodeDir: string): string {
  return join(nodeDir, 'server.properties');
}

/** Settings every node of the test environment shares: small, quick, loopback only. */
const testSettings: Record<string, string | number> = {
  'num.network.threads': 2,
  'num.io.threads': 4,
  'background.threads': 4,
  'num.recovery.threads.per.data.dir': 1,
  // 128 MiB by default: more than a third of the heap, for a cleaner tests never need.
  'log.cleaner.dedupe.buffer.size': 2 * 1024 * 1024,
  'log.cleaner.threads': 1,
  // The first consumer group otherwise waits for 50 offsets partitions to be created and for
  // a 3 s initial rebalance delay.
  'offsets.topic.num.partitions': 3,
  'transaction.state.log.num.partitions': 3,
  'share.coordinator.state.topic.num.partitions': 3,
  'group.initial.rebalance.delay.ms': 0,
  // The KIP-848 consumer protocol is on by default in Kafka 4 (group.coordinator.rebalance.protocols
  // = classic,consumer,streams); that setting is deprecated, so it is not repeated here, and the
  // Kafka integration test checks the brokers' effective value instead.
};

/**
 * Defaults for new topics. In KRaft the controller creates topics, so these belong to nodes
 * with the controller role (a broker-only node warns that it ignores them).
 */
const controllerSettings: Record<string, string | number> = {
  'num.partitions': 1,
};

function propertiesFor(spec: KafkaNodeSpec): Record<string, string | number> {
  const listeners: string[] = [];
  const roles: string[] = [];
  if (spec.role !== 'controller') {
    if (spec.brokerPort === undefined) throw new Error(`Kafka node ${spec.nodeId} (${spec.role}) needs a broker port`);
    listeners.push(`PLAINTEXT://127.0.0.1:${spec.brokerPort}`);
    roles.push('broker');
  }
  if (spec.role !== 'broker') {
    if (spec.controllerPort === undefined) throw new Error(`Kafka node ${spec.nodeId} (${spec.role}) needs a controller port`);
    listeners.push(`CONTROLLER://127.0.0.1:${spec.controllerPort}`);
    roles.push('controller');
  }
  const properties: Record<string, string | number> = {
    'process.roles': roles.join(','),
    'node.id': spec.nodeId,
    'controller.quorum.voters': spec.quorumVoters,
    listeners: listeners.join(','),
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': nodeDataDir(spec.nodeDir),
  };
  if (spec.role !== 'controller') {
    // Only the client listener is advertised: clients sent to the controller port get
    // "does not support the requested API version".
    properties['advertised.listeners'] = `PLAINTEXT://127.0.0.1:${spec.brokerPort ?? 0}`;
    properties['inter.broker.listener.name'] = 'PLAINTEXT';
  }
  const isController = spec.role !== 'broker';
  return {
    ...testSettings,
    ...(isController ? controllerSettings : {}),
    ...properties,
    ...spec.settings,
    ...(isController ? spec.controllerSettings : {}),
  };
}

function renderProperties(properties: Record<string, string | number>): string {
  // .properties allows no comment after a value, so every line is a bare key=value.
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n') + '\n';
}

/**
 * JVM flags for a short-lived tool run: only the quick C1 compiler, which makes formatting four
 * nodes at once on two cores about a second faster (3.4 s -> 2.4 s).
 */
export const shortLivedJvmFlags = ['-XX:TieredStopAtLevel=1'];

function javaArguments(
  installation: KafkaInstallation,
  mainClass: string,
  heap: string,
  args: string[],
  extraJvmFlags: string[] = [],
): string[] {
  const isBroker = mainClass === 'kafka.Kafka';
  const makesArchive = extraJvmFlags.some((flag) => flag.startsWith('-XX:ArchiveClassesAtExit'));
  const archiveFlags = isBroker && !makesArchive && installation.classArchive !== undefined
    ? [`-XX:SharedArchiveFile=${installation.classArchive}`]
    : [];
  return [
    ...(isBroker ? [] : shortLivedJvmFlags),
    ...archiveFlags,
    ...extraJvmFlags,
    `-Xmx${heap}`,
    // The heap grows when needed; starting small keeps an idle node's memory small.
    '-Xms64m',
    // Two cores: the serial collector keeps GC threads and footprint small at this heap size.
    '-XX:+UseSerialGC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${installation.log4jConfig}`,
    '-cp', join(installation.libDir, '*'),
    mainClass,
    ...args,
  ];
}

/**
 * A cluster id as StorageTool's random-uuid makes them: 16 random bytes, base64url, no padding,
 * and never starting with "-" (Kafka's Uuid.randomUuid draws again then too): the format
 * command's parser would read such an id as an option and fail with "argument --cluster-id/-t:
 * expected one argument", one start in 64.
 */
export function randomClusterId(): string {
  const bytes = new Uint8Array(16);
  for (;;) {
    crypto.getRandomValues(bytes);
    const id = Buffer.from(bytes).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Writes server.properties and formats a fresh data directory for the node. */
export async function formatNode(installation: KafkaInstallation, spec: KafkaNodeSpec, clusterId: string): Promise<void> {
  mkdirSync(spec.nodeDir, { recursive: true });
  writeFileSync(nodePropertiesFile(spec.nodeDir), renderProperties(propertiesFor(spec)));
  try {
    await runToCompletion(
      installation.java,
      javaArguments(installation, 'kafka.tools.StorageTool', toolHeap, [
        'format', '-t', clusterId, '-c', nodePropertiesFile(spec.nodeDir),
      ]),
      { timeoutMs: 60_000 },
    );
  } catch (error) {
    throw new Error(
      `could not format Kafka node ${spec.nodeId} in ${nodeDataDir(spec.nodeDir)}: ` +
        (error instanceof Error ? error.message : String(error)),
    );
  }
}

/** Starts the node's JVM on its formatted data directory (keeping the data it has). */
export function startNodeProcess(
  installation: KafkaInstallation,
  nodeDir: string,
  heap = brokerHeap,
  extraJvmFlags: string[] = [],
): StartedProcess {
  const propertiesFile = nodePropertiesFile(nodeDir);
  if (!existsSync(propertiesFile)) {
    throw new Error(`no ${propertiesFile}: the Kafka node was never formatted`);
  }
  return startDetached({
    command: installation.java,
    args: javaArguments(installation, 'kafka.Kafka', heap, [propertiesFile], extraJvmFlags),
    logFile: nodeLogFile(nodeDir),
    cwd: nodeDir,
  });
}

/**
 * True when `pid` is a Kafka JVM of this node (not a process that reused the pid after the
 * environment's machine restarted): its command line names kafka.Kafka and the node's config.
 */
export function isKafkaNodeProcess(pid: number, nodeDir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return commandLine.includes('kafka.Kafka') && commandLine.includes(nodePropertiesFile(nodeDir));
  } catch {
    return false;
  }
}

/** SIGTERM (a broker then shuts down cleanly: leaderships move first), SIGKILL after 30 s. */
export async function stopNodeProcess(pid: number, nodeDir: string): Promise<void> {
  if (!isKafkaNodeProcess(pid, nodeDir)) return;
  await stopProcess(pid, 30_000);
}

export interface ClusterView {
  clusterId: string;
  brokerIds: number[];
}

/**
 * Asks the given brokers for cluster metadata (a Metadata request, as any client's first). The
 * answer lists only the brokers that are registered and unfenced, i.e. that serve.
 */
export async function describeCluster(bootstrap: string[], timeoutMs = 5_000): Promise<ClusterView> {
  const admin = new Admin({
    clientId: 'lagpilot-test-env-health',
    bootstrapBrokers: bootstrap,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
    retries: 0,
  });
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true });
    return { clusterId: metadata.id, brokerIds: [...metadata.brokers.keys()].sort((a, b) => a - b) };
  } finally {
    await admin.close();
  }
}

/** True when the broker at `address` answers with the expected cluster id and sees `brokerIds`. */
export async function brokerServes(address: string, clusterId: string, brokerIds: number[]): Promise<boolean> {
  return clusterServes([address], clusterId, brokerIds);
}

/** True when any of the bootstrap brokers answers with the expected cluster id and sees `brokerIds`. */
export async function clusterServes(bootstrap: string[], clusterId: string, brokerIds: number[]): Promise<boolean> {
  const view = await describeCluster(bootstrap);
  return view.clusterId === clusterId && brokerIds.every((id) => view.brokerIds.includes(id));
}

/** Broker settings for a cluster of one: every internal topic with one replica and min ISR 1. */
export const singleReplicaSettings = {
  'offsets.topic.replication.factor': 1,
  'transaction.state.log.replication.factor': 1,
  'transaction.state.log.min.isr': 1,
  'share.coordinator.state.topic.replication.factor': 1,
  'share.coordinator.state.topic.min.isr': 1,
  'min.insync.replicas': 1,
} as const;
