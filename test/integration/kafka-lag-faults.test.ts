// The lag collector when part of the world is missing: an unknown group, a deleted topic, a
// stopped broker, a cluster nobody listens for. Each must come back as an error value that
// names what is missing, with the target marked partial, while the sweep itself resolves.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import kafkajs, { type Admin } from 'kafkajs';
import type { CollectionError } from '../../src/collectors/collector.ts';
import { KafkaClusterRegistry } from '../../src/collectors/kafka-clusters.ts';
import { KafkaLagCollector, type LagTarget, type SweepReport } from '../../src/collectors/kafka-lag.ts';
import { ensureService } from '../env/environment.ts';
import { freeLoopbackPort } from '../env/ports.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { startBroker, stopBroker, type Kafka3Details } from '../env/services/kafka3.ts';

const { Kafka, logLevel } = kafkajs;
type Kafka = InstanceType<typeof Kafka>;

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function kafkaFor(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'lagpilot-lag-faults', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
}

async function createFilledTopic(kafka: Kafka, admin: Admin, topic: string, partitions: number, replicationFactor: number): Promise<void> {
  expect(await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }], waitForLeaders: true })).to.equal(true);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: partitions * 5 }, (_, n) => ({ partition: n % partitions, value: `m${String(n)}` })) });
  } finally {
    await producer.disconnect();
  }
}

function codes(errors: readonly CollectionError[]): string[] {
  return errors.map((error) => error.code);
}

function reportOf(sweep: SweepReport, name: string): NonNullable<ReturnType<SweepReport['groups']['get']>> {
  const report = sweep.groups.get(name);
  if (report === undefined) throw new Error(`the sweep has no report for target ${name}`);
  return report;
}

const context = (): { nowMs: number; signal: AbortSignal } => ({ nowMs: Date.now(), signal: new AbortController().signal });

describe('Kafka lag collector faults', function () {
  describe('on the single-node Kafka', function () {
    let kafka: Kafka;
    let admin: Admin;
    let registry: KafkaClusterRegistry;
    let collector: KafkaLagCollector;

    before(async function () {
      this.timeout(300_000);
      const cluster = await ensureService<KafkaDetails>('kafka');
      kafka = kafkaFor(cluster.bootstrap);
      admin = kafka.admin();
      await admin.connect();
      // A short topic-list refresh would hide the stale-cache case; one long enough to span the test shows it.
      registry = new KafkaClusterRegistry([{ name: 'local', bootstrap: cluster.bootstrap.split(','), clientId: 'lagpilot-lag-faults' }], { topicListRefreshMs: 600_000 });
      collector = new KafkaLagCollector(registry);
    });

    after(async function () {
      await collector.close();
      await registry.close();
      await admin.disconnect();
    });

    it('reports an unknown group as UNKNOWN_GROUP and partial', async function () {
      const topic = uniqueName('faults-unknown-group');
      await createFilledTopic(kafka, admin, topic, 2, 1);
      const group = uniqueName('never-existed');
      const sweep = await collector.sweep([{ name: 'ghost', cluster: 'local', consumerGroup: group, topics: [topic], offsetReset: 'earliest', lagSeconds: 'exact' }], context());
      const report = reportOf(sweep, 'ghost');
      expect(codes(report.errors)).to.deep.equal(['UNKNOWN_GROUP']);
      expect(report.errors[0]?.message).to.contain(`group ${group} is not known to cluster local`);
      expect(report.partial).to.equal(true);
      expect(report.state).to.equal('Dead');
    });

    it('reports a deleted topic as UNKNOWN_TOPIC and still reads the target\'s other topic', async function () {
      const kept = uniqueName('faults-kept');
      const deleted = uniqueName('faults-deleted');
      await createFilledTopic(kafka, admin, kept, 2, 1);
      await createFilledTopic(kafka, admin, deleted, 2, 1);
      const group = uniqueName('faults-deleted-group');
      await admin.setOffsets({ groupId: group, topic: kept, partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '1' }] });
      await admin.setOffsets({ groupId: group, topic: deleted, partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '1' }] });
      const listed: LagTarget = { name: 'listed', cluster: 'local', consumerGroup: group, topics: [kept, deleted], offsetReset: 'earliest', lagSeconds: 'exact' };
      const patterned: LagTarget = { name: 'patterned', cluster: 'local', consumerGroup: group, topicPattern: `${kept}|${deleted}`, offsetReset: 'earliest', lagSeconds: 'off' };

      const before = await collector.sweep([listed, patterned], context());
      expect(reportOf(before, 'listed').errors).to.deep.equal([]);
      expect(reportOf(before, 'patterned').topics).to.deep.equal([deleted, kept].sort());

      await admin.deleteTopics({ topics: [deleted] });
      const after = await collector.sweep([listed, patterned], context());
      for (const name of ['listed', 'patterned']) {
        const report = reportOf(after, name);
        expect(codes(report.errors), name).to.deep.equal(['UNKNOWN_TOPIC']);
        expect(report.errors[0]?.message, name).to.contain(`topic ${deleted} does not exist on cluster local`);
        expect(report.errors[0]?.labels).to.deep.equal({ topic: deleted });
        expect(report.partial, name).to.equal(true);
        expect(report.partitions.map((p) => `${p.topic}/${String(p.partition)}:${String(p.lag)}`), name).to.deep.equal([`${kept}/0:4`, `${kept}/1:4`]);
      }
      // The pattern's cached topic list was dropped on the failure: the next sweep no longer asks for the deleted topic.
      const later = await collector.sweep([patterned], context());
      expect(reportOf(later, 'patterned').errors).to.deep.equal([]);
      expect(reportOf(later, 'patterned').topics).to.deep.equal([kept]);
    });
  });

  it('reports an unreachable cluster as UNREACHABLE for each of its targets, promptly', async function () {
    this.timeout(60_000);
    const closedPort = await freeLoopbackPort();
    const registry = new KafkaClusterRegistry([{ name: 'nowhere', bootstrap: [`127.0.0.1:${String(closedPort)}`], clientId: 'lagpilot-lag-faults' }], { requestTimeoutMs: 3000 });
    const collector = new KafkaLagCollector(registry);
    try {
      const startedAt = Date.now();
      const sweep = await collector.sweep(
        [
          { name: 'a', cluster: 'nowhere', consumerGroup: 'g1', topics: ['t1'], offsetReset: 'earliest', lagSeconds: 'exact' },
          { name: 'b', cluster: 'nowhere', consumerGroup: 'g2', topicPattern: 't.*', offsetReset: 'latest', lagSeconds: 'estimated' },
        ],
        context(),
      );
      expect(Date.now() - startedAt).to.be.below(30_000);
      for (const name of ['a', 'b']) {
        const report = reportOf(sweep, name);
        expect(report.partial, name).to.equal(true);
        expect(report.totalLag, name).to.equal(null);
        expect(report.errors.length, name).to.be.greaterThan(0);
        expect(codes(report.errors).every((code) => code === 'UNREACHABLE' || code === 'TIMEOUT'), JSON.stringify(report.errors)).to.equal(true);
        expect(report.errors.map((e) => e.message).join('\n'), name).to.contain(`127.0.0.1:${String(closedPort)}`);
      }
      const result = await collector.collect({ name: 'a', cluster: 'nowhere', consumerGroup: 'g1', topics: ['t1'], offsetReset: 'earliest', lagSeconds: 'off' }, context());
      expect(result.partial).to.equal(true);
      expect(result.samples.find((s) => s.name === 'consumergroup_lag_messages')).to.equal(undefined);
    } finally {
      await collector.close();
      await registry.close();
    }
  });

  describe('on kafka3 with one broker stopped', function () {
    let cluster: Kafka3Details;
    let kafka: Kafka;
    let admin: Admin;
    let stoppedBroker: number | undefined;

    before(async function () {
      this.timeout(300_000);
      cluster = await ensureService<Kafka3Details>('kafka3');
      kafka = kafkaFor(cluster.bootstrap);
      admin = kafka.admin();
      await admin.connect();
    });

    after(async function () {
      this.timeout(120_000);
      await admin.disconnect();
      if (stoppedBroker !== undefined) await startBroker(stoppedBroker);
    });

    it('flags the partitions the stopped broker led as no-leader, never as lag 0, and reads the rest', async function () {
      this.timeout(180_000);
      const topic = uniqueName('faults-stopped-broker');
      await createFilledTopic(kafka, admin, topic, 3, 1);
      const group = uniqueName('faults-stopped-group');
      await admin.setOffsets({ groupId: group, topic, partitions: [0, 1, 2].map((partition) => ({ partition, offset: '2' })) });
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const leaders = new Map((metadata.topics[0]?.partitions ?? []).map((p) => [p.partitionId, p.leader]));
      const victim = leaders.get(0);
      if (victim === undefined) throw new Error(`no leader of ${topic}/0 in ${JSON.stringify(metadata)}`);
      const victimPartitions = [...leaders].filter(([, leader]) => leader === victim).map(([partition]) => partition);

      const registry = new KafkaClusterRegistry([{ name: 'kafka3', bootstrap: cluster.bootstrap.split(','), clientId: 'lagpilot-lag-faults' }], { requestTimeoutMs: 5000 });
      const collector = new KafkaLagCollector(registry);
      try {
        const target: LagTarget = { name: 'three', cluster: 'kafka3', consumerGroup: group, topics: [topic], offsetReset: 'earliest', lagSeconds: 'exact' };
        const healthy = await collector.sweep([target], context());
        expect(reportOf(healthy, 'three').errors).to.deep.equal([]);
        expect(reportOf(healthy, 'three').totalLag).to.equal(9n);

        stoppedBroker = victim;
        await stopBroker(victim);
        const deadline = Date.now() + 60_000;
        let report = reportOf(await collector.sweep([target], context()), 'three');
        // The controller takes the leaderships of the stopped broker away within moments.
        while (!report.partitions.some((p) => p.flags.includes('no-leader')) && Date.now() < deadline) {
          await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
          report = reportOf(await collector.sweep([target], context()), 'three');
        }
        const leaderless = report.partitions.filter((p) => p.flags.includes('no-leader'));
        expect(leaderless.map((p) => p.partition), JSON.stringify(report.errors)).to.deep.equal(victimPartitions);
        for (const partition of leaderless) expect(partition.lag).to.equal(null);
        expect(report.partial).to.equal(true);
        expect(codes(report.errors)).to.include('NO_LEADER');
        expect(report.errors.find((e) => e.code === 'NO_LEADER')?.message).to.contain(`${String(victimPartitions.length)} partition(s)`);
        const served = report.partitions.filter((p) => !victimPartitions.includes(p.partition));
        expect(served.map((p) => p.lag)).to.deep.equal(served.map(() => 3n));
        expect(report.totalLag).to.equal(BigInt(3 * served.length));
      } finally {
        await collector.close();
        await registry.close();
        if (stoppedBroker !== undefined) {
          await startBroker(stoppedBroker);
          stoppedBroker = undefined;
        }
      }
    });
  });
});
