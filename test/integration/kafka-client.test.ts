// The Kafka admin port (on @platformatic/kafka) against the real Kafka 4 broker of the local
// environment. Groups with members are made by Kafka's own console consumer, so what the port
// reports is checked against the reference client, for a classic group and a KIP-848 group.
import { expect } from 'chai';
import { Admin, Producer } from '@platformatic/kafka';
import { ensureService } from '../env/environment.ts';
import { freeLoopbackPort } from '../env/ports.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { PlatformaticKafkaAdmin } from '../../src/kafka/platformatic-admin.ts';
import { KafkaAdminError } from '../../src/kafka/errors.ts';
import { requestCountsBetween, type ConsumerGroupDescription, type KafkaAdminPort } from '../../src/kafka/admin-port.ts';
import { startConsoleConsumer, waitFor, type RunningConsoleConsumer } from '../../bench/kafka-console-consumer.ts';

const partitions = 3;
const recordsPerPartition = 10;

describe('Kafka admin port on @platformatic/kafka (real Kafka 4)', function () {
  let kafka: KafkaDetails;
  let port: KafkaAdminPort;
  // Unique per run: a leftover topic or group of an earlier run cannot make a test pass.
  const runId = `${String(process.pid)}-${String(Date.now())}`;
  const topic = `lagpilot-port-${runId}`;
  /** Timestamp of each produced record: partition p, record i → base + p * 1000 + i. */
  // Recent on purpose: records older than retention.ms (7 days) would be deleted by the broker.
  const baseTimestampMs = Date.now() - 60_000;
  const consumers: RunningConsoleConsumer[] = [];

  before(async function () {
    kafka = await ensureService<KafkaDetails>('kafka');
    port = new PlatformaticKafkaAdmin({ bootstrapServers: [kafka.bootstrap], clientId: 'lagpilot-port-test' });
    await port.createTopics([{ name: topic, partitions, replicationFactor: 1 }]);
    const producer = new Producer({ clientId: 'lagpilot-port-test-producer', bootstrapBrokers: [kafka.bootstrap] });
    try {
      const messages = [];
      for (let partition = 0; partition < partitions; partition++) {
        for (let index = 0; index < recordsPerPartition; index++) {
          messages.push({
            topic,
            partition,
            key: Buffer.from(`key-${String(partition)}-${String(index)}`),
            value: Buffer.from(`value-${String(index)}`),
            timestamp: BigInt(baseTimestampMs + partition * 1000 + index),
          });
        }
      }
      // Idempotent: a retried send after a slow answer must not duplicate records the assertions count.
      await producer.send({ messages, acks: -1, idempotent: true });
    } finally {
      await producer.close();
    }
  });

  after(async function () {
    for (const consumer of consumers) await consumer.stop();
    // The port owns nothing shared: deleting this run's topic and closing is all the cleanup.
    await port.deleteTopics([topic]).catch(() => undefined);
    await port.close();
  });

  async function describeWhenAssigned(groupId: string, consumer: RunningConsoleConsumer): Promise<ConsumerGroupDescription> {
    return waitFor(
      `group ${groupId} to be Stable with one member owning all ${String(partitions)} partitions`,
      async () => {
        const description = (await port.describeConsumerGroups([groupId])).get(groupId);
        const owned = description?.members[0]?.assignment[0]?.partitions.length ?? 0;
        return description?.state === 'Stable' && description.members.length === 1 && owned === partitions ? description : undefined;
      },
      60_000,
      () => `console consumer output: ${consumer.output().slice(-2000)}`,
    );
  }

  for (const groupProtocol of ['classic', 'consumer'] as const) {
    it(`lists and describes a ${groupProtocol} group made by Kafka's console consumer`, async function () {
      const groupId = `lagpilot-port-${groupProtocol}-${runId}`;
      const consumer = startConsoleConsumer({ java: kafka.java, toolsLibDir: kafka.toolsLibDir, bootstrap: kafka.bootstrap, topic, groupId, groupProtocol });
      consumers.push(consumer);

      const description = await describeWhenAssigned(groupId, consumer);
      expect(description.groupType).to.equal(groupProtocol);
      expect(description.members[0]?.assignment).to.deep.equal([{ topic, partitions: [0, 1, 2] }]);
      expect(description.members[0]?.clientId).to.match(/console-consumer/);

      const listed = (await port.listConsumerGroups()).find((group) => group.groupId === groupId);
      expect(listed, `group ${groupId} in listConsumerGroups`).to.not.equal(undefined);
      expect(listed?.groupType).to.equal(groupProtocol);
      expect(listed?.protocolType).to.equal('consumer');

      // The console consumer commits what it read: all records of every partition.
      const committed = await waitFor(
        `group ${groupId} to commit offset ${String(recordsPerPartition)} on every partition`,
        async () => {
          const offsets = (await port.fetchCommittedOffsets([groupId])).get(groupId) ?? [];
          return offsets.length === partitions && offsets.every((o) => o.offset === BigInt(recordsPerPartition)) ? offsets : undefined;
        },
        30_000,
        () => consumer.output().slice(-2000),
      );
      expect(committed.map((o) => o.partition)).to.deep.equal([0, 1, 2]);
      await consumer.stop();
    });
  }

  it('fetches the committed offsets of several groups in one OffsetFetch request, equal to what was committed', async function () {
    const committer = new Admin({ clientId: 'lagpilot-port-test-committer', bootstrapBrokers: [kafka.bootstrap] });
    const expected = new Map<string, bigint[]>();
    try {
      for (let index = 0; index < 5; index++) {
        const groupId = `lagpilot-port-offsets-${String(index)}-${runId}`;
        const offsets = [BigInt(index), BigInt(index + 3), BigInt(recordsPerPartition - index)];
        await committer.alterConsumerGroupOffsets({
          groupId,
          topics: [{ name: topic, partitionOffsets: offsets.map((offset, partition) => ({ partition, offset })) }],
        });
        expected.set(groupId, offsets);
      }
    } finally {
      await committer.close();
    }
    const unknownGroup = `lagpilot-port-never-committed-${runId}`;
    const before = port.requestCounts();
    const fetched = await port.fetchCommittedOffsets([...expected.keys(), unknownGroup]);
    const sent = requestCountsBetween(before, port.requestCounts());

    for (const [groupId, offsets] of expected) {
      expect(fetched.get(groupId)?.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })), groupId).to.deep.equal(
        offsets.map((offset, partition) => ({ topic, partition, offset })),
      );
    }
    expect(fetched.get(unknownGroup)).to.deep.equal([]);
    expect(sent.OffsetFetch).to.equal(1);
  });

  it('lists earliest and latest offsets after deleteRecords, and offsets by timestamp', async function () {
    const all = [0, 1, 2].map((partition) => ({ topic, partition }));
    const latest = await port.listOffsets(all, { kind: 'latest' });
    expect(latest.map((o) => o.offset)).to.deep.equal([10n, 10n, 10n]);

    const deleted = await port.deleteRecords([{ topic, partition: 1, beforeOffset: 4n }]);
    expect(deleted).to.deep.equal([{ topic, partition: 1, lowWatermark: 4n }]);

    const before = port.requestCounts();
    const earliest = await port.listOffsets(all, { kind: 'earliest' });
    expect(earliest.map((o) => o.offset)).to.deep.equal([0n, 4n, 0n]);
    // All partitions have the one broker as leader: one ListOffsets, after the leaders are looked up.
    expect(requestCountsBetween(before, port.requestCounts())).to.deep.equal({ Metadata: 1, ListOffsets: 1 });

    // Partition 2's records carry timestamps base+2000 … base+2009: the first at or after base+2005 is offset 5.
    const byTimestamp = await port.listOffsets([{ topic, partition: 2 }], { kind: 'timestamp', timestampMs: baseTimestampMs + 2005 });
    expect(byTimestamp).to.deep.equal([{ topic, partition: 2, offset: 5n, timestampMs: baseTimestampMs + 2005 }]);
  });

  it("reads a record's timestamp at an offset with one Fetch request", async function () {
    const before = port.requestCounts();
    const record = await port.fetchRecord(topic, 0, 7n);
    const sent = requestCountsBetween(before, port.requestCounts());
    expect(record?.offset).to.equal(7n);
    expect(record?.timestampMs).to.equal(baseTimestampMs + 7);
    expect(record?.key?.toString('utf8')).to.equal('key-0-7');
    expect(sent.Fetch).to.equal(1);

    expect(await port.fetchRecord(topic, 0, 10n)).to.equal(null);
  });

  it('reads the records at many positions with one Metadata request and Fetch requests batched per leader', async function () {
    const positions = [
      { topic, partition: 2, offset: 3n },
      { topic, partition: 0, offset: 9n },
      { topic, partition: 2, offset: 8n },
      { topic, partition: 0, offset: 10n },
    ];
    const before = port.requestCounts();
    const records = await port.fetchRecords(positions);
    const sent = requestCountsBetween(before, port.requestCounts());
    expect(records.map((r) => (r === null ? null : [r.partition, r.offset, r.timestampMs - baseTimestampMs]))).to.deep.equal([
      [2, 3n, 2003],
      [0, 9n, 9],
      [2, 8n, 2008],
      null,
    ]);
    // Partition 2 is asked for twice: a Fetch carries each partition once, so two rounds.
    expect(sent).to.deep.equal({ Metadata: 1, Fetch: 2 });
  });

  it('describes the topic, the cluster, configs and log dirs', async function () {
    const [description] = await port.describeTopics([topic]);
    expect(description?.partitions.map((p) => p.leader)).to.deep.equal([kafka.nodeId, kafka.nodeId, kafka.nodeId]);

    const cluster = await port.describeCluster();
    expect(cluster.clusterId).to.equal(kafka.clusterId);
    expect(cluster.brokers).to.deep.equal([{ nodeId: kafka.nodeId, host: '127.0.0.1', port: kafka.port, rack: null }]);
    expect(cluster.controllerId).to.equal(kafka.nodeId);

    const [topicConfig, brokerConfig] = await port.describeConfigs([
      { kind: 'topic', name: topic },
      { kind: 'broker', name: String(kafka.nodeId) },
    ]);
    expect(topicConfig?.entries.get('cleanup.policy')?.value).to.equal('delete');
    expect(brokerConfig?.entries.get('offsets.topic.replication.factor')?.value).to.equal('1');

    const logDirs = await port.describeLogDirs();
    const ours = logDirs.flatMap((dir) => dir.partitions).filter((p) => p.topic === topic);
    expect(ours.map((p) => p.partition).sort()).to.deep.equal([0, 1, 2]);
    expect(ours.every((p) => p.sizeBytes > 0n)).to.equal(true);
  });

  it('reports no ongoing reassignment with one Metadata request, and accepts a reassignment to the replica it already has', async function () {
    await port.alterPartitionReassignments([{ topic, partition: 0, replicas: [kafka.nodeId] }]);
    const ongoing = await waitFor('the no-op reassignment to finish', async () => {
      const listed = await port.listPartitionReassignments([topic]);
      return listed.length === 0 ? listed : undefined;
    }, 10_000);
    expect(ongoing).to.deep.equal([]);

    // Polled while a reassignment batch moves: one Metadata request finds both the partitions and a broker to ask.
    const before = port.requestCounts();
    expect(await port.listPartitionReassignments([topic])).to.deep.equal([]);
    expect(requestCountsBetween(before, port.requestCounts())).to.deep.equal({ Metadata: 1, ListPartitionReassignments: 1 });
  });

  it('fails with UNKNOWN_TOPIC naming the topic', async function () {
    const missing = `lagpilot-port-missing-${runId}`;
    for (const call of [
      () => port.describeTopics([missing]),
      () => port.listOffsets([{ topic: missing, partition: 0 }], { kind: 'latest' }),
      () => port.fetchRecord(missing, 0, 0n),
      () => port.listOffsets([{ topic, partition: partitions }], { kind: 'latest' }),
    ]) {
      const error: unknown = await call().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).to.be.instanceOf(KafkaAdminError);
      expect((error as KafkaAdminError).code).to.equal('UNKNOWN_TOPIC');
      expect((error as KafkaAdminError).message).to.match(new RegExp(`${missing}|${topic}`));
    }
  });

  it('fails with BROKER_UNREACHABLE naming the address when no broker listens there', async function () {
    const deadAddress = `127.0.0.1:${String(await freeLoopbackPort())}`;
    const unreachable = new PlatformaticKafkaAdmin({ bootstrapServers: [deadAddress], retries: 0, requestTimeoutMs: 2_000 });
    try {
      const error: unknown = await unreachable.describeCluster().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).to.be.instanceOf(KafkaAdminError);
      expect((error as KafkaAdminError).code).to.equal('BROKER_UNREACHABLE');
      expect((error as KafkaAdminError).message).to.contain(deadAddress);
    } finally {
      await unreachable.close();
    }
  });

  it('refuses calls after close, and close twice is fine', async function () {
    const closing = new PlatformaticKafkaAdmin({ bootstrapServers: [kafka.bootstrap] });
    await closing.describeCluster();
    await closing.close();
    await closing.close();
    const error: unknown = await closing.describeCluster().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect((error as KafkaAdminError).code).to.equal('CLOSED');
  });
});
