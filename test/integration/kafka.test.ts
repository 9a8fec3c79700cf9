// The real Kafka of the local environment: produce, consume in a group, commit, and read the
// committed offsets back both with the Kafka client and with Kafka's own ConsumerGroupCommand.
// On kafka3: a replicated topic keeps serving with one broker stopped.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import kafkajs, { type Admin, type Consumer, type Producer } from 'kafkajs';
import { ensureService } from '../env/environment.ts';
import { describeCluster } from '../env/kafka/nodes.ts';
import type { KafkaClusterDetails, KafkaDetails } from '../env/services/kafka.ts';
import { startBroker, stopBroker, type Kafka3Details } from '../env/services/kafka3.ts';
import {
  consumeWithConsoleConsumer,
  describeConsumerGroupOffsets,
  listConsumerGroupTypes,
  parseConsumerGroupDescribe,
  parseProducerPerformance,
  runProducerPerformance,
  type ConsumerGroupOffsetRow,
} from './kafka-tools.ts';

// kafkajs is CommonJS; Node's ESM loader detects only some of its named exports, so the values
// come from its default export.
const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
type Kafka = InstanceType<typeof Kafka>;

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function kafkaClient(cluster: KafkaClusterDetails): Kafka {
  return new Kafka({
    clientId: 'lagpilot-integration-test',
    brokers: cluster.bootstrap.split(','),
    logLevel: logLevel.ERROR,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}

/** Produces `count` messages spread round-robin over the partitions; returns the count per partition. */
async function produceRoundRobin(producer: Producer, topic: string, partitions: number, count: number, from = 0): Promise<number[]> {
  const perPartition = new Array<number>(partitions).fill(0);
  const messages = Array.from({ length: count }, (_, index) => {
    const partition = (from + index) % partitions;
    perPartition[partition] = (perPartition[partition] ?? 0) + 1;
    return { partition, key: `key-${from + index}`, value: `message-${from + index}` };
  });
  await producer.send({ topic, acks: -1, messages });
  return perPartition;
}

/**
 * Consumes `expected` messages of the topic in a fresh group, from the beginning, commits the
 * offset after the last message of each partition, and returns the values read.
 */
async function consumeAndCommit(consumer: Consumer, topic: string, expected: number): Promise<string[]> {
  const values: string[] = [];
  const nextOffsets = new Map<number, bigint>();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const allRead = new Promise<void>((resolveRead, rejectRead) => {
    const deadline = setTimeout(() => {
      rejectRead(new Error(`consumed ${values.length} of ${expected} messages of ${topic} within 60 s`));
    }, 60_000);
    consumer
      .run({
        autoCommit: false,
        eachMessage: ({ partition, message }) => {
          values.push(message.value?.toString() ?? '');
          nextOffsets.set(partition, BigInt(message.offset) + 1n);
          if (values.length === expected) {
            clearTimeout(deadline);
            resolveRead();
          }
          return Promise.resolve();
        },
      })
      .catch((error: unknown) => {
        clearTimeout(deadline);
        rejectRead(error instanceof Error ? error : new Error(String(error)));
      });
  });
  await allRead;
  await consumer.commitOffsets(
    [...nextOffsets].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() })),
  );
  return values;
}

/** Committed offsets of a group on a topic, by partition, as the Kafka client reads them. */
async function committedOffsetsByClient(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [topicOffsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  if (topicOffsets === undefined) throw new Error(`no committed offsets of ${groupId} on ${topic}`);
  return new Map(topicOffsets.partitions.map(({ partition, offset }) => [partition, Number(offset)]));
}

function offsetsByPartition(rows: ConsumerGroupOffsetRow[], topic: string): Map<number, number | null> {
  return new Map(rows.filter((row) => row.topic === topic).map((row) => [row.partition, row.currentOffset]));
}

function sum(values: Iterable<number | null>): number {
  let total = 0;
  for (const value of values) total += value ?? 0;
  return total;
}

describe('Kafka (one KRaft node of the local environment)', function () {
  let cluster: KafkaDetails;
  let kafka: Kafka;
  let admin: Admin;

  before(async function () {
    // A first start may include the Maven download (about a minute on a busy machine).
    this.timeout(300_000);
    cluster = await ensureService<KafkaDetails>('kafka');
    kafka = kafkaClient(cluster);
    admin = kafka.admin();
    await admin.connect();
  });

  after(async function () {
    await admin.disconnect();
  });

  it('reads the same committed offsets with the Kafka client and with ConsumerGroupCommand', async function () {
    const topic = uniqueName('lagpilot-it-offsets');
    const groupId = uniqueName('lagpilot-it-group');
    const partitions = 3;
    const messageCount = 90;
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created, `topic ${topic} created`).to.equal(true);

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    let produced: number[];
    try {
      produced = await produceRoundRobin(producer, topic, partitions, messageCount);
    } finally {
      await producer.disconnect();
    }
    expect(produced).to.deep.equal([30, 30, 30]);

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    let values: string[];
    try {
      values = await consumeAndCommit(consumer, topic, messageCount);
    } finally {
      await consumer.disconnect();
    }
    expect(new Set(values).size).to.equal(messageCount);

    const byClient = await committedOffsetsByClient(admin, groupId, topic);
    const rows = await describeConsumerGroupOffsets(cluster, groupId);
    const byTool = offsetsByPartition(rows, topic);

    expect([...byClient].sort(([a], [b]) => a - b)).to.deep.equal([[0, 30], [1, 30], [2, 30]]);
    expect([...byTool].sort(([a], [b]) => a - b)).to.deep.equal([...byClient].sort(([a], [b]) => a - b));
    expect(sum(byTool.values())).to.equal(messageCount);
    for (const row of rows) {
      expect(row.group).to.equal(groupId);
      expect(row.logEndOffset, `log-end offset of partition ${row.partition}`).to.equal(30);
      expect(row.lag, `lag of partition ${row.partition}`).to.equal(0);
    }
  });

  it('enables the KIP-848 consumer group protocol on the broker', async function () {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(cluster.nodeId), configNames: ['group.coordinator.rebalance.protocols'] }],
    });
    const entry = described.resources[0]?.configEntries.find((config) => config.configName === 'group.coordinator.rebalance.protocols');
    expect(entry, 'group.coordinator.rebalance.protocols in DescribeConfigs').to.not.equal(undefined);
    expect(entry?.configValue.split(',')).to.include('consumer');
  });

  it('runs a KIP-848 consumer group (group.protocol=consumer) whose offsets the client reads', async function () {
    const topic = uniqueName('lagpilot-it-kip848');
    const groupId = uniqueName('lagpilot-it-kip848-group');
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true })).to.equal(true);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      expect(await produceRoundRobin(producer, topic, 2, 20)).to.deep.equal([10, 10]);
    } finally {
      await producer.disconnect();
    }

    const values = await consumeWithConsoleConsumer(cluster, {
      topic,
      group: groupId,
      maxMessages: 20,
      consumerProperties: { 'group.protocol': 'consumer' },
    });
    expect(new Set(values).size).to.equal(20);

    const types = await listConsumerGroupTypes(cluster);
    expect(types.get(groupId), `type of ${groupId}`).to.equal('Consumer');
    const byTool = offsetsByPartition(await describeConsumerGroupOffsets(cluster, groupId), topic);
    const byClient = await committedOffsetsByClient(admin, groupId, topic);
    expect([...byTool].sort(([a], [b]) => a - b)).to.deep.equal([[0, 10], [1, 10]]);
    expect([...byClient].sort(([a], [b]) => a - b)).to.deep.equal([[0, 10], [1, 10]]);
  });
});

describe("Kafka's tools against the one-node Kafka", function () {
  let cluster: KafkaDetails;

  before(async function () {
    this.timeout(300_000);
    cluster = await ensureService<KafkaDetails>('kafka');
  });

  it('ProducerPerformance writes the records it reports, as the client counts them', async function () {
    const topic = uniqueName('lagpilot-it-perf');
    const kafka = kafkaClient(cluster);
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true })).to.equal(true);
      const summary = await runProducerPerformance(cluster, { topic, records: 5_000, recordSize: 100, producerProperties: { acks: 'all' } });
      expect(summary.recordsSent).to.equal(5_000);
      expect(summary.recordsPerSecond).to.be.greaterThan(0);
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(sum(offsets.map((partition) => Number(partition.high)))).to.equal(5_000);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('ProducerPerformance output', function () {
  it('parses the summary line', function () {
    const stdout = '5000 records sent, 3076.923077 records/sec (0.29 MB/sec), 525.61 ms avg latency, 1128.00 ms max latency, 506 ms 50th, 671 ms 95th, 687 ms 99th, 702 ms 99.9th.\n';
    expect(parseProducerPerformance(stdout)).to.deep.equal({
      recordsSent: 5000,
      recordsPerSecond: 3076.923077,
      megabytesPerSecond: 0.29,
      averageLatencyMs: 525.61,
      maxLatencyMs: 1128,
      p50LatencyMs: 506,
      p95LatencyMs: 671,
      p99LatencyMs: 687,
      p999LatencyMs: 702,
    });
  });

  it('fails when there is no summary line', function () {
    expect(() => parseProducerPerformance('Option --producer-props has been deprecated\n')).to.throw(/no summary line/);
  });
});

describe("ConsumerGroupCommand's --describe output", function () {
  it('parses the offsets table, "-" as null, and skips the lines around it', function () {
    const stdout = [
      '',
      "Consumer group 'g1' has no active members.",
      '',
      'GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID',
      'g1              orders          0          30              42              12              -               -               -',
      'g1              orders          1          -               7               -               consumer-g1-1-a /127.0.0.1      consumer-g1-1',
      '',
    ].join('\n');
    expect(parseConsumerGroupDescribe(stdout)).to.deep.equal([
      { group: 'g1', topic: 'orders', partition: 0, currentOffset: 30, logEndOffset: 42, lag: 12, consumerId: null, host: null, clientId: null },
      { group: 'g1', topic: 'orders', partition: 1, currentOffset: null, logEndOffset: 7, lag: null, consumerId: 'consumer-g1-1-a', host: '/127.0.0.1', clientId: 'consumer-g1-1' },
    ]);
  });

  it('refuses a table whose columns it does not know', function () {
    const stdout = 'GROUP TOPIC PARTITION LEADER-EPOCH CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID\n';
    expect(() => parseConsumerGroupDescribe(stdout)).to.throw(/unexpected header/);
  });
});

describe('Kafka cluster of three brokers (kafka3)', function () {
  let cluster: Kafka3Details;

  before(async function () {
    // Four JVMs starting on two cores: 15 s on a quiet machine, 40 s seen on a busy one.
    this.timeout(300_000);
    cluster = await ensureService<Kafka3Details>('kafka3');
  });

  it('keeps serving a replicated topic with one broker stopped, and takes the broker back', async function () {
    const stoppedBroker = 2;
    const topic = uniqueName('lagpilot-it-replicated');
    const groupId = uniqueName('lagpilot-it-group');
    const partitions = 3;
    const kafka = kafkaClient(cluster);
    const admin = kafka.admin();
    await admin.connect();
    try {
      // No replication factor given: the cluster's default (3) applies, with min ISR 2.
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })).to.equal(true);
      const createdMetadata = await admin.fetchTopicMetadata({ topics: [topic] });
      for (const partition of createdMetadata.topics[0]?.partitions ?? []) {
        expect([...partition.replicas].sort(), `replicas of partition ${partition.partitionId}`).to.deep.equal([1, 2, 3]);
      }

      await stopBroker(stoppedBroker);
      try {
        const liveAddresses = cluster.brokers.filter((broker) => broker.nodeId !== stoppedBroker).map((broker) => `127.0.0.1:${broker.port}`);
        const view = await describeCluster(liveAddresses);
        expect(view.brokerIds, 'live brokers with one stopped').to.deep.equal([1, 3]);

        // acks=all succeeds: two in-sync replicas remain, which min.insync.replicas=2 requires.
        const producer = kafka.producer({ allowAutoTopicCreation: false });
        await producer.connect();
        try {
          await produceRoundRobin(producer, topic, partitions, 60);
        } finally {
          await producer.disconnect();
        }
        const degraded = await admin.fetchTopicMetadata({ topics: [topic] });
        for (const partition of degraded.topics[0]?.partitions ?? []) {
          expect(partition.leader, `leader of partition ${partition.partitionId}`).to.not.equal(stoppedBroker);
          expect(partition.isr, `ISR of partition ${partition.partitionId}`).to.not.include(stoppedBroker);
        }

        const consumer = kafka.consumer({ groupId });
        await consumer.connect();
        try {
          expect(await consumeAndCommit(consumer, topic, 60)).to.have.length(60);
        } finally {
          await consumer.disconnect();
        }
        const rows = await describeConsumerGroupOffsets(cluster, groupId);
        expect(sum(offsetsByPartition(rows, topic).values())).to.equal(60);
      } finally {
        await startBroker(stoppedBroker);
      }

      const view = await describeCluster(cluster.bootstrap.split(','));
      expect(view.brokerIds, 'live brokers after the restart').to.deep.equal([1, 2, 3]);
      // The restarted broker catches up and rejoins every partition's ISR.
      const giveUpAt = Date.now() + 60_000;
      let isrs: number[][] = [];
      for (;;) {
        const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
        isrs = (metadata.topics[0]?.partitions ?? []).map((partition) => [...partition.isr].sort());
        if (isrs.every((isr) => isr.includes(stoppedBroker)) || Date.now() > giveUpAt) break;
        await new Promise((resolveWait) => setTimeout(resolveWait, 500));
      }
      expect(isrs).to.deep.equal([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    } finally {
      await admin.disconnect();
    }
  });
});
