// A consumer worker that processes at most a fixed number of messages per second, as a real
// consumer bound by its own work would: the demo's stand-in for an application, and the worker
// the end-to-end tests scale. Each process is one member of the group; an offset is committed
// only once its message is processed (so the lag lagpilot reads is the real backlog), and
// SIGTERM or SIGINT leaves the group cleanly so its partitions move to the others at once.
//
// It uses kafkajs, the consumer most Node.js applications run, not lagpilot's own client: it
// plays the part of the application whose group lagpilot scales.
//
// Settings come from the environment: LAGPILOT_WORKER_BOOTSTRAP, LAGPILOT_WORKER_TOPIC,
// LAGPILOT_WORKER_GROUP, LAGPILOT_WORKER_RATE (messages per second of this worker);
// LAGPILOT_WORKER_ID is set by the local-process actuator.
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    process.stderr.write(`worker: ${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

const bootstrap = setting('LAGPILOT_WORKER_BOOTSTRAP');
const topic = setting('LAGPILOT_WORKER_TOPIC');
const group = setting('LAGPILOT_WORKER_GROUP');
const rate = Number(setting('LAGPILOT_WORKER_RATE'));
if (!(rate > 0)) {
  process.stderr.write(`worker: LAGPILOT_WORKER_RATE must be a positive number, got ${String(process.env.LAGPILOT_WORKER_RATE)}\n`);
  process.exit(2);
}
const workerId = process.env.LAGPILOT_WORKER_ID ?? String(process.pid);

const kafka = new Kafka({ clientId: `lagpilot-worker-${workerId}`, brokers: [bootstrap], logLevel: logLevel.WARN });
const consumer = kafka.consumer({
  groupId: group,
  // Short timeouts: a member that dies is noticed within seconds, and a rebalance completes
  // quickly, as the demo's compressed time and the tests' short intervals need.
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
