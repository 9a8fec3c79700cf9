import { expect } from 'chai';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { ActuationRequest, ActuationResult, Actuator, ActuatorState } from '../actuators/actuator.ts';
import { createLogger } from '../logging/logger.ts';
import { MemoryStateStore } from '../state/memory-store.ts';
import type { CollectionPlan, TargetCollection } from './collection.ts';
import { ManualClock } from './clock.ts';
import { MemoryHoldStore, MinimumHolds, type HoldStore } from './minimum-holds.ts';
import { groupCollection, predictableEngineConfig, type GroupView } from './reconciler-fixtures.ts';
import { Reconciler, singleInstanceGate } from './reconciler.ts';

const discard = new Writable({ write: (_chunk, _encoding, done) => { done(); } });

class RecordingActuator implements Actuator {
  readonly kind = 'recording';
  readonly dryRun = false;
  replicas = 2;
  applied: number[] = [];
  current(): Promise<ActuatorState> {
    return Promise.resolve({ replicas: this.replicas, notices: [] });
  }
  apply(request: ActuationRequest): Promise<ActuationResult> {
    const before = this.replicas;
    this.replicas = request.decision.desired;
    this.applied.push(this.replicas);
    return Promise.resolve({ status: 'applied', code: 'Scaled', detail: `${before} -> ${this.replicas}`, replicasBefore: before, replicasAfter: this.replicas });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A quiet group (no lag, little traffic): on its own the engine keeps it at its minimum. */
function quietGroup(members: number): GroupView {
  return { lagMessages: 0, lagSeconds: 0, produceRate: 10, consumeRate: 10, members };
}

function setUp(maxReplicas = 8) {
  const clock = new ManualClock(1_700_000_000_000);
  const store = new MemoryStateStore({ nowMillis: () => clock.now() });
  const registry = new Registry();
  const holds = new MinimumHolds({ now: () => clock.now(), registry });
  const actuator = new RecordingActuator();
  const engine = predictableEngineConfig({ minReplicas: 2, maxReplicas, scaleDownCooldownSeconds: 0 });
  const collect = (plan: CollectionPlan): Promise<TargetCollection> =>
    Promise.resolve(groupCollection(plan.target, quietGroup(actuator.replicas), clock.now()));
  const reconciler = new Reconciler({
    targets: [{ name: 'orders', engine, plan: { target: 'orders', readers: [], derivations: [] }, actuator, evaluationTimeoutMillis: 5_000 }],
    collect,
    store,
    leader: singleInstanceGate('replica-a'),
    clock,
    logger: createLogger({ level: 'error', stream: discard }),
    registry,
    minimumHolds: holds,
  });
  return { clock, store, registry, holds, actuator, reconciler };
}

async function heldGauge(registry: Registry): Promise<number | undefined> {
  const values = (await registry.getSingleMetric('lagpilot_alert_min_replicas')?.get())?.values ?? [];
  return values.find((entry) => entry.labels.target === 'orders')?.value;
}

describe('raised minimums while an alert fires', () => {
  it('raises the target to the held minimum, says why in the decision, and lets it come down once released', async () => {
    const h = setUp();
    await h.holds.raise('orders', { key: 'lag/abc', minReplicas: 4, untilMillis: h.clock.now() + 3_600_000, cause: 'alert KafkaLagHigh [abc]' });
    expect(await heldGauge(h.registry)).to.equal(4);

    const raised = await h.reconciler.evaluateNow('orders');
    expect(raised.kind).to.equal('actuated');
    expect(h.actuator.replicas).to.equal(4);
    const [decision] = await h.store.recentDecisions('orders', 1);
    expect(decision?.reasons[0]?.code).to.equal('AlertRaisedMinimum');
    expect(decision?.reasons[0]?.message).to.include('alert KafkaLagHigh [abc]');
    expect(decision?.reasons[0]?.evidence).to.deep.include({ minReplicas: 4, configuredMinReplicas: 2 });

    await h.clock.advance(60_000);
    expect(await h.holds.release('orders', 'lag/abc')).to.equal(true);
    expect(await heldGauge(h.registry), 'no series once no alert holds the target').to.equal(undefined);
    await h.reconciler.evaluateNow('orders');
    expect(h.actuator.replicas, 'back to the configured minimum of a quiet group').to.equal(2);
    const [after] = await h.store.recentDecisions('orders', 1);
    expect(after?.reasons.map((entry) => entry.code)).not.to.include('AlertRaisedMinimum');
  });

  it('takes the highest of several holds, caps it at the maximum and says so', async () => {
    const h = setUp(4);
    const until = h.clock.now() + 60_000;
    await h.holds.raise('orders', { key: 'a', minReplicas: 3, untilMillis: until, cause: 'alert A' });
    await h.holds.raise('orders', { key: 'b', minReplicas: 6, untilMillis: until, cause: 'alert B' });
    await h.reconciler.evaluateNow('orders');
    expect(h.actuator.replicas).to.equal(4);
    const [decision] = await h.store.recentDecisions('orders', 1);
    expect(decision?.reasons[0]?.message).to.include('capped at the maximum 4').and.to.include('alert A').and.to.include('alert B');
  });

  it('lets a hold lapse on its own at its end even if no resolution arrives', async () => {
    const h = setUp();
    await h.holds.raise('orders', { key: 'k', minReplicas: 6, untilMillis: h.clock.now() + 10_000, cause: 'alert C' });
    await h.reconciler.evaluateNow('orders');
    expect(h.actuator.replicas).to.equal(6);
    await h.clock.advance(10_000);
    expect(await h.holds.heldMinimum('orders', h.clock.now())).to.equal(undefined);
    await h.reconciler.evaluateNow('orders');
    expect(h.actuator.replicas).to.equal(2);
    expect(await h.holds.release('orders', 'k'), 'a lapsed hold is not in force any more').to.equal(false);
  });

  it('renews a hold put in again under the same key instead of adding one', async () => {
    const holds = new MinimumHolds({ now: () => 0 });
    await holds.raise('orders', { key: 'k', minReplicas: 3, untilMillis: 100, cause: 'x' });
    await holds.raise('orders', { key: 'k', minReplicas: 3, untilMillis: 200, cause: 'x' });
    expect((await holds.heldMinimum('orders', 150))?.holds).to.have.length(1);
    expect(await holds.heldMinimum('other', 0)).to.equal(undefined);
  });

  it('keeps the holds last seen while the store cannot be read, until they lapse', async () => {
    let failing = false;
    const memory = new MemoryHoldStore();
    const flaky: HoldStore = {
      put: (target, hold) => memory.put(target, hold),
      remove: (target, key) => memory.remove(target, key),
      inForce: (target, now) => (failing ? Promise.reject(new Error('connection lost')) : memory.inForce(target, now)),
    };
    const holds = new MinimumHolds({ now: () => 0, store: flaky });
    await holds.raise('orders', { key: 'k', minReplicas: 5, untilMillis: 1_000, cause: 'x' });
    failing = true;
    expect((await holds.heldMinimum('orders', 500))?.minReplicas).to.equal(5);
    expect(await holds.heldMinimum('orders', 1_000)).to.equal(undefined);
  });
});
