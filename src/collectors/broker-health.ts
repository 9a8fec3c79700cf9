// The broker-health collector: is the Kafka cluster a target depends on able to serve it? Brokers
// online, the controller, under-replicated and offline partitions, partitions and leaders per
// broker, and disk used per log directory, read through the Kafka admin port in three requests
// kinds (DescribeCluster, DescribeLogDirs per broker, one Metadata for the topics).
//
// Which topics count: the ones configured, or else every topic some online broker holds a replica
// of (DescribeLogDirs lists them), so no full-cluster topic listing is needed. A topic whose
// every replica sits on offline brokers is then invisible, and so are Kafka's internal topics
// (see discoveredTopics); configure `topics` when that matters.
import { z } from 'zod';
import type { KafkaAdminPort, LogDirDescription, TopicDescription } from '../kafka/admin-port.ts';
import type { CollectionContext, CollectionError, CollectionResult, Collector, Sample, SampleUnit } from './collector.ts';
import { collectionCodeForKafkaError } from './kafka-error-codes.ts';

export const brokerHealthSource = 'broker-health';

export const brokerHealthCollectorSchema = z
  .strictObject({
    topics: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Topics whose replication is checked; every topic on an online broker when omitted.'),
    expectedBrokers: z
      .int()
      .min(1)
      .optional()
      .describe('How many brokers the cluster should have; brokers missing from it are reported even when they hold no replica.'),
  })
  .describe('Broker health of the target\'s cluster.');

export type BrokerHealthCollectorConfig = z.output<typeof brokerHealthCollectorSchema>;

export interface BrokerHealthTarget {
  /** The cluster's name, a label of every sample. */
  cluster: string;
  topics?: readonly string[] | undefined;
  expectedBrokers?: number | undefined;
}

/** Counts of one cluster's partitions, from topic metadata. */
export interface ReplicationSummary {
  partitions: number;
  underReplicated: number;
  offline: number;
  /** Replicas hosted per broker id. */
  replicasByBroker: Map<number, number>;
  /** Partitions led per broker id. */
  leadersByBroker: Map<number, number>;
  /** Broker ids that appear in a replica list. */
  replicaBrokers: Set<number>;
}

export function summarizeReplication(topics: readonly TopicDescription[]): ReplicationSummary {
  const summary: ReplicationSummary = {
    partitions: 0,
    underReplicated: 0,
    offline: 0,
    replicasByBroker: new Map(),
    leadersByBroker: new Map(),
    replicaBrokers: new Set(),
  };
  for (const topic of topics) {
    for (const partition of topic.partitions) {
      summary.partitions += 1;
      if (partition.leader < 0) summary.offline += 1;
      else summary.leadersByBroker.set(partition.leader, (summary.leadersByBroker.get(partition.leader) ?? 0) + 1);
      // A replica outside the ISR is behind or gone: the partition is one failure closer to loss.
      if (partition.isr.length < partition.replicas.length) summary.underReplicated += 1;
      for (const broker of partition.replicas) {
        summary.replicaBrokers.add(broker);
        summary.replicasByBroker.set(broker, (summary.replicasByBroker.get(broker) ?? 0) + 1);
      }
    }
  }
  return summary;
}

export interface BrokerHealthOptions {
  /**
   * A result younger than this is answered again instead of asking the cluster, and concurrent
   * collections of the same cluster and topics share one set of requests: many targets on one
   * cluster then cost one health check per period, not one each. 0 turns the reuse off.
   */
  reuseForMs?: number;
}

interface ReusableResult {
  startedAtMs: number;
  result: Promise<CollectionResult>;
}

export class BrokerHealthCollector implements Collector<BrokerHealthTarget> {
  readonly source = brokerHealthSource;
  readonly #admin: KafkaAdminPort;
  readonly #reuseForMs: number;
  readonly #recent = new Map<string, ReusableResult>();

  /** The admin port is shared with the cluster's other collectors; closing it is its owner's job. */
  constructor(admin: KafkaAdminPort, options: BrokerHealthOptions = {}) {
    this.#admin = admin;
    this.#reuseForMs = options.reuseForMs ?? 0;
  }

  async collect(target: BrokerHealthTarget, context: CollectionContext): Promise<CollectionResult> {
    if (this.#reuseForMs <= 0) return this.#collectNow(target, context);
    const key = JSON.stringify([target.cluster, target.topics ?? null, target.expectedBrokers ?? null]);
    const recent = this.#recent.get(key);
    if (recent !== undefined && context.nowMs - recent.startedAtMs < this.#reuseForMs && context.nowMs >= recent.startedAtMs) return recent.result;
    const result = this.#collectNow(target, context);
    this.#recent.set(key, { startedAtMs: context.nowMs, result });
    return result;
  }

  async #collectNow(target: BrokerHealthTarget, context: CollectionContext): Promise<CollectionResult> {
    const samples: Sample[] = [];
    const errors: CollectionError[] = [];
    const clusterLabels = { cluster: target.cluster };
    const sample = (name: string, value: number, unit: SampleUnit, labels: Record<string, string> = {}): void => {
      samples.push({ name, value, unit, labels: { ...clusterLabels, ...labels }, timestampMs: context.nowMs, source: this.source });
    };
    const failure = (what: string, error: unknown): void => {
      const reason = error instanceof Error ? error.message : String(error);
      errors.push({ code: collectionCodeForKafkaError(error, 'INTERNAL'), source: this.source, message: `${what} of cluster ${target.cluster}: ${reason}`, labels: clusterLabels });
    };

    const [cluster, logDirs] = await Promise.allSettled([this.#admin.describeCluster(), this.#admin.describeLogDirs()]);
    const onlineBrokers = new Set<number>();
    if (cluster.status === 'fulfilled') {
      for (const broker of cluster.value.brokers) onlineBrokers.add(broker.nodeId);
      sample('cluster_brokers_online', onlineBrokers.size, 'count');
      sample('cluster_controller_id', cluster.value.controllerId, 'count');
    } else {
      failure('describing the brokers', cluster.reason);
    }

    let logDirsValue: LogDirDescription[] = [];
    if (logDirs.status === 'fulfilled') {
      logDirsValue = logDirs.value;
      for (const dir of logDirsValue) {
        const labels = { broker: String(dir.brokerId), log_dir: dir.path };
        // totalBytes/usableBytes are -1 when the broker does not report its volume (old brokers).
        if (dir.totalBytes >= 0n && dir.usableBytes >= 0n) {
          sample('broker_log_dir_used_bytes', Number(dir.totalBytes - dir.usableBytes), 'bytes', labels);
          sample('broker_log_dir_total_bytes', Number(dir.totalBytes), 'bytes', labels);
        }
        const partitionBytes = dir.partitions.reduce((sum, partition) => sum + partition.sizeBytes, 0n);
        sample('broker_log_dir_partition_bytes', Number(partitionBytes), 'bytes', labels);
      }
    } else {
      failure('describing the log directories', logDirs.reason);
    }

    const topicNames = target.topics !== undefined ? [...target.topics] : discoveredTopics(logDirsValue);
    // Without a topic list (log directories unreadable) there is nothing to describe, and the
    // error above already says why.
    if (topicNames.length > 0) {
      try {
        const summary = summarizeReplication(await this.#admin.describeTopics(topicNames));
        sample('cluster_partitions', summary.partitions, 'count');
        sample('cluster_partitions_under_replicated', summary.underReplicated, 'count');
        sample('cluster_partitions_offline', summary.offline, 'count');
        const brokers = new Set([...onlineBrokers, ...summary.replicaBrokers]);
        for (const broker of [...brokers].sort((a, b) => a - b)) {
          const labels = { broker: String(broker) };
          sample('broker_partitions', summary.replicasByBroker.get(broker) ?? 0, 'count', labels);
          sample('broker_leaders', summary.leadersByBroker.get(broker) ?? 0, 'count', labels);
        }
        if (cluster.status === 'fulfilled') reportBrokerPresence(brokers, onlineBrokers, target.expectedBrokers, sample);
      } catch (error) {
        failure(`describing topics ${topicNames.join(', ')}`, error);
      }
    } else if (cluster.status === 'fulfilled') {
      reportBrokerPresence(onlineBrokers, onlineBrokers, target.expectedBrokers, sample);
    }
    return { samples, errors, partial: errors.length > 0 };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The topics the log directories hold, without Kafka's internal ones (__consumer_offsets,
 * __transaction_state…): the Kafka client behind the admin port leaves internal topics out of
 * its metadata, so describing them would fail as if they did not exist.
 */
export function discoveredTopics(logDirs: readonly LogDirDescription[]): string[] {
  const names = new Set(logDirs.flatMap((dir) => dir.partitions.map((partition) => partition.topic)));
  return [...names].filter((name) => !name.startsWith('__')).sort();
}

function reportBrokerPresence(
  knownBrokers: ReadonlySet<number>,
  onlineBrokers: ReadonlySet<number>,
  expectedBrokers: number | undefined,
  sample: (name: string, value: number, unit: SampleUnit, labels?: Record<string, string>) => void,
): void {
  for (const broker of [...knownBrokers].sort((a, b) => a - b)) {
    sample('broker_online', onlineBrokers.has(broker) ? 1 : 0, 'count', { broker: String(broker) });
  }
  // A broker that holds no replica and is down is seen by no request; only the expected count
  // can reveal it.
  const missing = expectedBrokers === undefined ? [...knownBrokers].filter((broker) => !onlineBrokers.has(broker)).length : Math.max(0, expectedBrokers - onlineBrokers.size);
  sample('cluster_brokers_missing', missing, 'count');
}
