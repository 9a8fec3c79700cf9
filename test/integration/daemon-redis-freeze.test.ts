// A real daemon whose Redis freezes (SIGSTOP: the connection stays open and nothing answers, so
// the client sees no disconnect). Every Redis call gets the client's command time limit
// (redis.commandTimeout): /api/status and /api/decisions answer within it and name the cause,
// an alert's raised minimum fails with an error saying what timed out, the leader stops leading;
// the process keeps running, and after SIGCONT it leads, journals and takes alert holds again.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { StatusAnswer } from '../../src/server/status-api.ts';
import { ensureService } from '../env/environment.ts';
import { pingRedis, service as redisService, startPrivateRedis, type RedisDetails } from '../env/services/redis.ts';
import { startDaemon, type DaemonLogLine, type DaemonProcess } from './daemon-process.ts';
import { pollUntil } from './journal-helpers.ts';

const commandTimeoutMs = 500;

interface ReadinessCheckAnswer { name: string; ok: boolean; error?: string }

describe('daemon whose Redis freezes (SIGSTOP) and thaws (SIGCONT)', function () {
  let redis: RedisDetails | undefined;
  let daemon: DaemonProcess | undefined;
  let frozenPid: number | undefined;

  const thaw = (): void => {
    if (frozenPid !== undefined) process.kill(frozenPid, 'SIGCONT');
    frozenPid = undefined;
  };

  before(async function () {
    this.timeout(120_000);
    // The shared Redis stays up for the other suites; the binary and its settings are the same.
    await ensureService<RedisDetails>('redis');
    redis = await startPrivateRedis('redis-daemon-freeze');
  });

  after(async function () {
    this.timeout(60_000);
    thaw();
    await daemon?.stop(10_000);
    if (redis !== undefined) await redisService.stop(redis);
  });

  async function timed<T>(work: () => Promise<T>): Promise<{ value: T; millis: number }> {
    const startedAt = performance.now();
    const value = await work();
    return { value, millis: performance.now() - startedAt };
  }

  async function getJson(url: string): Promise<{ status: number; body: unknown }> {
    // A hung answer is the failure this test is about: give up long before mocha would.
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.json() };
  }

  async function postAlert(url: string, fingerprint: string): Promise<number> {
    const body = {
      version: '4', status: 'firing', receiver: 'lagpilot', groupKey: `{}:{alertname="KafkaLagHigh"}`,
      alerts: [{ status: 'firing', labels: { alertname: 'KafkaLagHigh' }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint }],
    };
    const response = await fetch(`${url}/webhooks/alertmanager`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
    return response.status;
  }

  async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
    const { value, accepted } = await pollUntil(read, done, timeoutMs);
    if (!accepted) throw new Error(`${what} not seen within ${String(timeoutMs)} ms; last: ${JSON.stringify(value)}`);
    return value;
  }

  const logged = (message: string, from: number) => (line: DaemonLogLine): boolean => line.message === message && daemon !== undefined && daemon.logLines.indexOf(line) >= from;

  it('answers, names what timed out, keeps running while Redis is frozen, and recovers after SIGCONT', async function () {
    this.timeout(120_000);
    if (redis === undefined) throw new Error('the private Redis was not started');
    daemon = await startDaemon({
      config: {
        // Nothing listens there: no lag, and the minimum of 1 is what the daemon decides.
        clusters: [{ name: 'main', bootstrap: ['127.0.0.1:9'] }],
        redis: { url: redis.url, keyPrefix: `lagpilot-freeze-${randomUUID().slice(0, 8)}:`, commandTimeout: `${commandTimeoutMs}ms` },
        targets: [{
          name: 'orders', cluster: 'main', consumerGroup: 'orders-consumers', topics: ['orders'],
          interval: '1s', tickTimeout: '800ms', replicas: { min: 1, max: 4 }, lag: { targetSeconds: 10 }, actuator: { kind: 'dryRun' },
        }],
        leaderElection: { backend: 'redis', name: 'freeze', identity: 'freeze-a', leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '200ms' },
        alerts: { routes: [{ name: 'lag-floor', matchers: ['alertname="KafkaLagHigh"'], action: { type: 'raiseMinReplicas', target: 'orders', minReplicas: 3, maxDuration: '10m' } }] },
        shutdown: { deadline: '5s' },
      },
    });
    const { url } = daemon;
    const status = async (): Promise<StatusAnswer> => (await getJson(`${url}/api/status`)).body as StatusAnswer;
    // /readyz as a whole stays 503: no Kafka listens at the configured bootstrap address.
    const redisCheck = async (): Promise<ReadinessCheckAnswer | undefined> =>
      ((await getJson(`${url}/readyz`)).body as { checks: ReadinessCheckAnswer[] }).checks.find((check) => check.name === 'redis');
    await until('the daemon leading with a journaled decision', status, (answer) => answer.instance.leading && (answer.targets[0]?.decisions.length ?? 0) > 0);

    const [pid] = redis.pids;
    if (pid === undefined) throw new Error('the private Redis has no pid');
    process.kill(pid, 'SIGSTOP');
    frozenPid = pid;
    const frozenFromLine = daemon.logLines.length;
    const noAnswer = new RegExp(`Redis did not answer within ${commandTimeoutMs} ms \\(redis\\.commandTimeout\\)`);

    // /api/status: the journal read gives up at the command time limit; the rest is shown.
    const frozenStatus = await timed(status);
    expect(frozenStatus.millis, '/api/status answered within about the command time limit').to.be.lessThan(commandTimeoutMs + 1_500);
    expect(frozenStatus.value.targets[0]?.decisions).to.deep.equal([]);
    expect(frozenStatus.value.targets[0]?.decisionsError).to.match(/^the decision journal could not be read: /).and.to.match(noAnswer);

    const frozenDecisions = await timed(() => getJson(`${url}/api/decisions?target=orders`));
    expect(frozenDecisions.millis).to.be.lessThan(commandTimeoutMs + 1_500);
    expect(frozenDecisions.value.status).to.equal(503);
    expect((frozenDecisions.value.body as { error: string }).error).to.match(/^the decision journal could not be read: /).and.to.match(noAnswer);

    // An alert's raised minimum cannot be written: the error says which hold and what timed out.
    const alertSentAt = performance.now();
    expect(await postAlert(url, 'frozen-1')).to.equal(200);
    const holdFailure = await daemon.waitForLogLine(logged('alert could not raise the minimum of a target', frozenFromLine), 10_000, 'the failed alert hold');
    expect(performance.now() - alertSentAt, 'the hold write failed within about the command time limit').to.be.lessThan(2 * commandTimeoutMs + 1_500);
    expect(holdFailure.error).to.be.a('string').and.to.match(/^writing the alert hold lag-floor\/frozen-1 of orders to Redis: /).and.to.match(noAnswer);

    // The leader cannot renew its lock: it says why, and stops leading at the renew deadline.
    const renewFailure = await daemon.waitForLogLine(
      (line) => logged('leader election attempt failed', frozenFromLine)(line) && typeof line.error === 'string' && line.error.startsWith('renewing the leader lock'),
      10_000, 'a failed renewal of the leader lock');
    expect(renewFailure.error).to.match(noAnswer);
    await until('the frozen daemon no longer leading', status, (answer) => !answer.instance.leading, 10_000);

    // Still alive and serving; its redis readiness check fails while Redis does not answer.
    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
    expect(health.status).to.equal(200);
    await health.body?.cancel();
    expect((await redisCheck())?.ok).to.equal(false);

    thaw();
    expect(await pingRedis(redis.port)).to.equal(true);
    const thawedAtSeconds = Date.now() / 1000;
    const recovered = await until('the thawed daemon leading and journaling again', status, (answer) => {
      const [orders] = answer.targets;
      return answer.instance.leading && orders?.decisionsError === null && (orders.decisions[0]?.time ?? 0) >= thawedAtSeconds;
    });
    expect(recovered.targets[0]?.decisions[0]?.leader?.identity).to.equal('freeze-a');

    // Alert holds work again: a new alert raises the minimum, and the next decision keeps it.
    const recoveredFromLine = daemon.logLines.length;
    expect(await postAlert(url, 'thawed-1')).to.equal(200);
    await daemon.waitForLogLine(logged('alert raises the minimum of a target', recoveredFromLine), 10_000, 'the alert hold after the thaw');
    const held = await until('a decision at the raised minimum', status, (answer) => answer.targets[0]?.decisions[0]?.desired === 3);
    expect(held.targets[0]?.decisions[0]?.reasons.map((entry) => entry.code)).to.include('AlertRaisedMinimum');
    await until('the redis readiness check passing again', redisCheck, (check) => check?.ok === true, 10_000);

    const exit = await daemon.stop(10_000);
    daemon = undefined;
    expect(exit).to.deep.equal({ code: 0, signal: null });
  });
});
