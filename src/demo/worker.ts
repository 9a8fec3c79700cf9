// A consumer worker that processes at most a fixed number of messages per second, as a real
// consumer bound by its own work would. Run by the local-process actuator in the end-to-end
// test: each process is one member of the group; offsets are committed as messages are done,
// and SIGTERM leaves the group cleanly so its partitions move to the others at once.
//
// Settings come from the environment: LAGPILOT_E2E_BOOTSTRAP, LAGPILOT_E2E_TOPIC,
// LAGPILOT_E2E_GROUP, LAGPILOT_E2E_RATE (messages per second of this worker).
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    process.stderr.write(`slow-consumer: ${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

const bootstrap = setting('LAGPILOT_E2E_BOOTSTRAP');
const topic = setting('LAGPILOT_E2E_TOPIC');
const group = setting('LAGPILOT_E2E_GROUP');
const rate = Number(setting('LAGPILOT_E2E_RATE'));
if (!(rate > 0)) {
  process.stderr.write(`slow-consumer: LAGPILOT_E2E_RATE must be a positive number, got ${String(process.env.LAGPILOT_E2E_RATE)}\n`);
  process.exit(2);
}
const workerId = process.env.LAGPILOT_WORKER_ID ?? String(process.pid);

const kafka = new Kafka({ clientId: `slow-consumer-${workerId}`, brokers: [bootstrap], logLevel: logLevel.WARN });
const consumer = kafka.consumer({
  groupId: group,
  // Short timeouts: a member that dies is noticed within seconds, and a rebalance completes
  // quickly, as the test's short intervals need.
  sessionTimeout: 10_000,
  rebalanceTimeout: 10_000,
  heartbeatInterval: 1_000,
});

let processed = 0;
let stopping = false;
const perMessageMillis = 1000 / rate;

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`worker ${workerId}: ${signal}, leaving the group after ${processed} messages\n`);
  await consumer.disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => { void stop('SIGTERM'); });
process.on('SIGINT', () => { void stop('SIGINT'); });

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommit: true,
  autoCommitInterval: 500,
  // One message at a time, so the pace is the worker's own and heartbeats go out between messages.
  partitionsConsumedConcurrently: 1,
  eachMessage: async (payload) => {
    await sleep(perMessageMillis);
    processed += 1;
    await payload.heartbeat();
  },
});
process.stdout.write(`worker ${workerId}: consuming ${topic} as ${group} at ${rate} msg/s\n`);
