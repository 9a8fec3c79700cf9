// The lag collector against the outside reference: groups in every state on the local Kafka,
// one lagpilot sweep and one ConsumerGroupCommand --describe at the same quiet moment (nothing
// produces or commits in between), compared partition by partition. Also the exact lag seconds
// against records produced with known timestamps, and the estimated mode across two sweeps.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import kafkajs, { type Admin, type Consumer } from 'kafkajs';
import { KafkaClusterRegistry } from '../../src/collectors/kafka-clusters.ts';
import { KafkaLagCollector, type GroupReport, type LagTarget, type PartitionReport } from '../../src/collectors/kafka-lag.ts';
import { MemoryOffsetHistoryStore } from '../../src/collectors/lag-seconds.ts';
import { RedisOffsetHistoryStore } from '../../src/collectors/redis-offset-history.ts';
import { Redis } from 'ioredis';
import type { RedisDetails } from '../env/services/redis.ts';
import type { KafkaAdminPort } from '../../src/kafka/admin-port.ts';
import { PlatformaticKafkaAdmin } from '../../src/kafka/platformatic-admin.ts';
import { ensureService } from '../env/environment.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { consumeWithConsoleConsumer, parseConsumerGroupDescribe, runConsumerGroupCommand, type ConsumerGroupOffsetRow } from './kafka-tools.ts';

const { Kafka, logLevel } = kafkajs;
type Kafka = InstanceType<typeof Kafka>;

const clusterName = 'local';
const partitions = 3;
const perPartition = 10;
// Message j of partition p carries this timestamp, so the age of any offset is known exactly.
const stepMs = 10_000;

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function recordTimestamp(baseMs: number, partition: number, index: number): number {
  return baseMs + index * stepMs + partition * 1000;
}

async function createAndFill(kafka: Kafka, admin: Admin, topic: string, baseMs: number): Promise<void> {
  expect(await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true })).to.equal(true);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = Array.from({ length: partitions * perPartition }, (_, n) => {
      const partition = n % partitions;
      const index = Math.floor(n / partitions);
      return { partition, value: `m-${String(partition)}-${String(index)}`, timestamp: String(recordTimestamp(baseMs, partition, index)) };
    });
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

async function commit(admin: Admin, groupId: string, topic: string, offsets: Record<number, number>): Promise<void> {
  await admin.setOffsets({ groupId, topic, partitions: Object.entries(offsets).map(([partition, offset]) => ({ partition: Number(partition), offset: String(offset) })) });
}

/** Joins the group and keeps running; commits everything it reads when `commitAll`, nothing otherwise. */
async function runConsumer(kafka: Kafka, groupId: string, topic: string, commitAll: boolean): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, rebalanceTimeout: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let read = 0;
  const done = new Promise<void>((resolveDone, rejectDone) => {
    const deadline = setTimeout(() => { rejectDone(new Error(`consumer of ${groupId} read ${String(read)} messages of ${topic} in 60 s`)); }, 60_000);
    consumer
      .run({
        autoCommit: commitAll,
        autoCommitThreshold: 1,
        eachMessage: async () => {
          read += 1;
          if (read === partitions * perPartition) {
            clearTimeout(deadline);
            resolveDone();
          }
          return Promise.resolve();
        },
      })
      .catch((error: unknown) => { clearTimeout(deadline); rejectDone(error instanceof Error ? error : new Error(String(error))); });
  });
  await done;
  if (commitAll) await consumer.commitOffsets([]);
  return consumer;
}

async function waitForCommitted(admin: Admin, groupId: string, topic: string, expected: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const total = (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    if (total === expected) return;
    if (Date.now() > deadline) throw new Error(`group ${groupId} committed ${String(total)} of ${String(expected)} offsets on ${topic} within 30 s`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}

function byPartition(report: GroupReport): Map<string, PartitionReport> {
  return new Map(report.partitions.map((p) => [`${p.topic}/${String(p.partition)}`, p]));
}

function num(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}

describe('Kafka lag collector against ConsumerGroupCommand (local Kafka)', function () {
  let cluster: KafkaDetails;
  let kafka: Kafka;
  let admin: Admin;
  let port: KafkaAdminPort;
  const consumers: Consumer[] = [];

  before(async function () {
    this.timeout(300_000);
    cluster = await ensureService<KafkaDetails>('kafka');
    kafka = new Kafka({ clientId: 'lagpilot-lag-test', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
    admin = kafka.admin();
    await admin.connect();
    port = new PlatformaticKafkaAdmin({ bootstrapServers: cluster.bootstrap.split(',') });
  });

  after(async function () {
    for (const consumer of consumers) await consumer.disconnect();
    await admin.disconnect();
    await port.close();
  });

  function newCollector(): { registry: KafkaClusterRegistry; collector: KafkaLagCollector } {
    const registry = new KafkaClusterRegistry([{ name: clusterName, bootstrap: cluster.bootstrap.split(','), clientId: 'lagpilot-lag-test' }]);
    return { registry, collector: new KafkaLagCollector(registry, { historyStore: new MemoryOffsetHistoryStore() }) };
  }

  it('agrees with ConsumerGroupCommand on every group state, in one sweep with batched requests', async function () {
    this.timeout(240_000);
    const baseMs = Date.now() - 600_000;
    const topic = uniqueName('lag-it');
    const trimmedTopic = uniqueName('lag-it-trimmed');
    const kip848Topic = uniqueName('lag-it-kip848');
    await createAndFill(kafka, admin, topic, baseMs);
    await createAndFill(kafka, admin, trimmedTopic, baseMs);
    await createAndFill(kafka, admin, kip848Topic, baseMs);

    const groups = {
      active: uniqueName('lag-active'),
      empty: uniqueName('lag-empty'),
      neverCommitted: uniqueName('lag-never'),
      partly: uniqueName('lag-partly'),
      trimmed: uniqueName('lag-trimmed'),
      kip848: uniqueName('lag-kip848'),
    };
    consumers.push(await runConsumer(kafka, groups.active, topic, true));
    await waitForCommitted(admin, groups.active, topic, partitions * perPartition);
    consumers.push(await runConsumer(kafka, groups.neverCommitted, topic, false));
    await commit(admin, groups.empty, topic, { 0: 3, 1: 5, 2: 10 });
    await commit(admin, groups.partly, topic, { 0: 4 });
    // Trimmed topic: partition 0 committed above the new log start, partition 1 below it, partition 2 untouched.
    await commit(admin, groups.trimmed, trimmedTopic, { 0: 8, 1: 2, 2: 7 });
    await port.deleteRecords([{ topic: trimmedTopic, partition: 0, beforeOffset: 5n }, { topic: trimmedTopic, partition: 1, beforeOffset: 6n }]);
    await consumeWithConsoleConsumer(cluster, { topic: kip848Topic, group: groups.kip848, maxMessages: 20, consumerProperties: { 'group.protocol': 'consumer' } });

    const target = (name: string, group: string, topics: string[]): LagTarget => ({ name, cluster: clusterName, consumerGroup: group, topics, offsetReset: 'earliest', lagSeconds: 'exact' });
    const targets = [
      target('active', groups.active, [topic]),
      target('empty', groups.empty, [topic]),
      target('never', groups.neverCommitted, [topic]),
      target('partly', groups.partly, [topic]),
      target('trimmed', groups.trimmed, [trimmedTopic]),
      target('kip848', groups.kip848, [kip848Topic]),
    ];
    const { registry, collector } = newCollector();
    try {
      const nowMs = Date.now();
      const sweep = await collector.sweep(targets, { nowMs, signal: new AbortController().signal });
      const reference = parseConsumerGroupDescribe(
        await runConsumerGroupCommand(cluster, ['--describe', ...Object.values(groups).flatMap((group) => ['--group', group])]),
      );
      const rowsOf = (group: string): ConsumerGroupOffsetRow[] => reference.filter((row) => row.group === group);

      // Six groups and three topics on one broker: one OffsetFetch, one ListOffsets per offset
      // kind; one Metadata each for the topics, the two ListOffsets and the record reads.
      const requests = sweep.requests.get(clusterName) ?? {};
      expect(requests.OffsetFetch, JSON.stringify(requests)).to.equal(1);
      expect(requests.ListOffsets, JSON.stringify(requests)).to.equal(2);
      expect(requests.Metadata, JSON.stringify(requests)).to.be.at.most(4);

      for (const { name, consumerGroup } of targets) {
        const report = sweep.groups.get(name);
        if (report === undefined) throw new Error(`no report for ${name}`);
        const ours = byPartition(report);
        const rows = rowsOf(consumerGroup);
        expect(rows.length, `ConsumerGroupCommand rows of ${name}`).to.be.greaterThan(0);
        for (const row of rows) {
          const partition = ours.get(`${row.topic}/${String(row.partition)}`);
          if (partition === undefined) throw new Error(`${name}: lagpilot has no ${row.topic}/${String(row.partition)}`);
          const where = `${name} ${row.topic}/${String(row.partition)}`;
          expect(num(partition.committedOffset), `${where} committed`).to.equal(row.currentOffset);
          expect(num(partition.logEndOffset), `${where} log end`).to.equal(row.logEndOffset);
          if (partition.flags.includes('committed-below-log-start')) {
            // Kafka's tool counts the deleted messages too; lagpilot counts only retained ones.
            expect(num(partition.lag), `${where} retained lag`).to.equal(Number(partition.logEndOffset) - Number(partition.logStartOffset));
            expect(row.lag, `${where} tool lag`).to.equal(Number(partition.logEndOffset) - Number(partition.committedOffset));
          } else if (row.currentOffset === null) {
            expect(partition.flags, where).to.deep.equal(['no-committed-offset']);
            expect(num(partition.lag), `${where} lag from the earliest offset`).to.equal(perPartition);
          } else {
            expect(num(partition.lag), `${where} lag`).to.equal(row.lag);
          }
          expect(partition.consumer?.clientId ?? null, `${where} client`).to.equal(row.clientId);
        }
      }

      const reports = Object.fromEntries([...sweep.groups].map(([name, report]) => [name, report]));
      const reportOf = (name: string): GroupReport => {
        const report = sweep.groups.get(name);
        if (report === undefined) throw new Error(`no report for target ${name}`);
        return report;
      };
      expect(reports.active?.state).to.equal('Stable');
      expect(reports.active?.members).to.have.length(1);
      expect(reports.active?.totalLag).to.equal(0n);
      expect(reports.never?.totalLag).to.equal(BigInt(partitions * perPartition));
      expect(reports.empty?.state).to.equal('Empty');
      expect(reports.empty?.totalLag).to.equal(BigInt(7 + 5 + 0));
      // Partly committed: the tool lists only partition 0; lagpilot also shows the others, flagged.
      expect(rowsOf(groups.partly).map((row) => row.partition)).to.deep.equal([0]);
      expect(reports.partly?.partitions.filter((p) => p.flags.includes('no-committed-offset')).map((p) => p.partition)).to.deep.equal([1, 2]);
      const trimmed = byPartition(reportOf('trimmed'));
      expect(trimmed.get(`${trimmedTopic}/0`)?.logStartOffset).to.equal(5n);
      expect(trimmed.get(`${trimmedTopic}/0`)?.lag).to.equal(2n);
      expect(trimmed.get(`${trimmedTopic}/1`)?.flags).to.deep.equal(['committed-below-log-start']);
      expect(trimmed.get(`${trimmedTopic}/1`)?.lag).to.equal(4n);
      expect(reports.kip848?.groupType).to.equal('consumer');
      expect(reports.kip848?.totalLag).to.equal(BigInt(partitions * perPartition - 20));
      for (const report of sweep.groups.values()) {
        expect(report.errors, `${report.target} errors`).to.deep.equal([]);
        expect(report.partial, `${report.target} partial`).to.equal(false);
      }

      // Exact lag seconds: the record at the resume offset has a known timestamp.
      const empty = byPartition(reportOf('empty'));
      for (const [partition, committed] of [[0, 3], [1, 5]] as const) {
        const expected = (nowMs - recordTimestamp(baseMs, partition, committed)) / 1000;
        expect(empty.get(`${topic}/${String(partition)}`)?.lagSeconds, `exact lag seconds of partition ${String(partition)}`).to.be.closeTo(expected, 1);
      }
      expect(empty.get(`${topic}/2`)?.lagSeconds).to.equal(0);
      expect(reports.empty?.maxLagSeconds).to.be.closeTo((nowMs - recordTimestamp(baseMs, 0, 3)) / 1000, 1);
      // Retained only: partition 1 of the trimmed topic resumes at the new log start (offset 6).
      expect(trimmed.get(`${trimmedTopic}/1`)?.lagSeconds).to.be.closeTo((nowMs - recordTimestamp(baseMs, 1, 6)) / 1000, 1);
    } finally {
      await collector.close();
      await registry.close();
    }
  });

  it('selects topics by a pattern matched against whole names', async function () {
    this.timeout(120_000);
    const prefix = uniqueName('lag-pattern');
    const baseMs = Date.now() - 60_000;
    await createAndFill(kafka, admin, `${prefix}-a`, baseMs);
    await createAndFill(kafka, admin, `${prefix}-b`, baseMs);
    await createAndFill(kafka, admin, `${prefix}-b-suffix`, baseMs);
    const group = uniqueName('lag-pattern-group');
    await commit(admin, group, `${prefix}-a`, { 0: 1, 1: 1, 2: 1 });
    const { registry, collector } = newCollector();
    try {
      const pattern = `${prefix.replace(/[-]/g, '\\-')}-[ab]`;
      const result = await collector.collect(
        { name: 'pattern', cluster: clusterName, consumerGroup: group, topicPattern: pattern, offsetReset: 'latest', lagSeconds: 'off' },
        { nowMs: Date.now(), signal: new AbortController().signal },
      );
      expect(result.errors).to.deep.equal([]);
      const total = result.samples.find((s) => s.name === 'consumergroup_lag_messages');
      // -a: 9 per partition; -b: never committed, reset latest: 0; -b-suffix does not match.
      expect(total?.value).to.equal(27);
      const topics = new Set(result.samples.filter((s) => s.name === 'consumergroup_partition_lag_messages').map((s) => s.labels.topic));
      expect([...topics].sort()).to.deep.equal([`${prefix}-a`, `${prefix}-b`]);
    } finally {
      await collector.close();
      await registry.close();
    }
  });

  it('estimates lag seconds from the log-end history of earlier sweeps', async function () {
    this.timeout(120_000);
    const topic = uniqueName('lag-estimated');
    const group = uniqueName('lag-estimated-group');
    await createAndFill(kafka, admin, topic, Date.now());
    await commit(admin, group, topic, { 0: perPartition, 1: perPartition, 2: perPartition });
    const { registry, collector } = newCollector();
    const target: LagTarget = { name: 'estimated', cluster: clusterName, consumerGroup: group, topics: [topic], offsetReset: 'earliest', lagSeconds: 'estimated' };
    try {
      const firstAt = Date.now();
      const first = await collector.sweep([target], { nowMs: firstAt, signal: new AbortController().signal });
      expect(first.groups.get('estimated')?.maxLagSeconds).to.equal(0);
      await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const producedAt = Date.now();
      await producer.send({ topic, acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: 'late' })) });
      await producer.disconnect();
      await new Promise((resolveWait) => setTimeout(resolveWait, 3000));
      const secondAt = Date.now();
      const second = await collector.sweep([target], { nowMs: secondAt, signal: new AbortController().signal });
      const report = second.groups.get('estimated');
      // The one new message per partition was appended between the two sweeps: the estimate puts
      // it in the middle of that gap, so it is off by at most half the gap.
      expect(report?.partitions.map((p) => p.lagSecondsQuality)).to.deep.equal(['interpolated', 'interpolated', 'interpolated']);
      const trueAge = (secondAt - producedAt) / 1000;
      for (const partition of report?.partitions ?? []) {
        expect(partition.lagSeconds).to.be.at.least(0);
        expect(partition.lagSeconds).to.be.at.most((secondAt - firstAt) / 1000);
        expect(partition.lagSeconds).to.be.closeTo((secondAt - firstAt) / 2000, 0.01);
        expect(Math.abs((partition.lagSeconds ?? 0) - trueAge)).to.be.at.most((secondAt - firstAt) / 2000);
      }
    } finally {
      await collector.close();
      await registry.close();
    }
  });
  it('keeps the estimated mode\'s history in Redis, so a restarted collector continues it', async function () {
    this.timeout(120_000);
    const redis = await ensureService<RedisDetails>('redis');
    const keyPrefix = `${uniqueName('lag-it')}:`;
    const topic = uniqueName('lag-history');
    const group = uniqueName('lag-history-group');
    await createAndFill(kafka, admin, topic, Date.now());
    await commit(admin, group, topic, { 0: perPartition, 1: perPartition, 2: perPartition });
    const target: LagTarget = { name: 'history', cluster: clusterName, consumerGroup: group, topics: [topic], offsetReset: 'earliest', lagSeconds: 'estimated' };
    const storeOn = (): RedisOffsetHistoryStore => new RedisOffsetHistoryStore(new Redis(redis.url, { maxRetriesPerRequest: 0 }), { keyPrefix, ownsClient: true });
    const registry = new KafkaClusterRegistry([{ name: clusterName, bootstrap: cluster.bootstrap.split(','), clientId: 'lagpilot-lag-test' }]);
    const firstAt = Date.now();
    const before = new KafkaLagCollector(registry, { historyStore: storeOn() });
    try {
      await before.sweep([target], { nowMs: firstAt, signal: new AbortController().signal });
    } finally {
      await before.close();
    }
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: 'after the restart' })) });
    await producer.disconnect();
    await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    const after = new KafkaLagCollector(registry, { historyStore: storeOn() });
    try {
      const secondAt = Date.now();
      const report = (await after.sweep([target], { nowMs: secondAt, signal: new AbortController().signal })).groups.get('history');
      // Without the stored first point the new collector could say nothing ("no-history").
      expect(report?.partitions.map((p) => p.lagSecondsQuality)).to.deep.equal(['interpolated', 'interpolated', 'interpolated']);
      for (const partition of report?.partitions ?? []) expect(partition.lagSeconds).to.be.closeTo((secondAt - firstAt) / 2000, 0.01);
    } finally {
      await after.close();
      await registry.close();
    }
    const check = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    try {
      expect(await check.hlen(`${keyPrefix}offset-history:${clusterName}`)).to.be.at.least(3);
      await check.del(`${keyPrefix}offset-history:${clusterName}`);
    } finally {
      await check.quit();
    }
  });
});
