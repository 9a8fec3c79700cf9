// `kafka`: one Apache Kafka node in KRaft mode, broker and controller in one JVM, on loopback.
// Each start formats a fresh data directory (a new cluster id): no state leaks from one run of
// the environment into the next, and a broker killed mid-write never has to recover its logs.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPorts } from '../ports.ts';
import { serviceRunDir } from '../paths.ts';
import { waitUntilHealthy } from '../processes.ts';
import type { EnvService, ServiceRecord } from '../service.ts';
import { withClassArchive } from '../kafka/class-archive.ts';
import { installKafka, type KafkaInstallation } from '../kafka/install.ts';
import {
  brokerServes,
  formatNode,
  isKafkaNodeProcess,
  randomClusterId,
  singleReplicaSettings,
  startNodeProcess,
  stopNodeProcess,
  type KafkaNodeSpec,
} from '../kafka/nodes.ts';

/** What tests need to reach a Kafka cluster of the environment and to run Kafka's tools on it. */
export interface KafkaClusterDetails extends ServiceRecord {
  /** Bootstrap servers, comma-separated: "127.0.0.1:PORT[,127.0.0.1:PORT…]". */
  bootstrap: string;
  clusterId: string;
  /** Kafka version of the brokers. */
  version: string;
  /** The java executable the brokers run on (and Kafka's tools should). */
  java: string;
  /** Folder of the broker's jars (classpath `${libDir}/*`), e.g. for kafka.tools.StorageTool. */
  libDir: string;
  /** Kafka's tools (org.apache.kafka:kafka-tools), classpath `${toolsLibDir}/*`. */
  toolsVersion: string;
  toolsLibDir: string;
  /** The brokers' class-data sharing archive, or null when there is none. */
  classArchive: string | null;
}

/** The part of a cluster's details that says which Kafka it runs and where its jars are. */
export function installationDetails(
  installation: KafkaInstallation,
): Pick<KafkaClusterDetails, 'version' | 'java' | 'libDir' | 'toolsVersion' | 'toolsLibDir' | 'classArchive'> {
  return {
    version: installation.version,
    java: installation.java,
    libDir: installation.libDir,
    toolsVersion: installation.toolsVersion,
    toolsLibDir: installation.toolsLibDir,
    classArchive: installation.classArchive ?? null,
  };
}

export interface KafkaDetails extends KafkaClusterDetails {
  nodeId: number;
  port: number;
  controllerPort: number;
  logFile: string;
}

const nodeId = 1;
/** A cold JVM on two busy cores has been seen to take 10 s; the deadline leaves room. */
const startTimeoutMs = 90_000;

/**
 * Installs if needed, formats a fresh node under `runDir` (deleting what was there) and starts
 * it; resolves once it serves. The service uses the environment's run directory; measurements
 * use their own so as not to disturb a running environment.
 */
export async function startSingleNodeKafka(runDir: string): Promise<KafkaDetails> {
  const startedMillis = Date.now();
  const installation = await withClassArchive(await installKafka());
  rmSync(runDir, { recursive: true, force: true });
  const [port, controllerPort] = await freeLoopbackPorts(2);
  if (port === undefined || controllerPort === undefined) throw new Error('could not find two free loopback ports for Kafka');
  const nodeDir = join(runDir, `node-${nodeId}`);
  const spec: KafkaNodeSpec = {
    nodeId,
    role: 'combined',
    nodeDir,
    brokerPort: port,
    controllerPort,
    quorumVoters: `${nodeId}@127.0.0.1:${controllerPort}`,
    settings: singleReplicaSettings,
    controllerSettings: { 'default.replication.factor': 1 },
  };
  const clusterId = randomClusterId();
  await formatNode(installation, spec, clusterId);
  const started = startNodeProcess(installation, nodeDir);
  const bootstrap = `127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(
      `Kafka ${installation.version} (node ${nodeId} at ${bootstrap})`,
      () => brokerServes(bootstrap, clusterId, [nodeId]),
      started,
      startTimeoutMs,
    );
  } catch (error) {
    await stopNodeProcess(started.pid, nodeDir);
    throw error;
  }
  return {
    pids: [started.pid],
    runDir,
    startedAt: new Date(startedMillis).toISOString(),
    startMillis: Date.now() - startedMillis,
    bootstrap,
    clusterId,
    ...installationDetails(installation),
    nodeId,
    port,
    controllerPort,
    logFile: started.logFile,
  };
}

export const service: EnvService<KafkaDetails> = {
  name: 'kafka',

  async install() {
    await withClassArchive(await installKafka());
  },

  start: () => startSingleNodeKafka(serviceRunDir('kafka')),

  async isHealthy(details) {
    const nodeDir = join(details.runDir, `node-${details.nodeId}`);
    if (!details.pids.every((pid) => isKafkaNodeProcess(pid, nodeDir))) return false;
    try {
      return await brokerServes(details.bootstrap, details.clusterId, [details.nodeId]);
    } catch {
      return false;
    }
  },

  async stop(details) {
    const nodeDir = join(details.runDir, `node-${details.nodeId}`);
    for (const pid of details.pids) await stopNodeProcess(pid, nodeDir);
  },
};
