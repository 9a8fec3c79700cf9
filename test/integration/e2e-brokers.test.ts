// End to end on kafka3 (one controller, three brokers): the brokers actuator adds a fourth
// broker and moves partitions onto it, then drains it and removes it, while a producer writes
// numbered messages with acks=all and a consumer reads them. Afterwards every acknowledged
// message has been read exactly once (count and checksum) and no partition was ever without a
// leader. Also on the real cluster: what the actuator refuses (a broker that still holds
// replicas, a partition under min.insync.replicas) and a reassignment that stalls.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokersActuator } from '../../src/actuators/brokers.ts';
import { brokersActuatorSchema } from '../../src/config/schema/actuators.ts';
import { PlatformaticKafkaAdmin } from '../../src/kafka/platformatic-admin.ts';
import { ensureService } from '../env/environment.ts';
import { brokerNodeIds, extraBrokerNodeId, startBroker, startExtraBroker, stopBroker, stopExtraBroker, type Kafka3Details } from '../env/services/kafka3.ts';
import {
  brokerDecision,
  consumeContinuously,
  kafka3BrokerPool,
  kafka3Client,
  payloadChecksum,
  produceContinuously,
  topicLoads,
  watchForOfflinePartitions,
} from './broker-scaling.ts';
import { withKafkaAdmin } from './kafkajs-admin.ts';

const target = { name: 'kafka3-brokers' };
const allBrokers = [...brokerNodeIds, extraBrokerNodeId];

function spread(counts: number[]): number {
  return Math.max(...counts) - Math.min(...counts);
}

/** The topic's loads once its leaders are balanced over `brokers` (metadata reaches every broker a little later), or the last read after 15 s. */
async function settledLoads(admin: PlatformaticKafkaAdmin, topic: string, brokers: number[]): Promise<{ replicas: number[]; leaders: number[] }> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const loads = await topicLoads(admin, topic, allBrokers);
    if (spread(brokers.map((nodeId) => loads.leaders[allBrokers.indexOf(nodeId)] ?? 0)) <= 1 || Date.now() > deadline) return loads;
    await sleep(250);
  }
}

describe('brokers actuator on kafka3 (end to end)', function () {
  this.timeout(600_000);
  let cluster: Kafka3Details;
  let admin: PlatformaticKafkaAdmin;

  function actuatorFor(topics: string, settings: Record<string, unknown> = {}): BrokersActuator {
    const config = brokersActuatorSchema.parse({
      kind: 'brokers',
      bootstrap: cluster.bootstrap.split(','),
      // The pool is kafka3BrokerPool(); the config's own describes the same four nodes.
      pool: { kind: 'localProcess', nodes: allBrokers.map((nodeId) => ({ nodeId })) },
      topics,
      pollInterval: '250ms',
      registrationTimeout: '60s',
      ...settings,
    });
    return new BrokersActuator(config, { pool: kafka3BrokerPool() });
  }

  async function createTopic(name: string, spec: { partitions?: number; replicationFactor?: number; assignment?: number[][]; minIsr: number }): Promise<void> {
    await withKafkaAdmin(kafka3Client('e2e-brokers-setup'), async (kafkaAdmin) => {
      const configEntries = [{ name: 'min.insync.replicas', value: String(spec.minIsr) }];
      const replicaAssignment = spec.assignment?.map((replicas, partition) => ({ partition, replicas }));
      const created = await kafkaAdmin.createTopics({
        waitForLeaders: false,
        topics: [
          replicaAssignment === undefined
            ? { topic: name, numPartitions: spec.partitions ?? 1, replicationFactor: spec.replicationFactor ?? 1, configEntries }
            : { topic: name, replicaAssignment, configEntries },
        ],
      });
      if (!created) throw new Error(`topic ${name} already existed`);
    });
    // kafkajs' own wait gives up on the first UNKNOWN_TOPIC_OR_PARTITION of a broker that has not
    // heard of the topic yet.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [description] = await admin.describeTopics([name]).catch(() => []);
      if (description !== undefined && description.partitions.length > 0 && description.partitions.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) throw new Error(`topic ${name} has partitions without a leader 30 s after it was created`);
      await sleep(200);
    }
  }

  async function deleteTopic(name: string): Promise<void> {
    await admin.deleteTopics([name]).catch(() => undefined);
  }

  before(async function () {
    this.timeout(300_000);
    cluster = await ensureService<Kafka3Details>('kafka3');
    admin = new PlatformaticKafkaAdmin({ bootstrapServers: cluster.bootstrap.split(','), clientId: 'e2e-brokers-test' });
    // A run that was interrupted may have left broker 4 behind.
    await stopExtraBroker();
  });

  after(async function () {
    await stopExtraBroker();
    await admin.close();
  });

  it('dry run: reports the 3 -> 4 plan it would apply and starts nothing', async function () {
    const topic = `e2e-brokers-dry-${randomUUID().slice(0, 8)}`;
    await createTopic(topic, { partitions: 12, replicationFactor: 2, minIsr: 2 });
    const actuator = actuatorFor(`^${topic}$`, { dryRun: true });
    try {
      const result = await actuator.apply({ target, decision: brokerDecision(3, 4) });
      expect(result.status, result.detail).to.equal('dryRun');
      expect(result.code).to.equal('WouldScale');
      expect(result.plan?.replicaMoves).to.equal(6);
      expect(result.plan?.moves.every((move) => move.topic === topic)).to.equal(true);
      expect(result.detail).to.match(/would add broker 4 .*\(3 -> 4\) and move 6 replicas of \d+ partitions/);
      expect((await admin.describeCluster()).brokers.map((broker) => broker.nodeId)).to.deep.equal(brokerNodeIds);
      expect(await admin.listPartitionReassignments()).to.deep.equal([]);
    } finally {
      await actuator.close();
      await deleteTopic(topic);
    }
  });

  it('scales 3 -> 4 -> 3 brokers under load: partitions move onto broker 4 and off it again, nothing lost, nothing offline', async function () {
    const started = Date.now();
    const topic = `e2e-brokers-${randomUUID().slice(0, 8)}`;
    await createTopic(topic, { partitions: 12, replicationFactor: 2, minIsr: 2 });
    const client = kafka3Client('e2e-brokers-load');
    const consumer = await consumeContinuously(client, topic, `${topic}-readers`);
    const producer = produceContinuously(topic, 12, 20, 20);
    const watch = watchForOfflinePartitions(admin, topic, 200);
    const actuator = actuatorFor(`^${topic}$`, { maxConcurrentMoves: 4, throttleBytesPerSecond: 20 * 1024 * 1024, stallTimeout: '60s' });
    const timings: Record<string, number> = {};
    try {
      await sleep(2_000);
      let mark = Date.now();
      const out = await actuator.apply({ target, decision: brokerDecision(3, 4) });
      timings.scaleOutMs = Date.now() - mark;
      console.log(`      scale out ${new Date(mark).toISOString()} .. ${new Date().toISOString()}: ${out.detail}`);
      expect(out.status, out.detail).to.equal('applied');
      expect(out.code).to.equal('Scaled');
      expect(out.plan?.replicaMoves).to.equal(6);
      expect((await admin.describeCluster()).brokers.map((broker) => broker.nodeId)).to.deep.equal(allBrokers);
      const afterOut = await settledLoads(admin, topic, allBrokers);
      expect(afterOut.replicas[3], 'replicas on broker 4').to.be.greaterThan(0);
      expect(afterOut.replicas).to.deep.equal([6, 6, 6, 6]);
      expect(spread(afterOut.leaders), `leaders per broker ${afterOut.leaders.join(',')} after: ${out.detail}`).to.be.at.most(1);
      const [topicConfig] = await admin.describeConfigs([{ kind: 'topic', name: topic }]);
      expect(topicConfig?.entries.get('leader.replication.throttled.replicas')?.value ?? '', 'throttle removed').to.equal('');
      expect(topicConfig?.entries.get('follower.replication.throttled.replicas')?.value ?? '', 'throttle removed').to.equal('');

      const again = await actuator.apply({ target, decision: brokerDecision(4, 4) });
      expect(again.status, again.detail).to.equal('noop');

      await sleep(2_000);
      mark = Date.now();
      const back = await actuator.apply({ target, decision: brokerDecision(4, 3) });
      timings.scaleInMs = Date.now() - mark;
      console.log(`      scale in ${new Date(mark).toISOString()} .. ${new Date().toISOString()}: ${back.detail}`);
      expect(back.status, back.detail).to.equal('applied');
      expect(back.detail).to.match(/^drained broker 4 \(moved \d+ replicas .*removed it \(4 -> 3\), unregistered 4$/);
      expect((await admin.describeCluster()).brokers.map((broker) => broker.nodeId)).to.deep.equal(brokerNodeIds);
      const afterIn = await settledLoads(admin, topic, brokerNodeIds);
      expect(afterIn.replicas).to.deep.equal([8, 8, 8, 0]);
      expect(spread(afterIn.leaders.slice(0, 3)), `leaders per broker ${afterIn.leaders.join(',')} after: ${back.detail}`).to.be.at.most(1);
      const repeated = await actuator.apply({ target, decision: brokerDecision(4, 3) });
      expect(repeated.status, repeated.detail).to.equal('noop');
      await sleep(2_000);
    } finally {
      const produced = await producer.stop();
      const deadline = Date.now() + 60_000;
      while (consumer.payloads.length < produced.acknowledged.length && Date.now() < deadline) await sleep(200);
      await sleep(1_000);
      await consumer.stop();
      const watched = await watch.stop();
      await actuator.close();
      await stopExtraBroker();
      await deleteTopic(topic);
      timings.totalMs = Date.now() - started;
      console.log(
        `      e2e-brokers: ${String(produced.acknowledged.length)} messages acknowledged, ${String(consumer.payloads.length)} read ` +
          `(${String(consumer.redeliveries())} delivered again after a rebalance); ` +
          `${String(watched.polls)} metadata polls; scale out ${String(timings.scaleOutMs)} ms, scale in ${String(timings.scaleInMs)} ms, test ${String(timings.totalMs)} ms`,
      );
      expect(produced.failures.length, `sends that failed: ${produced.failures.slice(0, 3).join(' | ')}`).to.equal(0);
      expect(watched.offline, 'partitions seen without a leader').to.deep.equal([]);
      expect(watched.polls).to.be.greaterThan(10);
      expect(produced.acknowledged.length).to.be.greaterThan(1_000);
      expect(consumer.payloads.length, 'messages read').to.equal(produced.acknowledged.length);
      expect(new Set(consumer.payloads).size, 'distinct messages read').to.equal(produced.acknowledged.length);
      expect(payloadChecksum(consumer.payloads)).to.equal(payloadChecksum(produced.acknowledged));
    }
  });

  it('refuses to remove a broker that still holds replicas, and a drain that would leave a partition short of brokers', async function () {
    const held = `e2e-brokers-held-${randomUUID().slice(0, 8)}`;
    const wide = `e2e-brokers-wide-${randomUUID().slice(0, 8)}`;
    await startExtraBroker();
    const noDrain = actuatorFor(`^${held}$`, { drainBeforeRemove: false });
    const drain = actuatorFor(`^${wide}$`);
    try {
      await createTopic(held, { assignment: [[4, 1], [2, 3]], minIsr: 1 });
      const refused = await noDrain.apply({ target, decision: brokerDecision(4, 3) });
      expect(refused.status, refused.detail).to.equal('failed');
      expect(refused.code).to.equal('BrokerHoldsReplicas');
      expect(refused.detail).to.include(`broker 4 still holds`).and.include(`${held}[0]`).and.include('not removed');
      expect((await admin.describeCluster()).brokers.map((broker) => broker.nodeId)).to.deep.equal(allBrokers);
      await deleteTopic(held);

      await createTopic(wide, { partitions: 1, replicationFactor: 4, minIsr: 1 });
      const cannot = await drain.apply({ target, decision: brokerDecision(4, 3) });
      expect(cannot.status, cannot.detail).to.equal('failed');
      expect(cannot.code).to.equal('CannotDrain');
      expect(cannot.detail).to.include(`${wide}[0] on broker 4: replication factor 4 needs 4 brokers, only 3 would remain`);
      expect(await admin.listPartitionReassignments()).to.deep.equal([]);
      expect((await admin.describeCluster()).brokers.map((broker) => broker.nodeId)).to.deep.equal(allBrokers);
    } finally {
      await noDrain.close();
      await drain.close();
      await deleteTopic(held);
      await deleteTopic(wide);
      await stopExtraBroker();
    }
  });

  it('refuses to move partitions whose in-sync replicas are below min.insync.replicas, and changes nothing', async function () {
    const topic = `e2e-brokers-isr-${randomUUID().slice(0, 8)}`;
    // Every replica on brokers 1 and 2: balancing over three brokers moves some of them to 3.
    await createTopic(topic, { assignment: Array.from({ length: 6 }, (_, partition) => (partition % 2 === 0 ? [1, 2] : [2, 1])), minIsr: 2 });
    const actuator = actuatorFor(`^${topic}$`);
    try {
      await stopBroker(2);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [description] = await admin.describeTopics([topic]);
        if (description?.partitions.every((p) => p.isr.length === 1)) break;
        if (Date.now() > deadline) throw new Error(`the ISR of ${topic} did not shrink to broker 1 after broker 2 stopped`);
        await sleep(250);
      }
      const before = await admin.describeTopics([topic]);
      const refused = await actuator.apply({ target, decision: brokerDecision(3, 3) });
      expect(refused.status, refused.detail).to.equal('failed');
      expect(refused.code, refused.detail).to.equal('BelowMinIsr');
      expect(refused.detail).to.match(/refused before any move: .*has 1 in-sync \(1\) of min\.insync\.replicas 2/);
      expect(await admin.listPartitionReassignments()).to.deep.equal([]);
      expect((await admin.describeTopics([topic]))[0]?.partitions.map((p) => p.replicas)).to.deep.equal(before[0]?.partitions.map((p) => p.replicas));
    } finally {
      await startBroker(2);
      await actuator.close();
      await deleteTopic(topic);
    }
  });

  it('reports a stalled reassignment, does not submit it again, and cancels it', async function () {
    const topic = `e2e-brokers-stall-${randomUUID().slice(0, 8)}`;
    await createTopic(topic, { assignment: [[1], [1], [1]], minIsr: 1 });
    // A few MiB per partition: more than one replica fetch, so a 1 B/s throttle holds the copy.
    const client = kafka3Client('e2e-brokers-stall');
    const producer = client.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const value = 'x'.repeat(100_000);
    for (let round = 0; round < 30; round++) {
      await producer.send({ topic, acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value })) });
    }
    await producer.disconnect();
    const actuator = actuatorFor(`^${topic}$`, { throttleBytesPerSecond: 1, stallTimeout: '6s', pollInterval: '500ms' });
    try {
      const stalled = await actuator.apply({ target, decision: brokerDecision(3, 3) });
      expect(stalled.status, stalled.detail).to.equal('failed');
      expect(stalled.code).to.equal('ReassignmentStalled');
      expect(stalled.detail).to.match(/made no progress for 6\.0 s \(throttle 1 B\/s\); left in progress with its throttles, not submitted again/);
      const ongoing = await admin.listPartitionReassignments([topic]);
      expect(ongoing.length).to.be.greaterThan(0);
      const [throttled] = await admin.describeConfigs([{ kind: 'topic', name: topic }]);
      expect(throttled?.entries.get('follower.replication.throttled.replicas')?.value).to.match(/^\d:\d/);

      const again = await actuator.apply({ target, decision: brokerDecision(3, 3) });
      expect(again.status, again.detail).to.equal('failed');
      expect(again.code).to.equal('ReassignmentInProgress');
      expect(again.detail).to.include('nothing new is submitted over them');
      expect(await admin.listPartitionReassignments([topic])).to.deep.equal(ongoing);

      const cancelled = await actuator.cancelReassignments();
      expect(cancelled.status, cancelled.detail).to.equal('applied');
      expect(cancelled.code).to.equal('Cancelled');
      expect(await admin.listPartitionReassignments()).to.deep.equal([]);
      expect((await admin.describeTopics([topic]))[0]?.partitions.map((p) => p.replicas)).to.deep.equal([[1], [1], [1]]);
      const [cleared] = await admin.describeConfigs([{ kind: 'topic', name: topic }]);
      expect(cleared?.entries.get('leader.replication.throttled.replicas')?.value ?? '').to.equal('');
      expect(cleared?.entries.get('follower.replication.throttled.replicas')?.value ?? '').to.equal('');
    } finally {
      await actuator.cancelReassignments();
      await actuator.close();
      await deleteTopic(topic);
    }
  });
});
