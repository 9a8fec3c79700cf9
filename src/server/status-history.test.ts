import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { ActuationResult } from '../actuators/actuator.ts';
import type { TargetCollection } from '../engine/collection.ts';
import type { EvaluationReport } from '../engine/reconciler.ts';
import { reason, type Decision, type ScalingSignals } from '../policies/types.ts';
import { Ring, StatusHistory } from './status-history.ts';

function decision(current: number, desired: number): Decision {
  return {
    time: 0,
    current,
    desired,
    action: desired > current ? 'scaleUp' : desired < current ? 'scaleDown' : 'none',
    reasons: [reason('lag', 'LagAboveTarget', 'backlog needs more'), reason('lag', 'LagAboveTarget', 'said twice'), reason('engine', 'HighestRecommendation', 'lag asks for the most')],
    recommendations: [],
  };
}

function signals(backlogMessages: number, lagSeconds: number): ScalingSignals {
  return { time: 0, currentReplicas: 1, readyReplicas: 1, partitions: 3, backlogMessages, lagSeconds, dataAgeSeconds: 0.5, partialData: false, consecutiveFailedCollections: 0 };
}

function collection(status: string, members: number): TargetCollection {
  const labels = { target: 'orders', cluster: 'local', group: 'g' };
  return {
    target: 'orders',
    collectedAtMs: 0,
    durationSeconds: 0.01,
    partial: true,
    samples: [
      { name: 'consumergroup_status', value: 1, unit: 'count', labels: { ...labels, status }, timestampMs: 0, source: 'kafka-lag' },
      { name: 'consumergroup_members', value: members, unit: 'count', labels, timestampMs: 0, source: 'kafka-lag' },
    ],
    errors: [{ code: 'TIMEOUT', source: 'prometheus', message: 'no answer within 1 s' }],
  };
}

const applied: ActuationResult = { status: 'applied', code: 'Scaled', detail: 'scaled from 1 to 3', replicasBefore: 1, replicasAfter: 3 };

function report(startedAtMs: number, outcome: EvaluationReport['outcome'], extra: Partial<EvaluationReport> = {}): EvaluationReport {
  return { target: 'orders', startedAtMs, outcome, ...extra };
}

describe('status history', () => {
  describe('Ring', () => {
    it('keeps the newest items up to its capacity, oldest first', () => {
      const ring = new Ring<number>(3);
      expect(ring.toArray()).to.deep.equal([]);
      for (const n of [1, 2]) ring.push(n);
      expect(ring.toArray()).to.deep.equal([1, 2]);
      for (const n of [3, 4, 5, 6, 7]) ring.push(n);
      expect(ring.toArray()).to.deep.equal([5, 6, 7]);
      expect(ring.size).to.equal(3);
      expect(ring.toArray((n) => n % 2 === 1)).to.deep.equal([5, 7]);
    });

    it('refuses a capacity that is not a whole number of at least 1', () => {
      expect(() => new Ring(0)).to.throw('a ring needs a whole capacity of at least 1, got 0');
      expect(() => new Ring(2.5)).to.throw('got 2.5');
    });
  });

  it('turns an evaluation into a point, the latest state and a marker for a change', () => {
    const history = new StatusHistory();
    history.record(report(1_000, { kind: 'actuated', decision: decision(1, 3), result: applied }, { current: 3, signals: signals(15, 4.5), collection: collection('WARN', 2) }));
    expect(history.points('orders', 0, 2_000)).to.deep.equal([{ timeMs: 1_000, lagMessages: 15, lagSeconds: 4.5, current: 3, desired: 3, action: 'scaleUp', outcome: 'actuated' }]);
    expect(history.latest('orders')).to.deep.include({
      consumerStatus: 'WARN',
      consumerMembers: 2,
      dataAgeSeconds: 0.5,
      partialData: true,
      collectionErrors: ['prometheus TIMEOUT: no answer within 1 s'],
      failure: null,
    });
    expect(history.markers('orders', 0, 2_000)).to.deep.equal([{
      timeMs: 1_000,
      action: 'scaleUp',
      current: 1,
      desired: 3,
      reasons: [
        { code: 'LagAboveTarget', message: 'backlog needs more' },
        { code: 'LagAboveTarget', message: 'said twice' },
        { code: 'HighestRecommendation', message: 'lag asks for the most' },
      ],
      actuation: { status: 'applied', code: 'Scaled', detail: 'scaled from 1 to 3' },
      applied: true,
    }]);
  });

  it('marks a follower\'s change as not applied, keeps no marker for "none", and records failures as gaps', () => {
    const history = new StatusHistory();
    history.record(report(1_000, { kind: 'follower', decision: decision(1, 2) }, { current: 1, signals: signals(10, 2) }));
    history.record(report(2_000, { kind: 'kept', decision: decision(2, 2) }, { current: 2, signals: signals(3, 1) }));
    history.record(report(3_000, { kind: 'failed', reason: 'orders: the dryRun actuator could not read the replicas in force' }));
    const markers = history.markers('orders', 0, 4_000);
    expect(markers.map((marker) => [marker.action, marker.applied, marker.actuation])).to.deep.equal([['scaleUp', false, undefined]]);
    expect(history.points('orders', 0, 4_000).map((point) => [point.lagMessages, point.current, point.desired, point.outcome])).to.deep.equal([
      [10, 1, 2, 'follower'],
      [3, 2, 2, 'kept'],
      [null, null, null, 'failed'],
    ]);
    expect(history.latest('orders')).to.deep.include({ failure: 'orders: the dryRun actuator could not read the replicas in force', consumerStatus: null, dataAgeSeconds: null });
  });

  it('serves only what is after `since` and within the window, and bounds the points it keeps', () => {
    const history = new StatusHistory({ windowMillis: 10_000, pointsPerTarget: 5, markersPerTarget: 2 });
    for (let second = 1; second <= 8; second += 1) {
      history.record(report(second * 1_000, { kind: 'follower', decision: decision(second, second + 1) }, { current: second, signals: signals(second, second) }));
    }
    // The ring holds the newest 5 points and 2 markers, whatever was asked.
    expect(history.points('orders', 0, 8_000).map((point) => point.timeMs)).to.deep.equal([4_000, 5_000, 6_000, 7_000, 8_000]);
    expect(history.markers('orders', 0, 8_000).map((marker) => marker.timeMs)).to.deep.equal([7_000, 8_000]);
    // `since` is exclusive.
    expect(history.points('orders', 6_000, 8_000).map((point) => point.timeMs)).to.deep.equal([7_000, 8_000]);
    // The window ends at "now": at 15 s, only points from 5 s on are inside it.
    expect(history.points('orders', 0, 15_000).map((point) => point.timeMs)).to.deep.equal([5_000, 6_000, 7_000, 8_000]);
    expect(history.points('unknown', 0, 8_000)).to.deep.equal([]);
    expect(history.latest('unknown')).to.equal(undefined);
  });

  it('counts each reason code once per decision in lagpilot_decision_reasons_total', async () => {
    const registry = new Registry();
    const history = new StatusHistory({ registry });
    history.record(report(1_000, { kind: 'actuated', decision: decision(1, 3), result: applied }, { current: 3 }));
    history.record(report(2_000, { kind: 'kept', decision: decision(3, 3) }, { current: 3 }));
    history.record(report(3_000, { kind: 'failed', reason: 'x' }));
    const text = await registry.metrics();
    expect(text).to.include('lagpilot_decision_reasons_total{target="orders",action="scaleUp",reason="LagAboveTarget"} 1\n');
    expect(text).to.include('lagpilot_decision_reasons_total{target="orders",action="scaleUp",reason="HighestRecommendation"} 1\n');
    expect(text).to.include('lagpilot_decision_reasons_total{target="orders",action="none",reason="LagAboveTarget"} 1\n');
  });
});
