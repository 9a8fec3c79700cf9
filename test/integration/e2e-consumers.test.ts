// End to end on the real local Kafka: a 12-partition topic, a producer writing faster than one
// consumer can process, consumers that are real worker processes started and stopped by the
// local-process actuator, and lagpilot (the daemon, in-process) in between. lagpilot must scale
// out until the lag is back under target, and in again once the load stops, within its bounds
// and honouring its cooldowns. Checked on the journal (the capped Redis stream the daemon
// writes, read through /api/decisions and straight from Redis) and on the lag Kafka's own
// ConsumerGroupCommand reports.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import { parseConfigText } from '../../src/config/loader.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { Decision } from '../../src/policies/types.ts';
import { RedisStateStore } from '../../src/state/redis-store.ts';
import { ensureService } from '../env/environment.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import type { RedisDetails } from '../env/services/redis.ts';
import { describeConsumerGroupOffsets } from './kafka-tools.ts';
import { sampleValue, scrapeMetrics } from './daemon-process.ts';
import { deleteGroupAndTopic, withKafkaAdmin } from './kafkajs-admin.ts';
import { readJournal } from './journal-helpers.ts';

const { Kafka, logLevel } = kafkajs;

const workerScript = fileURLToPath(new URL('../../src/demo/worker.ts', import.meta.url));
const partitions = 12;
/** What one worker processes per second, and what the producer writes: four workers' worth. */
const workerRate = 25;
const produceRate = 100;
const lagTargetSeconds = 5;
const replicas = { min: 1, max: 8 };
const scaleDownCooldownSeconds = 15;
/** Written before lagpilot starts: a backlog already older than the lag target by the first evaluations. */
const initialBacklog = 1_500;

interface LoadGenerator {
  stop(): Promise<number>;
}

async function writeBurst(client: InstanceType<typeof Kafka>, topic: string, count: number): Promise<number> {
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, messages: Array.from({ length: count }, (_, index) => ({ partition: index % partitions, value: `b${index}` })) });
  } finally {
    await producer.disconnect();
  }
  return count;
}

/** Writes `rate` messages per second, spread over the partitions, until stopped; returns how many it wrote. */
async function startLoad(client: InstanceType<typeof Kafka>, topic: string, rate: number): Promise<LoadGenerator> {
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let written = 0;
  const stopped = new AbortController();
  const tickMillis = 100;
  const loop = (async () => {
    const startedAt = performance.now();
    while (!stopped.signal.aborted) {
      // Catch up to where the rate says we should be, so a slow send does not lower the rate.
      const due = Math.floor(((performance.now() - startedAt) / 1000) * rate) - written;
      if (due > 0) {
        await producer.send({
          topic,
          messages: Array.from({ length: due }, (_, index) => ({ partition: (written + index) % partitions, value: `m${written + index}` })),
        });
        written += due;
      }
      await sleep(tickMillis);
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
      await producer.disconnect();
      return written;
    },
  };
}

describe('end to end: consumer workers scaled on real Kafka lag', function () {
  const suffix = randomUUID().slice(0, 8);
  const topic = `lagpilot-e2e-${suffix}`;
  const group = `lagpilot-e2e-group-${suffix}`;
  const logDir = mkdtempSync(join(tmpdir(), 'lagpilot-e2e-workers-'));
  const keyPrefix = `lagpilot-e2e-${suffix}:`;
  let kafka: KafkaDetails;
  let redis: RedisDetails;
  let client: InstanceType<typeof Kafka>;
  let daemon: RunningDaemon | undefined;
  let load: LoadGenerator | undefined;

  before(async function () {
    this.timeout(180_000);
    [kafka, redis] = await Promise.all([ensureService<KafkaDetails>('kafka'), ensureService<RedisDetails>('redis')]);
    client = new Kafka({ clientId: 'lagpilot-e2e', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    const created = await withKafkaAdmin(client, (admin) =>
      admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }));
    expect(created).to.equal(true);
  });

  after(async function () {
    this.timeout(60_000);
    await load?.stop();
    // Stopping the daemon closes the actuator, which stops every worker it started.
    await daemon?.stop();
    const keys = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const ours = await keys.keys(`${keyPrefix}*`);
      if (ours.length > 0) await keys.del(...ours);
    } finally {
      keys.disconnect();
    }
    await deleteGroupAndTopic(client, group, topic);
  });

  async function journal(): Promise<Decision[]> {
    if (daemon === undefined) throw new Error('the daemon did not start');
    return readJournal(`http://127.0.0.1:${String(daemon.port)}`, 'consumers');
  }

  async function metric(series: string): Promise<number | undefined> {
    if (daemon === undefined) throw new Error('the daemon did not start');
    return sampleValue(await scrapeMetrics(`http://127.0.0.1:${String(daemon.port)}`), series);
  }

  async function currentReplicas(): Promise<number | undefined> {
    return metric('lagpilot_current_replicas{target="consumers"}');
  }

  async function kafkaLag(): Promise<{ total: number; unknown: number }> {
    const rows = (await describeConsumerGroupOffsets(kafka, group)).filter((row) => row.topic === topic);
    return { total: rows.reduce((sum, row) => sum + (row.lag ?? 0), 0), unknown: rows.filter((row) => row.lag === null).length };
  }

  async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const giveUpAt = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < giveUpAt) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (error) {
        last = error;
      }
      await sleep(1_000);
    }
    const decisions = await journal().catch(() => []);
    const changes = decisions.filter((decision) => decision.action !== 'none').map((decision) => `${decision.action} ${decision.current}->${decision.desired} ${decision.actuation?.status ?? ''}`);
    throw new Error(`${what} did not happen within ${timeoutMs} ms (last error: ${String(last)}); journaled changes: ${changes.join('; ') || 'none'}; worker logs in ${logDir}`);
  }

  it('scales out until the lag is under target, then back in after the load stops', async function () {
    // Each wait below fails with its own message well before this.
    this.timeout(300_000);
    const parsed = parseConfigText(
      `
server: {host: 127.0.0.1, port: 0}
clusters: [{name: local, bootstrap: ["${kafka.bootstrap}"]}]
redis: {url: "${redis.url}", keyPrefix: "${keyPrefix}"}
targets:
  - name: consumers
    cluster: local
    consumerGroup: ${group}
    topics: [${topic}]
    interval: 2s
    tickTimeout: 2s
    replicas: {min: ${replicas.min}, max: ${replicas.max}}
    lag: {targetSeconds: ${lagTargetSeconds}}
    actuator:
      kind: localProcess
      command: ${JSON.stringify(process.execPath)}
      args: [${JSON.stringify(workerScript)}]
      env:
        LAGPILOT_WORKER_BOOTSTRAP: "${kafka.bootstrap}"
        LAGPILOT_WORKER_TOPIC: ${topic}
        LAGPILOT_WORKER_GROUP: ${group}
        LAGPILOT_WORKER_RATE: "${workerRate}"
      stopTimeout: 5s
      logDir: ${JSON.stringify(logDir)}
    collectors:
      kafkaLag: {offsetReset: earliest, lagSeconds: exact}
      throughput: {window: 10s}
      capacity: {perReplica: ${workerRate}}
    scaling: {scaleDownCooldown: ${scaleDownCooldownSeconds}s, scaleDownStabilization: 6s, rebalancePause: 3s}
`,
      { sourceName: 'e2e-consumers test', environment: {} },
    );
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const preloaded = await writeBurst(client, topic, initialBacklog);
    await sleep(lagTargetSeconds * 1000);
    daemon = await startDaemon({ config: parsed.config, logger: createLogger({ level: 'warn' }), version: 'test' });
    const startedAt = Date.now();

    load = await startLoad(client, topic, produceRate);
    // Four workers' worth of load plus the backlog built meanwhile: more than four workers.
    const scaledOut = await waitFor('a scale-out beyond four workers', 60_000, async () => {
      const replicasNow = await currentReplicas();
      return replicasNow !== undefined && replicasNow > produceRate / workerRate ? replicasNow : undefined;
    });
    const lagUnderTarget = await waitFor('lag under target while the load runs', 90_000, async () => {
      const lag = await kafkaLag();
      return lag.unknown === 0 && lag.total < lagTargetSeconds * produceRate ? lag.total : undefined;
    });
    const scaledOutAfter = (Date.now() - startedAt) / 1000;
    const written = await load.stop();
    load = undefined;

    // The count and the journal both: the gauge moves as the actuator reports, the journal entry
    // is written just after (stopping workers can outlast a tick, and the entry still follows).
    await waitFor('the scale-in back to the minimum, journaled', 90_000, async () => {
      if ((await currentReplicas()) !== replicas.min) return undefined;
      const latestChange = (await journal()).filter((decision) => decision.action !== 'none').at(-1);
      return latestChange?.action === 'scaleDown' && latestChange.desired === replicas.min ? true : undefined;
    });
    const finalLag = await waitFor('everything consumed', 30_000, async () => {
      const lag = await kafkaLag();
      return lag.unknown === 0 && lag.total === 0 ? lag : undefined;
    });
    expect(finalLag.total).to.equal(0);

    const decisions = await journal();
    const stream = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const inRedis = (await new RedisStateStore(stream, { keyPrefix }).recentDecisions('consumers', 1000)).reverse();
      expect(inRedis.map((decision) => decision.time), 'the API answers from the Redis journal').to.deep.equal(decisions.map((decision) => decision.time));
    } finally {
      stream.disconnect();
    }
    const changes = decisions.filter((decision) => decision.action !== 'none');
    const summary = changes.map((decision) => `${decision.action} ${decision.current}->${decision.desired} at +${(decision.time - startedAt / 1000).toFixed(1)} s [${decision.reasons.map((entry) => entry.code).join(' ')}] ${decision.actuation?.status ?? ''}`).join('\n');
    for (const decision of decisions) {
      expect(decision.desired, `desired within bounds at ${decision.time}`).to.be.within(replicas.min, replicas.max);
      expect(decision.leader?.identity, 'journaled by the leader').to.be.a('string');
    }
    const ups = changes.filter((decision) => decision.action === 'scaleUp');
    const downs = changes.filter((decision) => decision.action === 'scaleDown');
    const firstUp = ups[0];
    const lastUp = ups.at(-1);
    const firstDown = downs[0];
    if (firstUp === undefined || lastUp === undefined || firstDown === undefined) {
      throw new Error(`expected scale-ups and then scale-downs, journaled: ${changes.map((decision) => decision.action).join(', ')}`);
    }
    expect(ups.some((decision) => decision.reasons.some((entry) => entry.code === 'LagAboveTarget')), `a scale-up for lag above target; journaled:\n${summary}`).to.equal(true);
    expect(firstUp.actuation).to.deep.include({ status: 'applied', code: 'Scaled' });
    expect(firstDown.actuation).to.deep.include({ status: 'applied', code: 'Scaled' });
    expect(firstDown.time, 'scale-in after the scale-out').to.be.greaterThan(lastUp.time);
    expect(firstDown.time - lastUp.time, 'the scale-down cooldown after a scale-up').to.be.at.least(scaleDownCooldownSeconds);
    downs.slice(1).forEach((decision, index) => {
      const previous = downs[index];
      if (previous !== undefined) expect(decision.time - previous.time, 'the cooldown between scale-downs').to.be.at.least(scaleDownCooldownSeconds);
    });
    expect(Math.max(...changes.map((decision) => decision.desired))).to.be.at.least(scaledOut);
    expect(await metric('lagpilot_decisions_total{target="consumers",action="scaleUp"}')).to.equal(ups.length);
    expect(await metric('lagpilot_decisions_total{target="consumers",action="scaleDown"}')).to.equal(downs.length);
    expect(await metric('lagpilot_actuations_total{target="consumers",status="applied"}')).to.equal(changes.length);
    expect(await metric('lagpilot_desired_replicas{target="consumers"}')).to.equal(replicas.min);
    expect(await metric('lagpilot_loop_duration_seconds_count{target="consumers"}')).to.be.at.least(decisions.length);
    const loopSeconds = (await metric('lagpilot_loop_duration_seconds_sum{target="consumers"}')) ?? Number.NaN;
    const loops = (await metric('lagpilot_loop_duration_seconds_count{target="consumers"}')) ?? Number.NaN;
    console.log(`${summary}\n      e2e: ${loops} evaluations, ${((loopSeconds / loops) * 1000).toFixed(0)} ms each on average; ${preloaded} + ${written} messages at ${produceRate} msg/s; out to ${scaledOut} workers, lag ${lagUnderTarget} < ${lagTargetSeconds * produceRate} after ${scaledOutAfter.toFixed(0)} s; ` +
      `${ups.length} scale-ups, ${downs.length} scale-downs; back to ${replicas.min} after ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  });
});
