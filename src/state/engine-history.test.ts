import { expect } from 'chai';
import { defaultEngineConfig } from '../policies/config.ts';
import { decide, emptyHistory } from '../policies/engine.ts';
import type { ScalingHistory } from '../policies/safety/stage.ts';
import { testSignals } from '../policies/test-signals.ts';
import type { Decision, ScalingSignals } from '../policies/types.ts';
import { claimScalingAction, loadScalingHistory, recordEvaluation } from './engine-history.ts';
import { MemoryBackend, MemoryStateStore } from './memory-store.ts';

// A load that rises, holds, falls and wobbles: every safety stage that reads history has work.
function signalsAt(step: number, currentReplicas: number): ScalingSignals {
  const time = 1_000 + 15 * step;
  const produceRate = step < 10 ? 2000 : step < 30 ? 9000 : step < 45 ? 3000 : 2500 + (step % 3) * 700;
  const backlogMessages = produceRate > currentReplicas * 1000 ? (produceRate - currentReplicas * 1000) * 15 : 0;
  return testSignals({
    time,
    currentReplicas,
    readyReplicas: currentReplicas,
    produceRate,
    consumeRate: Math.min(produceRate, currentReplicas * 1000),
    backlogMessages,
    lagSeconds: backlogMessages > 0 ? 15 : 0,
  });
}

describe('engine history in a state store', () => {
  const config = defaultEngineConfig();

  it('decides as with history in memory, across a restart and a change of replica', async () => {
    const inMemory: Decision[] = [];
    let history: ScalingHistory = emptyHistory;
    let replicas = 2;
    for (let step = 0; step < 60; step += 1) {
      const evaluation = decide(config, signalsAt(step, replicas), history);
      history = evaluation.history;
      replicas = evaluation.decision.desired;
      inMemory.push(evaluation.decision);
    }
    expect(new Set(inMemory.map((decision) => decision.action))).to.include.members(['scaleUp', 'scaleDown']);

    const backend = new MemoryBackend();
    let store = new MemoryStateStore({ backend });
    const fromStore: Decision[] = [];
    replicas = 2;
    for (let step = 0; step < 60; step += 1) {
      // Every 7th evaluation a fresh store on the same state: lagpilot restarted, or another
      // replica took over.
      if (step % 7 === 6) {
        await store.close();
        store = new MemoryStateStore({ backend });
      }
      const signals = signalsAt(step, replicas);
      const evaluation = decide(config, signals, await loadScalingHistory(store, 'orders', config, signals.time));
      await recordEvaluation(store, 'orders', config, evaluation);
      replicas = evaluation.decision.desired;
      fromStore.push(evaluation.decision);
    }
    expect(fromStore.map((decision) => [decision.time, decision.desired])).to.deep.equal(inMemory.map((decision) => [decision.time, decision.desired]));
    // The measured capacity is not kept in the store, so after a reopening the capacity reason
    // may say "configured" where the uninterrupted engine says "measured"; all else is equal.
    const withoutCapacity = (decision: Decision): Decision => ({ ...decision, reasons: decision.reasons.filter((reason) => reason.source !== 'capacity') });
    expect(fromStore.map(withoutCapacity)).to.deep.equal(inMemory.map(withoutCapacity));
  });

  it('reads back far enough in the journal to find every scale event in the window', async () => {
    const store = new MemoryStateStore();
    const base = decide(config, signalsAt(0, 2), emptyHistory).decision;
    await store.appendDecision('orders', { ...base, time: 5_000, current: 12, desired: 3, action: 'scaleDown' });
    // Evaluations every second since: 500 decisions that changed nothing.
    for (let time = 5_001; time <= 5_500; time += 1) await store.appendDecision('orders', { ...base, time, current: 3, desired: 3, action: 'none' });
    const history = await loadScalingHistory(store, 'orders', config, 5_501);
    expect(history.events).to.deep.equal([{ time: 5_000, from: 12, to: 3 }]);
  });

  it('orders scale events by decision time, so a change journaled late does not pass for the latest', async () => {
    const store = new MemoryStateStore();
    const base = decide(config, signalsAt(0, 2), emptyHistory).decision;
    // Another replica scaled up at 5 100; this one's scale-up of 5 000 reached the journal after.
    await store.appendDecision('orders', { ...base, time: 5_100, current: 6, desired: 12, action: 'scaleUp' });
    await store.appendDecision('orders', { ...base, time: 5_000, current: 3, desired: 6, action: 'scaleUp' });
    const history = await loadScalingHistory(store, 'orders', config, 5_130);
    expect(history.events).to.deep.equal([{ time: 5_000, from: 3, to: 6 }, { time: 5_100, from: 6, to: 12 }]);
    // The cooldown after the later scale-up holds a scale-in 30 s after it.
    const signals = testSignals({ time: 5_130, currentReplicas: 12, readyReplicas: 12, produceRate: 1000, consumeRate: 1000 });
    expect(decide(config, signals, history).decision.reasons.map((reason) => reason.code)).to.include('ScaleDownCooldownAfterScaleUp');
  });

  it('lets exactly one replica apply a decision', async () => {
    const backend = new MemoryBackend();
    const decision = decide(config, signalsAt(12, 2), emptyHistory).decision;
    expect(decision.action).to.equal('scaleUp');
    const claims = await Promise.all(['a', 'b', 'c'].map((holder) => claimScalingAction(new MemoryStateStore({ backend }), 'orders', config, decision, holder)));
    expect(claims.filter(Boolean)).to.have.length(1);
  });
});
