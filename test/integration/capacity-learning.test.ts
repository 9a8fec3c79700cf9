// Throughput and capacity from a real consumer: one member that handles about 50 messages per
// second, behind a backlog that keeps growing (saturated). lagpilot, reading only offsets, must
// see a consume rate near 50/s and learn a per-replica capacity near 50/s.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Consumer, type Producer } from 'kafkajs';
import { parseConfigText } from '../../src/config/loader.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { ensureService } from '../env/environment.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { labelledSampleValue, scrapeMetrics } from './daemon-process.ts';
import { deleteGroupAndTopic, withKafkaAdmin } from './kafkajs-admin.ts';

const { Kafka, logLevel } = kafkajs;
const handlingMs = 20;

describe('throughput and capacity learned from a saturated consumer', function () {
  const topic = `lagpilot-it-capacity-${randomUUID().slice(0, 8)}`;
  const group = `lagpilot-it-capacity-group-${randomUUID().slice(0, 8)}`;
  let kafka: KafkaDetails;
  let client: InstanceType<typeof Kafka>;
  let daemon: RunningDaemon | undefined;
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let producing = true;
  let producerLoop: Promise<void> = Promise.resolve();

  before(async function () {
    this.timeout(120_000);
    kafka = await ensureService<KafkaDetails>('kafka');
    client = new Kafka({ clientId: 'lagpilot-capacity-test', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    await withKafkaAdmin(client, async (admin) => {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true })).to.equal(true);
    });
  });

  after(async function () {
    this.timeout(60_000);
    producing = false;
    await producerLoop;
    await producer?.disconnect();
    await consumer?.disconnect();
    await daemon?.stop();
    await deleteGroupAndTopic(client, group, topic);
  });

  it('measures the consume rate and learns the capacity while the backlog grows', async function () {
    this.timeout(120_000);
    const activeProducer = client.producer({ allowAutoTopicCreation: false });
    producer = activeProducer;
    await activeProducer.connect();
    // A backlog first, then 100 messages per second: twice what the consumer handles.
    await activeProducer.send({ topic, messages: Array.from({ length: 500 }, (_, n) => ({ value: `b${n}` })) });
    producerLoop = (async () => {
      while (producing) {
        await activeProducer.send({ topic, messages: Array.from({ length: 10 }, (_, n) => ({ value: `m${n}` })) });
        await sleep(100);
      }
    })();

    const activeConsumer = client.consumer({ groupId: group, sessionTimeout: 30_000 });
    consumer = activeConsumer;
    await activeConsumer.connect();
    await activeConsumer.subscribe({ topics: [topic], fromBeginning: true });
    await activeConsumer.run({
      autoCommitInterval: 500,
      eachMessage: async () => { await sleep(handlingMs); },
    });

    const parsed = parseConfigText(
      `
server: {host: 127.0.0.1, port: 0}
clusters: [{name: local, bootstrap: ["${kafka.bootstrap}"]}]
targets:
  - name: slow
    cluster: local
    consumerGroup: ${group}
    topics: [${topic}]
    interval: 1s
    tickTimeout: 1s
    replicas: {max: 1}
    lag: {targetSeconds: 30}
    actuator: {kind: dryRun}
    collectors:
      kafkaLag: {lagSeconds: off}
      throughput: {window: 5s}
`,
      { sourceName: 'capacity-learning test', environment: {} },
    );
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    daemon = await startDaemon({ config: parsed.config, logger: createLogger({ level: 'error' }), version: 'test' });

    const perMember = 1000 / handlingMs;
    const giveUpAt = Date.now() + 60_000;
    let text = '';
    let learnedFor = 0;
    // Several saturated windows, so that what is learned is an average, not one lucky window.
    while (Date.now() < giveUpAt) {
      text = await scrapeMetrics(`http://127.0.0.1:${String(daemon.port)}`);
      if (labelledSampleValue(text, 'lagpilot_consumer_capacity_messages_per_second', { target: 'slow', origin: 'measured' }) !== undefined) learnedFor += 1;
      if (learnedFor >= 10) break;
      await sleep(1000);
    }
    const ours = text.split('\n').filter((line) => line.startsWith('lagpilot_') && (line.includes('slow') || line.includes(topic))).join('\n');
    const capacity = labelledSampleValue(text, 'lagpilot_consumer_capacity_messages_per_second', { target: 'slow', origin: 'measured' });
    const consumeRate = labelledSampleValue(text, 'lagpilot_consumergroup_consume_rate_messages_per_second', { cluster: 'local', group });
    const produceRate = labelledSampleValue(text, 'lagpilot_topic_produce_rate_messages_per_second', { cluster: 'local', topic });
    expect(capacity, `learned capacity; series:\n${ours}`).to.not.equal(undefined);
    // The handler's 20 ms is a floor: fetches, commits and timers make the real rate somewhat lower.
    expect(capacity, 'capacity per member').to.be.within(perMember * 0.5, perMember * 1.1);
    expect(consumeRate, 'consume rate').to.be.within(perMember * 0.5, perMember * 1.1);
    expect(produceRate, 'produce rate').to.be.within(60, 110);
  });
});
