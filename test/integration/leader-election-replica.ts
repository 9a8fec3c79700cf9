// A stand-in for a lagpilot replica, run as a child process by leader-election.test.ts: it
// campaigns with a real elector and, on every tick while it leads, journals "I acted, term N" to
// the Redis journal, checking the leader gate right before the write as the control loop does.
// It reports what happens as JSON lines on stdout. Settings come as JSON in LEADER_REPLICA.
import { KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { systemClock } from '../../src/engine/clock.ts';
import type { LeaderElector } from '../../src/engine/leader-election.ts';
import { LeaseElector } from '../../src/engine/lease-elector.ts';
import { RedisElector } from '../../src/engine/redis-elector.ts';
import { reason } from '../../src/policies/types.ts';
import { RedisStateStore } from '../../src/state/redis-store.ts';

export interface ReplicaSettings {
  identity: string;
  backend: 'kubernetes' | 'redis';
  /** For the Lease: the apiserver, the bearer token to use there, and where the Lease lives. */
  kube?: { serverUrl: string; caFile: string; token: string };
  namespace?: string;
  electionName: string;
  redisUrl: string;
  keyPrefix: string;
  journalTarget: string;
  tickMillis: number;
  timings: { leaseDurationMillis: number; renewDeadlineMillis: number; retryPeriodMillis: number };
}

export interface ReplicaEvent {
  event: 'started' | 'leading' | 'following' | 'acted' | 'stopped' | 'error';
  identity: string;
  term: number;
  at: number;
  detail?: string;
}

const settingsText = process.env.LEADER_REPLICA;
if (settingsText === undefined) throw new Error('LEADER_REPLICA (the replica settings as JSON) is not set');
const settings = JSON.parse(settingsText) as ReplicaSettings;

function report(event: ReplicaEvent['event'], term: number, detail?: string): void {
  const line: ReplicaEvent = { event, identity: settings.identity, term, at: Date.now(), ...(detail === undefined ? {} : { detail }) };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1 });
const journal = new RedisStateStore(redis, { keyPrefix: settings.keyPrefix });

function createElector(): LeaderElector {
  const common = { identity: settings.identity, clock: systemClock, timings: settings.timings };
  if (settings.backend === 'redis') {
    return new RedisElector({ ...common, client: redis, electionName: settings.electionName, keyPrefix: settings.keyPrefix });
  }
  if (settings.kube === undefined || settings.namespace === undefined) throw new Error('the Lease backend needs kube and namespace');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'local', server: settings.kube.serverUrl, caFile: settings.kube.caFile, skipTLSVerify: false }],
    users: [{ name: 'replica', token: settings.kube.token }],
    contexts: [{ name: 'local', cluster: 'local', user: 'replica' }],
    currentContext: 'local',
  });
  return new LeaseElector({ ...common, kubeConfig, namespace: settings.namespace, leaseName: settings.electionName });
}

const elector = createElector();
let sequence = 0;
let ticking: Promise<void> = Promise.resolve();
let stopping = false;

async function tick(): Promise<void> {
  if (stopping || !elector.isLeader()) return;
  const term = elector.term;
  sequence += 1;
  await journal.appendDecision(settings.journalTarget, {
    time: Date.now() / 1000,
    current: 1,
    desired: 1,
    action: 'none',
    reasons: [reason('leader-election', 'Acted', `I acted, term ${term}`, { identity: settings.identity, term, sequence })],
    recommendations: [],
  });
  report('acted', term);
}

function runTick(): void {
  ticking = ticking.then(tick).catch((error: unknown) => { report('error', elector.term, error instanceof Error ? error.message : String(error)); });
}

elector.onChange((change) => {
  report(change.leading ? 'leading' : 'following', change.term, change.reason);
  // A new leader acts at once rather than waiting for its next tick.
  if (change.leading) runTick();
});

const ticker = setInterval(runTick, settings.tickMillis);

process.on('SIGTERM', () => {
  stopping = true;
  clearInterval(ticker);
  // The last write finishes before the lease is released, so no successor's write can precede it.
  void ticking
    .then(async () => { await elector.stop(); })
    .then(async () => { await journal.close(); redis.disconnect(); })
    .then(() => { report('stopped', elector.term); process.exit(0); })
    .catch((error: unknown) => { report('error', elector.term, error instanceof Error ? error.message : String(error)); process.exit(1); });
});

elector.start();
report('started', 0);
