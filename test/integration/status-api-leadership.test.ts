// /api/status with two real daemons sharing Redis (journal and leader election): the leader says
// it leads; the follower says it does not, names the leader from the shared journal, shows the
// leader's journaled decisions, and marks its own scaling decisions as not applied.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { HistoryAnswer, StatusAnswer } from '../../src/server/status-api.ts';
import { ensureService } from '../env/environment.ts';
import type { RedisDetails } from '../env/services/redis.ts';
import { startDaemon, type DaemonProcess } from './daemon-process.ts';
import { pollUntil } from './journal-helpers.ts';

describe('status API of a leader and a follower (real daemons, shared Redis)', function () {
  const keyPrefix = `lagpilot-status-leadership-${randomUUID().slice(0, 8)}:`;
  let redis: RedisDetails;
  const running: DaemonProcess[] = [];

  before(async function () {
    this.timeout(120_000);
    redis = await ensureService<RedisDetails>('redis');
  });

  after(async function () {
    for (const daemon of running.splice(0)) await daemon.stop(5_000);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const keys = await client.keys(`${keyPrefix}*`);
      if (keys.length > 0) await client.del(...keys);
    } finally {
      client.disconnect();
    }
  });

  function config(identity: string): Record<string, unknown> {
    return {
      // Nothing listens there: no lag, and the minimum of 1 is what each replica decides.
      clusters: [{ name: 'main', bootstrap: ['127.0.0.1:9'] }],
      redis: { url: redis.url, keyPrefix },
      targets: [{
        name: 'orders', cluster: 'main', consumerGroup: 'orders-consumers', topics: ['orders'],
        interval: '1s', tickTimeout: '500ms', replicas: { min: 1, max: 4 }, lag: { targetSeconds: 10 }, actuator: { kind: 'dryRun' },
      }],
      leaderElection: { backend: 'redis', name: 'status', identity, leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '200ms' },
      shutdown: { deadline: '5s' },
    };
  }

  async function statusOf(daemon: DaemonProcess): Promise<StatusAnswer> {
    const response = await fetch(`${daemon.url}/api/status`, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).to.equal(200);
    return (await response.json()) as StatusAnswer;
  }

  async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 40_000): Promise<T> {
    const { value, accepted } = await pollUntil(read, done, timeoutMs);
    if (!accepted) throw new Error(`${what} not seen within ${String(timeoutMs)} ms; last: ${JSON.stringify(value)}`);
    return value;
  }

  it('the leader leads; the follower names it from the journal and marks its own decisions as not applied', async function () {
    this.timeout(90_000);
    const leader = await startDaemon({ config: config('status-a') });
    running.push(leader);
    const leading = await until('the first daemon leading with a journaled decision', () => statusOf(leader), (status) => status.instance.leading && (status.targets[0]?.decisions.length ?? 0) > 0);
    expect(leading.leader).to.deep.equal({ identity: 'status-a', term: leading.instance.term, source: 'this replica' });

    const follower = await startDaemon({ config: config('status-b') });
    running.push(follower);
    // Its first evaluations may fail while its Redis client still connects (the store unreadable).
    const following = await until('an evaluation of the follower that decided', () => statusOf(follower), (status) => status.targets[0]?.lastOutcome?.kind === 'follower');
    expect(following.instance).to.deep.include({ identity: 'status-b', leading: false });
    expect(following.leader).to.deep.equal({ identity: 'status-a', term: leading.instance.term, source: 'journal' });
    expect(following.targets[0]?.decisions.length, 'the shared journal, read by the follower').to.be.greaterThan(0);
    expect(following.targets[0]?.decisions.every((decision) => decision.leader?.identity === 'status-a'), 'the journal holds only what the leader applied').to.equal(true);

    const response = await fetch(`${follower.url}/api/status/history?target=orders`, { signal: AbortSignal.timeout(5_000) });
    const history = (await response.json()) as HistoryAnswer;
    expect(history.points.filter((point) => point.outcome === 'actuated' || point.outcome === 'kept'), 'a follower never applies').to.deep.equal([]);
    expect(history.points.some((point) => point.outcome === 'follower')).to.equal(true);
    // Its dry-run actuator never applies, so it keeps deciding the scale-up to the minimum.
    expect(history.markers.length).to.be.at.least(1);
    expect(history.markers.map((marker) => [marker.action, marker.desired, marker.applied, marker.actuation])).to.deep.include(['scaleUp', 1, false, undefined]);
  });
});
