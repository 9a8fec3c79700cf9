// Redis goes away in the middle of a tick of the control loop, for real: the reconciler runs with
// the Redis state store on a private redis-server (the shared one serves other suites), and a
// collector or actuator of the test stops or freezes that server at the worst moment. Each tick
// must end with a reason that names what failed, never apply a decision twice, keep the cooldown
// of a change the journal could not record, and count journal failures; once Redis is back the
// next ticks work and the journal holds every applied change once, in order.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { ActuationRequest, ActuationResult, Actuator, ActuatorState } from '../../src/actuators/actuator.ts';
import { ManualClock } from '../../src/engine/clock.ts';
import type { CollectionPlan, TargetCollection } from '../../src/engine/collection.ts';
import { groupCollection, predictableEngineConfig, type GroupView } from '../../src/engine/reconciler-fixtures.ts';
import { Reconciler, singleInstanceGate } from '../../src/engine/reconciler.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { Decision } from '../../src/policies/types.ts';
import { RedisStateStore } from '../../src/state/redis-store.ts';
import { ensureService } from '../env/environment.ts';
import { pingRedis, restartRedis, service as redisService, startPrivateRedis, type RedisDetails } from '../env/services/redis.ts';

const discard = new Writable({ write: (_chunk, _encoding, done) => { done(); } });
const keyPrefix = `lagpilot-test:redis-fault:${process.pid}:${Date.now()}:`;

/** Replicas as a number; `beforeApply` runs inside apply(), before the change is made. */
class CountingActuator implements Actuator {
  readonly kind = 'counting';
  readonly dryRun = false;
  replicas = 1;
  readonly applied: ActuationRequest[] = [];
  beforeApply: (() => Promise<void>) | undefined;

  current(): Promise<ActuatorState> {
    return Promise.resolve({ replicas: this.replicas, notices: [] });
  }

  async apply(request: ActuationRequest): Promise<ActuationResult> {
    const hook = this.beforeApply;
    this.beforeApply = undefined;
    await hook?.();
    this.applied.push(request);
    const before = this.replicas;
    this.replicas = request.decision.desired;
    return { status: 'applied', code: 'Scaled', detail: `${before} -> ${this.replicas}`, replicasBefore: before, replicasAfter: this.replicas };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const busy: GroupView = { lagMessages: 6_000, lagSeconds: 60, produceRate: 250, consumeRate: 100, members: 1 };
const quiet: GroupView = { lagMessages: 0, lagSeconds: 0, produceRate: 50, consumeRate: 50, members: 1 };

/**
 * The daemon's client settings (src/daemon.ts connectRedis): fail at once while disconnected,
 * reconnect with backoff, give up on a command after `commandTimeout` (redis.commandTimeout,
 * 2 s by default: longer than the ticks of these tests, so their own time limit passes first).
 */
function daemonLikeClient(url: string, commandTimeout = 2_000): Redis {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (attempt) => Math.min(attempt * 200, 5000), commandTimeout });
  // Errors while Redis is away are what the test is about; the reconciler reports them.
  client.on('error', () => undefined);
  return client;
}

async function connected(client: Redis, url: string, withinMillis = 20_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`the ioredis client did not reconnect to ${url} within ${withinMillis} ms (status ${client.status})`));
    }, withinMillis);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** What a test changes between ticks: the load the fake collector shows, and a hook inside it. */
interface Scene {
  world: GroupView;
  /** Runs inside the next collection, before it returns. */
  beforeCollect: (() => Promise<void>) | undefined;
}

interface Loop {
  reconciler: Reconciler;
  clock: ManualClock;
  registry: Registry;
  store: RedisStateStore;
  actuator: CountingActuator;
  scene: Scene;
  target: string;
}

function loop(client: Redis, target: string): Loop {
  const clock = new ManualClock(1_700_000_000_000);
  const registry = new Registry();
  const store = new RedisStateStore(client, { keyPrefix, journalLength: 100 });
  const actuator = new CountingActuator();
  const scene: Scene = { world: { ...quiet }, beforeCollect: undefined };
  const collect = async (plan: CollectionPlan): Promise<TargetCollection> => {
    const hook = scene.beforeCollect;
    scene.beforeCollect = undefined;
    await hook?.();
    return groupCollection(plan.target, scene.world, clock.now());
  };
  const reconciler = new Reconciler({
    targets: [{ name: target, engine: predictableEngineConfig(), plan: { target, readers: [], derivations: [] }, actuator, evaluationTimeoutMillis: 5_000 }],
    collect,
    store,
    leader: singleInstanceGate('replica-a'),
    clock,
    logger: createLogger({ level: 'error', stream: discard }),
    registry,
  });
  return { reconciler, clock, registry, store, actuator, scene, target };
}

/** One scheduled tick with its time limit; its rejection is the reason the scheduler would log. */
async function tick(state: Loop, limitMillis = 5_000): Promise<{ error?: string; millis: number }> {
  const started = Date.now();
  // A tick that never ends is the failure this guards against: give up well before mocha would.
  const hung = new Promise<never>((_resolve, reject) => {
    setTimeout(() => { reject(new Error(`the tick of ${state.target} did not end within ${limitMillis + 10_000} ms of its start (limit ${limitMillis} ms)`)); }, limitMillis + 10_000).unref();
  });
  try {
    await Promise.race([state.reconciler.tick(state.target, AbortSignal.timeout(limitMillis)), hung]);
    return { millis: Date.now() - started };
  } catch (error) {
    if (error instanceof Error && error.message.includes('did not end within')) throw error;
    return { error: String(error), millis: Date.now() - started };
  }
}

async function counter(registry: Registry, name: string, target: string): Promise<number | undefined> {
  const values = (await registry.getSingleMetric(name)?.get())?.values;
  return values?.find((entry) => entry.labels.target === target)?.value;
}

/** The journal, oldest first, as action current → desired. */
async function journal(state: Loop): Promise<string[]> {
  const decisions: Decision[] = await state.store.recentDecisions(state.target, 100);
  return decisions.reverse().map((decision) => `${decision.action} ${decision.current}->${decision.desired}`);
}

describe('reconciler when Redis goes away mid-tick', function () {
  let redis: RedisDetails | undefined;
  let client: Redis | undefined;
  let frozenPid: number | undefined;
  const shortLimitClients: Redis[] = [];

  const details = (): RedisDetails => {
    if (redis === undefined) throw new Error('the private Redis was not started');
    return redis;
  };
  const redisClient = (): Redis => {
    if (client === undefined) throw new Error('no Redis client');
    return client;
  };
  const stopRedis = async (): Promise<void> => { await redisService.stop(details()); };
  const startRedisAgain = async (): Promise<void> => {
    redis = await restartRedis(details());
    await connected(redisClient(), details().url);
  };
  const freezeRedis = (): Promise<void> => {
    const [pid] = details().pids;
    if (pid === undefined) throw new Error('the private Redis has no pid');
    process.kill(pid, 'SIGSTOP');
    frozenPid = pid;
    return Promise.resolve();
  };
  const thawRedis = (): void => {
    if (frozenPid !== undefined) process.kill(frozenPid, 'SIGCONT');
    frozenPid = undefined;
  };

  before(async function () {
    // The shared Redis stays up for the other suites; the binary and its settings are the same.
    await ensureService<RedisDetails>('redis');
    redis = await startPrivateRedis('redis-reconciler-fault');
    client = daemonLikeClient(redis.url);
    await connected(client, redis.url);
  });

  beforeEach(async function () {
    // Each case starts with its Redis up, whatever the one before left behind.
    thawRedis();
    if (!(await pingRedis(details().port))) await startRedisAgain();
    await connected(redisClient(), details().url);
  });

  after(async function () {
    thawRedis();
    for (const shortLimit of shortLimitClients) shortLimit.disconnect();
    client?.disconnect();
    if (redis !== undefined) await redisService.stop(redis);
  });

  it('a tick that loses Redis while collecting decides and applies nothing, says why, and the loop goes on', async function () {
    const state = loop(redisClient(), 'orders-collect');
    expect((await tick(state)).error).to.equal(undefined);

    state.scene.world = { ...busy };
    state.scene.beforeCollect = stopRedis;
    await state.clock.advance(15_000);
    const lost = await tick(state);
    expect(lost.error).to.match(/orders-collect: the state store could not be read, so nothing was decided or applied/);
    expect(state.actuator.applied, 'nothing applied without the history').to.have.length(0);

    // Redis is still away: the next tick fails the same way, promptly.
    await state.clock.advance(15_000);
    const stillAway = await tick(state);
    expect(stillAway.error).to.match(/the state store could not be read/);
    expect(stillAway.millis).to.be.lessThan(3_000);
    expect(await counter(state.registry, 'lagpilot_state_store_failures_total', state.target)).to.equal(2);

    await startRedisAgain();
    await state.clock.advance(15_000);
    expect((await tick(state)).error).to.equal(undefined);
    expect(state.actuator.applied).to.have.length(1);
    expect(await journal(state)).to.deep.equal(['none 1->1', `scaleUp 1->${state.actuator.replicas}`]);
  });

  it('a change applied while Redis goes away is applied once, counted, journaled once Redis is back, and its cooldown holds', async function () {
    const state = loop(redisClient(), 'orders-apply');
    state.scene.world = { ...busy };
    state.actuator.beforeApply = stopRedis;
    const applied = await tick(state);
    const scaledTo = state.actuator.replicas;
    expect(scaledTo).to.be.greaterThan(1);
    expect(applied.error).to.match(new RegExp(`orders-apply: applied \\(1 -> ${scaledTo}\\) but the journal could not record it: .+; it is journaled once the store answers, before the next decision`));
    expect(await counter(state.registry, 'lagpilot_journal_failures_total', state.target)).to.equal(1);

    await state.clock.advance(15_000);
    expect((await tick(state)).error).to.match(/the state store could not be read/);

    // Back 30 s after the scale-up, with the load gone: the scale-up's cooldown (60 s) holds.
    await startRedisAgain();
    state.scene.world = { ...quiet, produceRate: 20, consumeRate: 20, members: scaledTo };
    await state.clock.advance(15_000);
    expect((await tick(state)).error).to.equal(undefined);
    expect(state.actuator.applied, 'the scale-up was applied once and nothing since').to.have.length(1);
    const [held] = await state.store.recentDecisions(state.target, 1);
    expect(held?.reasons.map((reason) => reason.code)).to.include('ScaleDownCooldownAfterScaleUp');
    expect(await journal(state)).to.deep.equal([`scaleUp 1->${scaledTo}`, `none ${scaledTo}->${scaledTo}`]);

    await state.clock.advance(31_000);
    expect((await tick(state)).error).to.equal(undefined);
    expect(state.actuator.applied).to.have.length(2);
    expect(await journal(state)).to.deep.equal([`scaleUp 1->${scaledTo}`, `none ${scaledTo}->${scaledTo}`, `scaleDown ${scaledTo}->1`]);
  });

  it('a tick whose Redis freezes while it journals ends at its time limit, and the write that lands after the thaw is not journaled twice', async function () {
    const state = loop(redisClient(), 'orders-freeze');
    state.scene.world = { ...busy };
    state.actuator.beforeApply = freezeRedis;
    const frozen = await tick(state, 1_500);
    const scaledTo = state.actuator.replicas;
    expect(frozen.error).to.match(/orders-freeze: applied \(1 -> \d+\) but the journal could not record it: the state store did not answer within the evaluation's time limit/);
    expect(frozen.millis).to.be.lessThan(4_000);

    // Still frozen: the next tick ends at its limit too, and applies nothing.
    await state.clock.advance(15_000);
    const stillFrozen = await tick(state, 1_500);
    expect(stillFrozen.error).to.match(/orders-freeze: the state store could not be read.+did not answer within the evaluation's time limit/);
    expect(state.actuator.applied).to.have.length(1);

    // Thawed, with the group carrying the load at the new count; the scale-up's cooldown holds.
    thawRedis();
    state.scene.world = { ...quiet, produceRate: 250, consumeRate: 250, members: scaledTo };
    await state.clock.advance(15_000);
    expect((await tick(state)).error).to.equal(undefined);
    expect(state.actuator.applied).to.have.length(1);
    expect(await journal(state)).to.deep.equal([`scaleUp 1->${scaledTo}`, `none ${scaledTo}->${scaledTo}`]);
    expect(await counter(state.registry, 'lagpilot_journal_failures_total', state.target)).to.equal(1);
  });
  it('a tick whose Redis freezes while it journals, on a client whose command time limit is shorter than the tick, names that limit, and the write that lands after the thaw is not journaled twice', async function () {
    const shortLimit = daemonLikeClient(details().url, 300);
    shortLimitClients.push(shortLimit);
    await connected(shortLimit, details().url);
    const state = loop(shortLimit, 'orders-command-limit');
    state.scene.world = { ...busy };
    state.actuator.beforeApply = freezeRedis;
    const frozen = await tick(state, 1_500);
    const scaledTo = state.actuator.replicas;
    expect(frozen.error).to.match(/orders-command-limit: applied \(1 -> \d+\) but the journal could not record it: Redis did not answer within 300 ms \(redis\.commandTimeout\)/);
    expect(frozen.millis, 'the command time limit ended the write before the tick\'s own').to.be.lessThan(1_500);

    // Still frozen: the catch-up's read gives up at the command time limit; nothing is applied.
    await state.clock.advance(15_000);
    const stillFrozen = await tick(state, 1_500);
    expect(stillFrozen.error).to.match(/orders-command-limit: the state store could not be read.+Redis did not answer within 300 ms/);
    expect(stillFrozen.millis).to.be.lessThan(1_500);
    expect(state.actuator.applied).to.have.length(1);

    // Thawed: the write given up on the client's side still ran in Redis; the catch-up finds it.
    thawRedis();
    state.scene.world = { ...quiet, produceRate: 250, consumeRate: 250, members: scaledTo };
    await state.clock.advance(15_000);
    expect((await tick(state)).error).to.equal(undefined);
    expect(state.actuator.applied).to.have.length(1);
    expect(await journal(state)).to.deep.equal([`scaleUp 1->${scaledTo}`, `none ${scaledTo}->${scaledTo}`]);
  });
});
