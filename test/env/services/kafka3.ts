// `kafka3`: a Kafka cluster of three broker-only nodes and one dedicated controller, on
// loopback. The controller is its own JVM so that fault tests can stop any broker (stopBroker)
// and bring it back (startBroker) without touching the metadata quorum. Internal topics and new
// topics default to replication factor 3 with min ISR 2: one broker down, everything still
// accepts writes. Each start of the service formats a fresh cluster; a broker brought back by
// startBroker keeps its data, as a restarted broker in production does.
//
// A fourth broker can join the running cluster (startExtraBroker) and leave it again
// (stopExtraBroker: stopped, unregistered, its folder deleted), so broker scaling can be tested
// while the shared cluster goes back to its three brokers for every other test.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPorts } from '../ports.ts';
import { serviceRunDir } from '../paths.ts';
import { waitUntilHealthy, type StartedProcess } from '../processes.ts';
import type { EnvService } from '../service.ts';
import { readEnvState, recordService } from '../state.ts';
import { PlatformaticKafkaAdmin } from '../../../src/kafka/platformatic-admin.ts';
import { KafkaAdminError } from '../../../src/kafka/errors.ts';
import { withClassArchive } from '../kafka/class-archive.ts';
import { installKafka, kafkaLog4jConfig, type KafkaInstallation } from '../kafka/install.ts';
import {
  brokerServes,
  clusterServes,
  controllerHeap,
  formatNode,
  isKafkaNodeProcess,
  randomClusterId,
  startNodeProcess,
  stopNodeProcess,
  type KafkaNodeSpec,
} from '../kafka/nodes.ts';
import { installationDetails, type KafkaClusterDetails } from './kafka.ts';

export interface Kafka3Node {
  nodeId: number;
  role: 'broker' | 'controller';
  /** PLAINTEXT port of a broker, CONTROLLER port of the controller. */
  port: number;
  /** The running JVM, or null while the node is stopped (stopBroker). */
  pid: number | null;
  nodeDir: string;
  logFile: string;
}

export interface Kafka3Details extends KafkaClusterDetails {
  controller: Kafka3Node;
  brokers: Kafka3Node[];
  /** The fourth broker while startExtraBroker has it running; absent or null otherwise. */
  extraBroker?: Kafka3Node | null;
}

const serviceName = 'kafka3';
export const controllerNodeId = 0;
export const brokerNodeIds = [1, 2, 3];
export const extraBrokerNodeId = 4;
/** Four JVMs starting at once on two cores take longer than one. */
const startTimeoutMs = 120_000;

const clusterSettings: Record<string, number> = {
  'offsets.topic.replication.factor': 3,
  'transaction.state.log.replication.factor': 3,
  'transaction.state.log.min.isr': 2,
  'share.coordinator.state.topic.replication.factor': 3,
  'share.coordinator.state.topic.min.isr': 2,
  'min.insync.replicas': 2,
};

const clusterControllerSettings: Record<string, number> = {
  'default.replication.factor': 3,
};

function brokerAddress(node: Kafka3Node): string {
  return `127.0.0.1:${node.port}`;
}

function installationOf(details: Kafka3Details): KafkaInstallation {
  return {
    java: details.java,
    version: details.version,
    libDir: details.libDir,
    toolsVersion: details.toolsVersion,
    toolsLibDir: details.toolsLibDir,
    log4jConfig: kafkaLog4jConfig,
    ...(details.classArchive === null ? {} : { classArchive: details.classArchive }),
  };
}

function runningPids(details: Kafka3Details): number[] {
  const nodes = [details.controller, ...details.brokers, ...(details.extraBroker ? [details.extraBroker] : [])];
  return nodes.flatMap((node) => (node.pid === null ? [] : [node.pid]));
}

async function stopNode(node: Kafka3Node): Promise<void> {
  if (node.pid !== null) await stopNodeProcess(node.pid, node.nodeDir);
}

/** Waits until the broker answers metadata requests and counts itself among the live brokers. */
async function waitForBroker(details: Pick<Kafka3Details, 'clusterId'>, node: Kafka3Node, process: StartedProcess): Promise<void> {
  await waitUntilHealthy(
    `kafka3 broker ${node.nodeId} at ${brokerAddress(node)}`,
    () => brokerServes(brokerAddress(node), details.clusterId, [node.nodeId]),
    process,
    startTimeoutMs,
  );
}

/**
 * Installs if needed, formats a fresh cluster under `runDir` (deleting what was there) and
 * starts the controller and the three brokers at once; resolves once every broker serves.
 */
export async function startKafka3Cluster(runDir: string): Promise<Kafka3Details> {
  const startedMillis = Date.now();
  const installation = await withClassArchive(await installKafka());
  rmSync(runDir, { recursive: true, force: true });
  const ports = await freeLoopbackPorts(1 + brokerNodeIds.length);
  const [controllerPort, ...brokerPorts] = ports;
  if (controllerPort === undefined || brokerPorts.length !== brokerNodeIds.length) {
    throw new Error(`could not find ${ports.length} free loopback ports for kafka3`);
  }
  const quorumVoters = `${controllerNodeId}@127.0.0.1:${controllerPort}`;
  const nodeDirOf = (nodeId: number) => join(runDir, `node-${nodeId}`);
  const specs: KafkaNodeSpec[] = [
    {
      nodeId: controllerNodeId,
      role: 'controller',
      nodeDir: nodeDirOf(controllerNodeId),
      controllerPort,
      quorumVoters,
      settings: clusterSettings,
      controllerSettings: clusterControllerSettings,
    },
    ...brokerNodeIds.map((nodeId, index): KafkaNodeSpec => ({
      nodeId,
      role: 'broker',
      nodeDir: nodeDirOf(nodeId),
      brokerPort: brokerPorts[index] ?? 0,
      quorumVoters,
      settings: clusterSettings,
    })),
  ];
  const clusterId = randomClusterId();
  await Promise.all(specs.map((spec) => formatNode(installation, spec, clusterId)));

  const controllerProcess = startNodeProcess(installation, nodeDirOf(controllerNodeId), controllerHeap);
  const brokerProcesses = brokerNodeIds.map((nodeId) => startNodeProcess(installation, nodeDirOf(nodeId)));
  const toNode = (spec: KafkaNodeSpec, started: StartedProcess): Kafka3Node => ({
    nodeId: spec.nodeId,
    role: spec.role === 'controller' ? 'controller' : 'broker',
    port: spec.role === 'controller' ? controllerPort : (spec.brokerPort ?? 0),
    pid: started.pid,
    nodeDir: spec.nodeDir,
    logFile: started.logFile,
  });
  const [controllerSpec, ...brokerSpecs] = specs;
  if (controllerSpec === undefined) throw new Error('kafka3: no controller spec');
  const controller = toNode(controllerSpec, controllerProcess);
  const brokers = brokerSpecs.map((spec, index) => {
    const started = brokerProcesses[index];
    if (started === undefined) throw new Error(`kafka3: broker ${spec.nodeId} was not started`);
    return toNode(spec, started);
  });
  const bootstrap = brokers.map(brokerAddress).join(',');
  try {
    // Every JVM is watched: whichever dies first fails the start with its own log.
    await Promise.all([
      waitUntilHealthy(
        `kafka3 controller ${controllerNodeId} (port ${controllerPort}) with all brokers registered`,
        () => brokerServes(bootstrap.split(',')[0] ?? '', clusterId, brokerNodeIds),
        controllerProcess,
        startTimeoutMs,
      ),
      ...brokers.map((node, index) => {
        const started = brokerProcesses[index];
        if (started === undefined) throw new Error(`kafka3: broker ${node.nodeId} was not started`);
        return waitForBroker({ clusterId }, node, started);
      }),
    ]);
  } catch (error) {
    await Promise.all(brokers.map(stopNode));
    await stopNode(controller);
    throw error;
  }
  const details: Kafka3Details = {
    pids: [],
    runDir,
    startedAt: new Date(startedMillis).toISOString(),
    startMillis: 0,
    bootstrap,
    clusterId,
    ...installationDetails(installation),
    controller,
    brokers,
  };
  details.pids = runningPids(details);
  details.startMillis = Date.now() - startedMillis;
  return details;
}

export const service: EnvService<Kafka3Details> = {
  name: serviceName,

  async install() {
    await withClassArchive(await installKafka());
  },

  start: () => startKafka3Cluster(serviceRunDir(serviceName)),

  async isHealthy(details) {
    const nodes = [details.controller, ...details.brokers];
    if (!nodes.every((node) => node.pid !== null && isKafkaNodeProcess(node.pid, node.nodeDir))) return false;
    try {
      return await clusterServes(details.bootstrap.split(','), details.clusterId, brokerNodeIds);
    } catch {
      return false;
    }
  },

  async stop(details) {
    // Brokers first: a broker shutting down cleanly asks the controller to move its leaderships.
    await Promise.all([...details.brokers, ...(details.extraBroker ? [details.extraBroker] : [])].map(stopNode));
    await stopNode(details.controller);
  },
};

function recordedKafka3(): Kafka3Details {
  const record = readEnvState()[serviceName];
  if (record === undefined) {
    throw new Error('kafka3 is not running: start it first with ensureService("kafka3") or "npm run env -- up kafka3"');
  }
  return record as unknown as Kafka3Details;
}

function brokerOf(details: Kafka3Details, nodeId: number): Kafka3Node {
  const broker = details.brokers.find((node) => node.nodeId === nodeId);
  if (broker === undefined) {
    throw new Error(`kafka3 has no broker ${nodeId}; its brokers are ${details.brokers.map((node) => node.nodeId).join(', ')}`);
  }
  return broker;
}

/** The running kafka3 cluster's details as recorded, or an error saying to start it first. */
export function readKafka3(): Kafka3Details {
  return recordedKafka3();
}

function saveKafka3(details: Kafka3Details): void {
  details.pids = runningPids(details);
  recordService(serviceName, details);
}

/**
 * Stops one broker of the running kafka3 cluster (SIGTERM: a clean shutdown, leaderships move
 * to the other brokers first) and records it as stopped. Resolves when the JVM is gone.
 */
export async function stopBroker(nodeId: number): Promise<void> {
  const details = recordedKafka3();
  const broker = brokerOf(details, nodeId);
  await stopNode(broker);
  broker.pid = null;
  saveKafka3(details);
}

/**
 * Starts a broker of the running kafka3 cluster that stopBroker stopped, on its old port and
 * data, and resolves once it serves again (registered and unfenced). Its replicas may still be
 * catching up: wait for the ISR if a test needs it.
 */
export async function startBroker(nodeId: number): Promise<void> {
  const details = recordedKafka3();
  const broker = brokerOf(details, nodeId);
  if (broker.pid !== null && isKafkaNodeProcess(broker.pid, broker.nodeDir)) return;
  const started = startNodeProcess(installationOf(details), broker.nodeDir);
  broker.pid = started.pid;
  saveKafka3(details);
  await waitForBroker(details, broker, started);
}

/**
 * Starts broker 4 on the running kafka3 cluster: a freshly formatted node on a new port, with
 * the cluster's settings. Resolves once it is registered and serves; it holds no partition until
 * something moves partitions onto it. Returns its address.
 */
export async function startExtraBroker(): Promise<{ nodeId: number; address: string }> {
  const details = recordedKafka3();
  const running = details.extraBroker;
  if (running?.pid != null && isKafkaNodeProcess(running.pid, running.nodeDir)) return { nodeId: running.nodeId, address: brokerAddress(running) };
  const installation = installationOf(details);
  const [port] = await freeLoopbackPorts(1);
  if (port === undefined) throw new Error('could not find a free loopback port for kafka3 broker 4');
  const nodeDir = join(details.runDir, `node-${extraBrokerNodeId}`);
  rmSync(nodeDir, { recursive: true, force: true });
  const spec: KafkaNodeSpec = {
    nodeId: extraBrokerNodeId,
    role: 'broker',
    nodeDir,
    brokerPort: port,
    quorumVoters: `${controllerNodeId}@127.0.0.1:${details.controller.port}`,
    settings: clusterSettings,
  };
  await formatNode(installation, spec, details.clusterId);
  const started = startNodeProcess(installation, nodeDir);
  const node: Kafka3Node = { nodeId: extraBrokerNodeId, role: 'broker', port, pid: started.pid, nodeDir, logFile: started.logFile };
  details.extraBroker = node;
  saveKafka3(details);
  await waitForBroker(details, node, started);
  return { nodeId: node.nodeId, address: brokerAddress(node) };
}

/**
 * Stops broker 4 (a clean shutdown) and, unless told not to (when the caller unregisters it
 * itself), unregisters it so the cluster lists three brokers again; then deletes its folder.
 * Safe to call when it is not running.
 */
export async function stopExtraBroker(options: { unregister?: boolean } = {}): Promise<void> {
  const details = recordedKafka3();
  const node = details.extraBroker;
  if (node != null) {
    await stopNode(node);
    node.pid = null;
    saveKafka3(details);
  }
  if (options.unregister ?? true) await unregisterExtraBroker(details);
  if (node != null) rmSync(node.nodeDir, { recursive: true, force: true });
  details.extraBroker = null;
  saveKafka3(details);
}

async function unregisterExtraBroker(details: Kafka3Details): Promise<void> {
  const admin = new PlatformaticKafkaAdmin({ bootstrapServers: details.bootstrap.split(','), clientId: 'lagpilot-test-env' });
  try {
    await admin.unregisterBroker(extraBrokerNodeId);
  } catch (error) {
    // Never registered, or unregistered already: the cluster is as wanted.
    if (!(error instanceof KafkaAdminError && error.kafkaError === 'BROKER_ID_NOT_REGISTERED')) throw error;
  } finally {
    await admin.close();
  }
}
