import { expect } from 'chai';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { ActuationRequest, ActuationResult, Actuator, ActuatorState } from '../actuators/actuator.ts';
import { createLogger } from '../logging/logger.ts';
import { MemoryStateStore } from '../state/memory-store.ts';
import type { CollectionPlan, TargetCollection } from './collection.ts';
import { ManualClock } from './clock.ts';
import { MinimumHolds } from './minimum-holds.ts';
import { groupCollection, predictableEngineConfig, type GroupView } from './reconciler-fixtures.ts';
import { Reconciler, singleInstanceGate, type LeaderGate, type ReconciledTarget } from './reconciler.ts';

const discard = new Writable({ write: (_chunk, _encoding, done) => { done(); } });

/** Workers as a number: applies what it is asked, or fails as told. */
class CountingActuator implements Actuator {
  readonly kind = 'counting';
  readonly dryRun = false;
  replicas: number;
  applied: ActuationRequest[] = [];
  failApply = false;
  failRead = false;

  constructor(replicas: number) {
    this.replicas = replicas;
  }

  current(): Promise<ActuatorState> {
    if (this.failRead) return Promise.reject(new Error('the workload is gone'));
    return Promise.resolve({ replicas: this.replicas, notices: [] });
  }

  apply(request: ActuationRequest): Promise<ActuationResult> {
    this.applied.push(request);
    const before = this.replicas;
    if (this.failApply) return Promise.resolve({ status: 'failed', code: 'Unreachable', detail: 'connection refused', replicasBefore: before });
    this.replicas = request.decision.desired;
    return Promise.resolve({ status: 'applied', code: 'Scaled', detail: `${before} -> ${this.replicas}`, replicasBefore: before, replicasAfter: this.replicas });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** What the fake Kafka shows for a target, stamped at the clock's time. */
type World = GroupView & { partitions: number };

interface Harness {
  reconciler: Reconciler;
  clock: ManualClock;
  store: MemoryStateStore;
  registry: Registry;
  worlds: Map<string, World>;
  actuators: Map<string, CountingActuator>;
  collections: string[];
}

function harness(names: string[], leader: LeaderGate = singleInstanceGate('replica-a'), collectDelay?: () => Promise<void>, minimumHolds?: MinimumHolds): Harness {
  const clock = new ManualClock(1_700_000_000_000);
  const store = new MemoryStateStore({ nowMillis: () => clock.now() });
  const registry = new Registry();
  const worlds = new Map<string, World>();
  const actuators = new Map<string, CountingActuator>();
  const collections: string[] = [];
  const targets: ReconciledTarget[] = names.map((name) => {
    worlds.set(name, { lagMessages: 0, lagSeconds: 0, produceRate: 50, consumeRate: 50, members: 1, partitions: 12 });
    const actuator = new CountingActuator(1);
    actuators.set(name, actuator);
    return { name, engine: predictableEngineConfig(), plan: { target: name, readers: [], derivations: [] }, actuator, evaluationTimeoutMillis: 5_000 };
  });
  const collect = async (plan: CollectionPlan): Promise<TargetCollection> => {
    collections.push(plan.target);
    await collectDelay?.();
    const world = worlds.get(plan.target);
    if (world === undefined) throw new Error(`no world for ${plan.target}`);
    return groupCollection(plan.target, world, clock.now());
  };
  const reconciler = new Reconciler({ targets, collect, store, leader, clock, logger: createLogger({ level: 'error', stream: discard }), registry, ...(minimumHolds === undefined ? {} : { minimumHolds }) });
  return { reconciler, clock, store, registry, worlds, actuators, collections };
}

/** A series' value; `series` names one series of a histogram (its _count, _sum or _bucket). */
async function metric(registry: Registry, name: string, labels: Record<string, string>, series = name): Promise<number | undefined> {
  const found = await registry.getSingleMetric(name)?.get();
  const values = found?.values as { value: number; labels: Record<string, string | number>; metricName?: string }[] | undefined;
  return values?.find((entry) => (entry.metricName ?? name) === series && Object.entries(labels).every(([key, value]) => entry.labels[key] === value))?.value;
}

function world(h: Harness, name: string): World {
  const found = h.worlds.get(name);
  if (found === undefined) throw new Error(`no world ${name}`);
  return found;
}

function actuator(h: Harness, name: string): CountingActuator {
  const found = h.actuators.get(name);
  if (found === undefined) throw new Error(`no actuator ${name}`);
  return found;
}

/** Ticks `name` and aborts it after `afterMillis`, as the scheduler's time limit does; returns what the tick rejected with. */
async function tickAbortedAfter(h: Harness, name: string, afterMillis: number): Promise<unknown> {
  const limit = new AbortController();
  const tick = h.reconciler.tick(name, limit.signal);
  setTimeout(() => { limit.abort(new Error(`tick of ${name} exceeded its timeout of ${afterMillis} ms`)); }, afterMillis);
  try {
    await tick;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('Reconciler', () => {
  it('scales out on lag above target and journals the decision with its reasons, result and leader', async () => {
    const h = harness(['orders']);
    Object.assign(world(h, 'orders'), { lagMessages: 6_000, lagSeconds: 60, produceRate: 250, consumeRate: 100 });
    await h.reconciler.tick('orders', new AbortController().signal);

    expect(actuator(h, 'orders').replicas).to.be.greaterThan(1);
    const [journaled] = await h.store.recentDecisions('orders', 1);
    expect(journaled?.action).to.equal('scaleUp');
    expect(journaled?.reasons.map((entry) => entry.code)).to.include('LagAboveTarget');
    expect(journaled?.actuation).to.deep.include({ status: 'applied', code: 'Scaled' });
    expect(journaled?.leader).to.deep.equal({ identity: 'replica-a', term: 1 });
    expect(await metric(h.registry, 'lagpilot_decisions_total', { target: 'orders', action: 'scaleUp' })).to.equal(1);
    expect(await metric(h.registry, 'lagpilot_actuations_total', { target: 'orders', status: 'applied' })).to.equal(1);
    expect(await metric(h.registry, 'lagpilot_desired_replicas', { target: 'orders' })).to.equal(actuator(h, 'orders').replicas);
    expect(await metric(h.registry, 'lagpilot_current_replicas', { target: 'orders' })).to.equal(actuator(h, 'orders').replicas);
    expect(await metric(h.registry, 'lagpilot_loop_duration_seconds', { target: 'orders' }, 'lagpilot_loop_duration_seconds_count')).to.equal(1);
  });

  it('holds a scale-in during the cooldown after a scale-out, then scales in', async () => {
    const h = harness(['orders']);
    Object.assign(world(h, 'orders'), { lagMessages: 6_000, lagSeconds: 60, produceRate: 250, consumeRate: 100 });
    await h.reconciler.tick('orders', new AbortController().signal);
    const scaledTo = actuator(h, 'orders').replicas;
    Object.assign(world(h, 'orders'), { lagMessages: 0, lagSeconds: 0, produceRate: 20, consumeRate: 20, members: scaledTo });

    await h.clock.advance(30_000);
    await h.reconciler.tick('orders', new AbortController().signal);
    expect(actuator(h, 'orders').replicas, 'held by the cooldown').to.equal(scaledTo);
    const [held] = await h.store.recentDecisions('orders', 1);
    expect(held?.action).to.equal('none');
    expect(held?.reasons.map((entry) => entry.code)).to.include('ScaleDownCooldownAfterScaleUp');

    await h.clock.advance(31_000);
    await h.reconciler.tick('orders', new AbortController().signal);
    expect(actuator(h, 'orders').replicas).to.equal(1);
    const [scaledIn] = await h.store.recentDecisions('orders', 1);
    expect(scaledIn?.action).to.equal('scaleDown');
  });

  it('decides but neither applies nor journals while another replica leads', async () => {
    const h = harness(['orders'], { identity: 'replica-b', term: 0, isLeader: () => false });
    Object.assign(world(h, 'orders'), { lagMessages: 6_000, lagSeconds: 60, produceRate: 250, consumeRate: 100 });
    const outcome = await h.reconciler.evaluateNow('orders');
    expect(outcome.kind).to.equal('follower');
    expect(actuator(h, 'orders').applied).to.have.length(0);
    expect(await h.store.recentDecisions('orders', 10)).to.have.length(0);
    expect(await metric(h.registry, 'lagpilot_decisions_total', { target: 'orders', action: 'scaleUp' })).to.equal(1);
    expect(await metric(h.registry, 'lagpilot_actuations_total', { target: 'orders', status: 'applied' })).to.equal(0);
  });

  it('journals a failed actuation, counts it by code, and starts no cooldown with it', async () => {
    const h = harness(['orders']);
    Object.assign(world(h, 'orders'), { lagMessages: 6_000, lagSeconds: 60, produceRate: 250, consumeRate: 100 });
    actuator(h, 'orders').failApply = true;
    await h.reconciler.tick('orders', new AbortController().signal);
    const [journaled] = await h.store.recentDecisions('orders', 1);
    expect(journaled?.actuation).to.deep.include({ status: 'failed', code: 'Unreachable' });
    expect(await metric(h.registry, 'lagpilot_actuation_failures_total', { target: 'orders', code: 'Unreachable' })).to.equal(1);

    // The next evaluation tries again: the failed change is no scale event.
    actuator(h, 'orders').failApply = false;
    await h.clock.advance(1_000);
    await h.reconciler.tick('orders', new AbortController().signal);
    expect(actuator(h, 'orders').applied).to.have.length(2);
    expect(actuator(h, 'orders').replicas).to.be.greaterThan(1);
  });

  it('fails one target whose actuator cannot be read without holding up another', async () => {
    const h = harness(['orders', 'payments']);
    actuator(h, 'orders').failRead = true;
    Object.assign(world(h, 'payments'), { lagMessages: 6_000, lagSeconds: 60, produceRate: 250, consumeRate: 100 });
    const signal = new AbortController().signal;
    const [orders, payments] = await Promise.allSettled([h.reconciler.tick('orders', signal), h.reconciler.tick('payments', signal)]);
    expect(orders.status).to.equal('rejected');
    expect(orders.status === 'rejected' ? String(orders.reason) : '').to.match(/orders: the counting actuator could not read the replicas in force: the workload is gone/);
    expect(payments.status).to.equal('fulfilled');
    expect(actuator(h, 'payments').replicas).to.be.greaterThan(1);
    expect(await metric(h.registry, 'lagpilot_actuation_failures_total', { target: 'orders', code: 'CurrentUnreadable' })).to.equal(1);
  });

  it('runs one evaluation after the running one for every request made meanwhile', async () => {
    let release: () => void = () => undefined;
    let gate = new Promise<void>((resolveGate) => { release = resolveGate; });
    const h = harness(['orders'], singleInstanceGate('replica-a'), () => gate);
    const first = h.reconciler.evaluateNow('orders');
    const second = h.reconciler.evaluateNow('orders');
    const third = h.reconciler.evaluateNow('orders');
    await new Promise((resolveTurn) => { setImmediate(resolveTurn); });
    expect(h.collections).to.have.length(1);
    const firstRelease = release;
    gate = Promise.resolve();
    firstRelease();
    const outcomes = await Promise.all([first, second, third]);
    expect(h.collections, 'the running evaluation and one queued behind it').to.have.length(2);
    expect(outcomes[1]).to.equal(outcomes[2]);
    expect(outcomes.map((outcome) => outcome.kind)).to.deep.equal(['kept', 'kept', 'kept']);
  });

  it('does not actuate once the evaluation was aborted by its time limit', async () => {
    const h = harness(['orders']);
    Object.assign(world(h, 'orders'), { lagMessages: 6_000, lagSeconds: 60, produceRate: 250, consumeRate: 100 });
    const limit = new AbortController();
    limit.abort(new Error('tick of orders exceeded its timeout of 2000 ms'));
    let caught: unknown;
    try {
      await h.reconciler.tick('orders', limit.signal);
    } catch (error) {
      caught = error;
    }
    expect(String(caught)).to.contain('orders: evaluation abandoned before actuation (tick of orders exceeded its timeout of 2000 ms)');
    expect(actuator(h, 'orders').applied).to.have.length(0);
    expect(await h.store.recentDecisions('orders', 10)).to.have.length(0);
  });

  it('says plainly when a change was applied but the journal could not record it', async () => {
    const h = harness(['orders']);
    Object.assign(world(h, 'orders'), { lagMessages: 6_000, lagSeconds: 60, produceRate: 250, consumeRate: 100 });
    h.store.appendDecision = () => Promise.reject(new Error('Connection is closed.'));
    let caught: unknown;
    try {
      await h.reconciler.tick('orders', new AbortController().signal);
    } catch (error) {
      caught = error;
    }
    expect(actuator(h, 'orders').replicas).to.be.greaterThan(1);
    expect(String(caught)).to.match(/orders: applied \(1 -> \d+\) but the journal could not record it: Connection is closed\./);
    expect(await metric(h.registry, 'lagpilot_journal_failures_total', { target: 'orders' })).to.equal(1);
  });

  it('journals a change at once when the actuator outlasted the evaluation\'s time limit', async () => {
    const h = harness(['orders']);
    Object.assign(world(h, 'orders'), { lagMessages: 6_000, lagSeconds: 60, produceRate: 250, consumeRate: 100 });
    // Stopping workers gracefully can take longer than a tick: the change is made all the same.
    const slowActuator = actuator(h, 'orders');
    const applyNow = slowActuator.apply.bind(slowActuator);
    slowActuator.apply = async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return applyNow(request);
    };
    const caught = await tickAbortedAfter(h, 'orders', 20);
    expect(caught).to.equal(undefined);
    expect(slowActuator.replicas).to.be.greaterThan(1);
    const journal = await h.store.recentDecisions('orders', 10);
    expect(journal.map((decision) => decision.action)).to.deep.equal(['scaleUp']);
    expect(journal[0]?.actuation).to.deep.include({ status: 'applied', code: 'Scaled' });
    expect(await metric(h.registry, 'lagpilot_journal_failures_total', { target: 'orders' })).to.equal(0);
  });

  it('journals a change it could not record before the next decision, once, and keeps its cooldown meanwhile', async () => {
    const h = harness(['orders']);
    Object.assign(world(h, 'orders'), { lagMessages: 6_000, lagSeconds: 60, produceRate: 250, consumeRate: 100 });
    const append = h.store.appendDecision.bind(h.store);
    h.store.appendDecision = () => Promise.reject(new Error('Connection is closed.'));
    const failed = await h.reconciler.evaluateNow('orders');
    expect(failed.kind).to.equal('failed');
    const scaledTo = actuator(h, 'orders').replicas;
    expect(await h.store.recentDecisions('orders', 10)).to.have.length(0);

    // The store answers again 30 s later and the load is gone: the scale-up is journaled first,
    // and its cooldown holds the scale-in.
    h.store.appendDecision = append;
    Object.assign(world(h, 'orders'), { lagMessages: 0, lagSeconds: 0, produceRate: 20, consumeRate: 20, members: scaledTo });
    await h.clock.advance(30_000);
    const held = await h.reconciler.evaluateNow('orders');
    expect(held.kind).to.equal('kept');
    expect(actuator(h, 'orders').applied).to.have.length(1);
    const journal = (await h.store.recentDecisions('orders', 10)).reverse();
    expect(journal.map((decision) => decision.action)).to.deep.equal(['scaleUp', 'none']);
    expect(journal[1]?.reasons.map((reason) => reason.code)).to.include('ScaleDownCooldownAfterScaleUp');
  });

  it('ends an evaluation whose state store does not answer at its time limit, counting the store failure', async () => {
    const h = harness(['orders']);
    h.store.recentDecisions = () => new Promise(() => undefined);
    const caught = await tickAbortedAfter(h, 'orders', 50);
    expect(String(caught)).to.contain("orders: the state store could not be read, so nothing was decided or applied (cooldowns and recent recommendations unknown): the state store did not answer within the evaluation's time limit (tick of orders exceeded its timeout of 50 ms)");
    expect(await metric(h.registry, 'lagpilot_state_store_failures_total', { target: 'orders' })).to.equal(1);
  });

  it('ends an evaluation whose alert holds do not answer at its time limit, deciding and applying nothing', async () => {
    const silentHolds = new MinimumHolds({
      now: () => 0,
      store: { put: () => Promise.resolve(), remove: () => Promise.resolve(undefined), inForce: () => new Promise(() => undefined) },
    });
    const h = harness(['orders'], singleInstanceGate('replica-a'), undefined, silentHolds);
    world(h, 'orders').lagMessages = 50_000;
    const caught = await tickAbortedAfter(h, 'orders', 50);
    expect(String(caught)).to.contain("orders: the alert holds could not be read, so nothing was decided or applied (a minimum raised by an alert unknown): the state store did not answer within the evaluation's time limit (tick of orders exceeded its timeout of 50 ms)");
    expect(actuator(h, 'orders').applied).to.deep.equal([]);
    expect(await h.store.recentDecisions('orders', 10)).to.deep.equal([]);
    expect(await metric(h.registry, 'lagpilot_state_store_failures_total', { target: 'orders' })).to.equal(1);
  });

  it('names an unknown target', async () => {
    const h = harness(['orders']);
    let caught: unknown;
    try {
      await h.reconciler.evaluateNow('nope');
    } catch (error) {
      caught = error;
    }
    expect(String(caught)).to.contain('unknown target "nope" (configured: orders)');
  });

  it('does not scale in on a collection without the group\'s lag', async () => {
    const h = harness(['orders']);
    actuator(h, 'orders').replicas = 4;
    Object.assign(world(h, 'orders'), { members: 4 });
    await h.clock.advance(120_000);
    Object.assign(world(h, 'orders'), { produceRate: 0, consumeRate: 0, lagUnreadable: true });
    const outcome = await h.reconciler.evaluateNow('orders');
    expect(outcome.kind).to.equal('kept');
    expect(actuator(h, 'orders').replicas).to.equal(4);
  });
});
