// Two real `lagpilot run` processes with leader election configured (a Redis lock, then a
// Kubernetes Lease): /metrics shows exactly one leader; SIGTERM of the leader hands leadership to
// the other at its next attempt; /api/decisions reads the journal the replicas share in Redis.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureService } from '../env/environment.ts';
import type { KubeDetails } from '../env/services/kube.ts';
import type { RedisDetails } from '../env/services/redis.ts';
import { reason, type Decision } from '../../src/policies/types.ts';
import { RedisStateStore } from '../../src/state/redis-store.ts';
import { sampleValue, startDaemon, type DaemonProcess } from './daemon-process.ts';
import { uniqueName } from './kube-helpers.ts';

const keyPrefix = `lagpilot-test:leader-daemon:${process.pid}:${Date.now()}:`;
const retryPeriod = 300;

async function leaderGauge(daemon: DaemonProcess, identity: string): Promise<number | undefined> {
  return sampleValue(await daemon.metrics(), `lagpilot_leader{identity="${identity}"}`);
}

async function waitForGauge(daemon: DaemonProcess, identity: string, value: number, timeoutMillis: number): Promise<number> {
  const startedAt = Date.now();
  for (;;) {
    if (await leaderGauge(daemon, identity) === value) return Date.now() - startedAt;
    if (Date.now() - startedAt > timeoutMillis) throw new Error(`lagpilot_leader{identity="${identity}"} did not become ${value} within ${timeoutMillis} ms`);
    await sleep(25);
  }
}

describe('leader election in lagpilot run (two real daemons)', function () {
  let redisDetails: RedisDetails;
  let kube: KubeDetails;
  const running: DaemonProcess[] = [];

  before(async function () {
    this.timeout(0);
    redisDetails = await ensureService<RedisDetails>('redis');
    kube = await ensureService<KubeDetails>('kube');
  });

  afterEach(async function () {
    for (const daemon of running.splice(0)) await daemon.stop(5000);
  });

  after(async function () {
    const client = new Redis(redisDetails.url, { maxRetriesPerRequest: 1 });
    try {
      const keys = await client.keys(`${keyPrefix}*`);
      if (keys.length > 0) await client.del(...keys);
    } finally {
      client.disconnect();
    }
  });

  function config(identity: string, leaderElection: Record<string, unknown>): Record<string, unknown> {
    return {
      log: { level: 'info' },
      clusters: [{ name: 'main', bootstrap: ['127.0.0.1:9'] }],
      redis: { url: redisDetails.url, keyPrefix },
      targets: [{
        name: 'orders', cluster: 'main', consumerGroup: 'orders-consumers', topics: ['orders'],
        interval: '1s', tickTimeout: '500ms', replicas: { min: 1, max: 4 }, lag: { targetSeconds: 10 }, actuator: { kind: 'dryRun' },
      }],
      leaderElection: { identity, leaseDuration: '3s', renewDeadline: '2s', retryPeriod: `${retryPeriod}ms`, ...leaderElection },
      shutdown: { deadline: '5s' },
    };
  }

  const backends: { name: string; section: () => Record<string, unknown> }[] = [
    { name: 'Redis lock', section: () => ({ backend: 'redis', name: uniqueName('daemons') }) },
    { name: 'Kubernetes Lease', section: () => ({ backend: 'kubernetes', name: uniqueName('daemons'), namespace: 'default', kubeconfig: kube.kubeconfig }) },
  ];

  for (const backend of backends) {
    it(`with a ${backend.name}: one daemon leads, and SIGTERM hands over to the other at its next attempt`, async function () {
      this.timeout(60_000);
      const section = backend.section();
      const first = await startDaemon({ config: config('daemon-a', section) });
      running.push(first);
      await waitForGauge(first, 'daemon-a', 1, 10_000);
      const second = await startDaemon({ config: config('daemon-b', section) });
      running.push(second);
      await sleep(3 * retryPeriod);
      expect(await leaderGauge(second, 'daemon-b'), 'the second daemon follows').to.equal(0);
      expect(await leaderGauge(first, 'daemon-a'), 'the first daemon still leads').to.equal(1);
      expect(sampleValue(await first.metrics(), 'lagpilot_leader_term')).to.be.at.least(1);

      const stoppedAt = Date.now();
      const exit = await first.stop(5000);
      const shutdownProblems = first.logLines.filter((line) => line.message === 'shutdown incomplete');
      expect(exit, `clean exit after SIGTERM (${JSON.stringify(shutdownProblems)})`).to.deep.equal({ code: 0, signal: null });
      await waitForGauge(second, 'daemon-b', 1, 5000);
      const handoverMillis = Date.now() - stoppedAt;
      console.log(`      ${backend.name}: SIGTERM of the leading daemon -> the other leads after ${handoverMillis} ms (process exit included)`);
      // Without the release on stop the follower would wait out the 3 s lease.
      expect(handoverMillis).to.be.below(2500);
      expect(first.logLines.some((line) => line.message === 'not leading' && line.reason === 'stopped; lease released'), 'the stopping daemon logs the release').to.equal(true);
    });
  }

  it('serves the shared journal on /api/decisions', async function () {
    const daemon = await startDaemon({ config: config('daemon-a', { backend: 'none' }) });
    running.push(daemon);
    const client = new Redis(redisDetails.url, { maxRetriesPerRequest: 1 });
    const decision: Decision = {
      time: 1_790_000_000,
      current: 2,
      desired: 5,
      action: 'scaleUp',
      reasons: [reason('lag', 'LagAboveTarget', 'lag 45 s is above the 10 s target', { lagSeconds: 45 })],
      recommendations: [],
    };
    try {
      // Written as another replica sharing the Redis would write it.
      await new RedisStateStore(client, { keyPrefix }).appendDecision('orders', decision);
    } finally {
      client.disconnect();
    }
    // The daemon's Redis client may still be connecting (the endpoint answers 503 until then).
    let answer = await fetch(`${daemon.url}/api/decisions?target=orders&limit=5`);
    for (let attempt = 0; answer.status === 503 && attempt < 50; attempt += 1) {
      await sleep(100);
      answer = await fetch(`${daemon.url}/api/decisions?target=orders&limit=5`);
    }
    const failures = daemon.logLines.filter((line) => line.message === 'request failed');
    expect(answer.status, `GET /api/decisions: ${await answer.clone().text()} ${JSON.stringify(failures)}`).to.equal(200);
    // The daemon journals its own decisions for the target too; the one another replica wrote
    // must be among them, exactly as written.
    const body = (await answer.json()) as { target: string; configured: boolean; limit: number; decisions: Decision[] };
    expect({ target: body.target, configured: body.configured, limit: body.limit }).to.deep.equal({ target: 'orders', configured: true, limit: 5 });
    expect(body.decisions.length).to.be.within(1, 5);
    expect(body.decisions.filter((journaled) => journaled.time === decision.time)).to.deep.equal([decision]);
    const unknown = await fetch(`${daemon.url}/api/decisions?target=payments`);
    expect(await unknown.json()).to.deep.equal({ target: 'payments', configured: false, limit: 20, decisions: [] });
    const bad = await fetch(`${daemon.url}/api/decisions?target=orders&limit=all`);
    expect(bad.status).to.equal(400);
    expect(await bad.json()).to.deep.equal({ error: 'the limit parameter must be a whole number from 1 to 1000, got "all"' });
  });
});
