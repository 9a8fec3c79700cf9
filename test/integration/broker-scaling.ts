// Helpers of the broker-scaling tests on kafka3: a broker pool whose fourth broker is kafka3's
// extra broker, a load of numbered messages written with acks=all and read back, and a watch
// that records every moment a partition had no leader.
import { createHash } from 'node:crypto';
import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import type { BrokerPool } from '../../src/actuators/brokers-pool.ts';
import type { KafkaAdminPort } from '../../src/kafka/admin-port.ts';
import type { Decision } from '../../src/policies/types.ts';
import { brokerNodeIds, extraBrokerNodeId, readKafka3, startExtraBroker, stopExtraBroker } from '../env/services/kafka3.ts';

const { Kafka, logLevel } = kafkajs;
type KafkaClient = InstanceType<typeof Kafka>;

/** kafka3's three brokers plus the extra one: 3 or 4 brokers. */
export function kafka3BrokerPool(): BrokerPool & { resizes: number[] } {
  const nodes = [...brokerNodeIds, extraBrokerNodeId];
  const resizes: number[] = [];
  return {
    description: 'kafka3 (brokers 1-3, extra broker 4)',
    resizes,
    nodeIds: (count) => nodes.slice(0, count),
    size: () => {
      const extra = readKafka3().extraBroker;
      return Promise.resolve(brokerNodeIds.length + (extra?.pid != null ? 1 : 0));
    },
    async resize(count) {
      if (count < brokerNodeIds.length || count > nodes.length) throw new Error(`the kafka3 pool runs 3 or 4 brokers, not ${String(count)}`);
      resizes.push(count);
      // The actuator unregisters the broker it removes itself.
      if (count === nodes.length) await startExtraBroker();
      else await stopExtraBroker({ unregister: false });
    },
    close: () => Promise.resolve(),
  };
}

export function kafka3Client(clientId: string): KafkaClient {
  return new Kafka({ clientId, brokers: readKafka3().bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
}

/** Order-independent digest of a multiset of payloads: the sum of each payload's hash, mod 2^64. */
export function payloadChecksum(payloads: Iterable<string>): bigint {
  let sum = 0n;
  for (const payload of payloads) sum = (sum + createHash('sha256').update(payload).digest().readBigUInt64BE(0)) % 2n ** 64n;
  return sum;
}

/** The message of an error and of the errors it carries (the client nests the broker's answer). */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const nested = (error as Error & { errors?: unknown[] }).errors ?? (error.cause === undefined ? [] : [error.cause]);
  const inner = nested.map(describeFailure).join('; ');
  return inner === '' ? error.message : `${error.message} (${inner})`;
}

export interface ProducedLoad {
  /** Stops writing; resolves with the payloads Kafka acknowledged (acks=all), and any send that failed. */
  stop(): Promise<{ acknowledged: string[]; failures: string[] }>;
}

/**
 * Writes numbered messages in small batches, one batch at a time, each batch to the next of the
 * topic's partitions, until stopped. Idempotent, so a batch retried after a leader change is
 * written once. With @platformatic/kafka's producer: kafkajs' idempotent producer got
 * OUT_OF_ORDER_SEQUENCE_NUMBER for every send after the first leader change of a reassignment,
 * and had written some of the batches it reported failed. One partition per send, because the
 * package's retry sends all of a broker's messages to the current leader of the first one's
 * partition: after a leader change, messages of the other partitions get NOT_LEADER_OR_FOLLOWER
 * on every retry.
 */
export function produceContinuously(topic: string, partitions: number, messagesPerBatch: number, pauseMs: number): ProducedLoad {
  const producer = new Producer({
    clientId: 'lagpilot-test-load',
    bootstrapBrokers: readKafka3().bootstrap.split(','),
    idempotent: true,
    acks: ProduceAcks.ALL,
    serializers: stringSerializers,
    // 15 s of retries: a broker that is shutting down answers metadata from its last view.
    retries: 60,
    retryDelay: 250,
    // Its retries of a NOT_LEADER_OR_FOLLOWER answer reuse the cached metadata until it expires:
    // a short age lets a retry find the partition's new leader after a move or an election.
    metadataMaxAge: 500,
    autocreateTopics: false,
  });
  const acknowledged: string[] = [];
  const failures: string[] = [];
  const run = { stopping: false };
  let next = 0;
  let batches = 0;
  const loop = (async () => {
    while (!run.stopping) {
      const partition = batches++ % partitions;
      const batch = Array.from({ length: messagesPerBatch }, () => {
        const number = next++;
        return { partition, key: String(number), value: `message-${String(number)}-${'x'.repeat(number % 97)}` };
      });
      try {
        await producer.send({ messages: batch.map((message) => ({ topic, ...message })) });
        acknowledged.push(...batch.map((message) => message.value));
      } catch (error) {
        failures.push(`${new Date().toISOString()} ${batch[0]?.key ?? '?'}..: ${describeFailure(error).slice(0, 400)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
  return {
    async stop() {
      run.stopping = true;
      await loop;
      await producer.close();
      return { acknowledged, failures };
    },
  };
}

export interface ConsumedLoad {
  /** One payload per record of the log read (partition and offset), in the order first read. */
  payloads: string[];
  /** Records delivered again at a log position already read: a group rebalance re-delivers what was not yet committed. */
  redeliveries(): number;
  stop(): Promise<void>;
}

/**
 * Reads the topic from the beginning, all the time, keeping each record's payload once. A
 * consumer group delivers at least once: after a rebalance (a coordinator or leader moving) it
 * resumes from the last commit and hands over some records again. Those are recognised by their
 * position in the log, so a record written twice by the producer would still count twice.
 */
export async function consumeContinuously(client: KafkaClient, topic: string, groupId: string): Promise<ConsumedLoad> {
  const consumer = client.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const payloads: string[] = [];
  const positionsRead = new Set<string>();
  let redelivered = 0;
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      const position = `${String(partition)}@${message.offset}`;
      if (positionsRead.has(position)) {
        redelivered++;
      } else {
        positionsRead.add(position);
        payloads.push(message.value?.toString() ?? '');
      }
      return Promise.resolve();
    },
  });
  return {
    payloads,
    redeliveries: () => redelivered,
    async stop() {
      await consumer.disconnect();
    },
  };
}

export interface OfflineWatch {
  /** Stops polling; resolves with each observation of a partition without a leader, and the number of polls. */
  stop(): Promise<{ offline: string[]; polls: number; errors: string[] }>;
}

/** Reads the topic's metadata every `intervalMs` and records partitions that have no leader. */
export function watchForOfflinePartitions(admin: KafkaAdminPort, topic: string, intervalMs: number): OfflineWatch {
  const offline: string[] = [];
  const errors: string[] = [];
  let polls = 0;
  const run = { stopping: false };
  const loop = (async () => {
    while (!run.stopping) {
      try {
        const [description] = await admin.describeTopics([topic]);
        for (const partition of description?.partitions ?? []) {
          if (partition.leader < 0) offline.push(`${new Date().toISOString()} ${topic}[${String(partition.partition)}] replicas ${partition.replicas.join(',')} isr ${partition.isr.join(',')}`);
        }
        polls++;
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      run.stopping = true;
      await loop;
      return { offline, polls, errors };
    },
  };
}

/** A decision as the engine would hand it over: only current and desired matter to the actuator. */
export function brokerDecision(current: number, desired: number): Decision {
  return {
    time: Date.now() / 1000,
    current,
    desired,
    action: desired > current ? 'scaleUp' : desired < current ? 'scaleDown' : 'none',
    reasons: [],
    recommendations: [],
  };
}

/** Replica and leader counts per broker of one topic, from its metadata (actual leaders). */
export async function topicLoads(admin: KafkaAdminPort, topic: string, brokers: number[]): Promise<{ replicas: number[]; leaders: number[] }> {
  const [description] = await admin.describeTopics([topic]);
  const partitions = description?.partitions ?? [];
  return {
    replicas: brokers.map((nodeId) => partitions.filter((p) => p.replicas.includes(nodeId)).length),
    leaders: brokers.map((nodeId) => partitions.filter((p) => p.leader === nodeId).length),
  };
}
