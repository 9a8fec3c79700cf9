import { expect } from 'chai';
import { defaultEngineConfig } from '../policies/config.ts';
import { decide, emptyHistory } from '../policies/engine.ts';
import { testSignals } from '../policies/test-signals.ts';
import { explainTarget, formatDecision } from './explain.ts';
import { MemoryStateStore } from './memory-store.ts';

describe('explain', () => {
  // 2026-11-23T21:00:00Z; 9000 msg/s on 2 replicas with 15 s of lag (a scale-up to 24).
  const signals = testSignals({ time: Date.UTC(2026, 10, 23, 21) / 1000, currentReplicas: 2, readyReplicas: 2, produceRate: 9000, consumeRate: 2000, backlogMessages: 105_000, lagSeconds: 15 });
  const decision = decide(defaultEngineConfig(), signals, emptyHistory).decision;

  it('prints when, what, and every reason in order with its numbers', () => {
    const text = formatDecision(decision);
    const lines = text.split('\n');
    expect(lines[0]).to.equal('2026-11-23T21:00:00.000Z  scale up 2 → 24');
    const codes = lines.slice(1).filter((line) => !line.startsWith('   ')).map((line) => line.trim().split(/\s+/)[1]);
    expect(codes).to.deep.equal(decision.reasons.map((reason) => reason.code));
    expect(text).to.include('EvenDistribution').and.to.include('plannedRate=9000');
  });

  it('prints what applying it did and who applied it, when the daemon journaled that', () => {
    const journaled = { ...decision, actuation: { status: 'applied' as const, code: 'Scaled', detail: 'started 10 workers of orders: 2 -> 12' }, leader: { identity: 'host-1-ab12cd', term: 3 } };
    const lines = formatDecision(journaled).split('\n');
    expect(lines[1]).to.equal('  result: applied Scaled: started 10 workers of orders: 2 -> 12 (by host-1-ab12cd, term 3)');
  });

  it('reads the newest decisions from the journal, oldest first', async () => {
    const store = new MemoryStateStore();
    await store.appendDecision('orders', { ...decision, time: decision.time - 15, action: 'none', desired: 2 });
    await store.appendDecision('orders', decision);
    const text = await explainTarget(store, 'orders', 10);
    expect(text.indexOf('keep 2')).to.be.lessThan(text.indexOf('scale up 2 → 24'));
    expect(await explainTarget(store, 'payments', 10)).to.equal('no decisions journaled for target "payments"');
  });
});
