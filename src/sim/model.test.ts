import { expect } from 'chai';
import { defaultScenario, groupCapacity, simulate } from './model.ts';
import type { Autoscaler, Observation } from './model.ts';
import { parseTrace } from './trace.ts';

function fixedAutoscaler(replicasAt: (observation: Observation) => number, seen: Observation[] = []): Autoscaler {
  return {
    name: 'fixed',
    evaluate(observation) {
      seen.push(observation);
      return replicasAt(observation);
    },
  };
}

describe('scaling model', () => {
  it('lets the busiest replica set the group capacity: 7 consumers on 24 partitions drain as 6', () => {
    expect(groupCapacity(7, 24, 1000)).to.equal(groupCapacity(6, 24, 1000));
    expect(groupCapacity(6, 24, 1000)).to.equal(6000);
    expect(groupCapacity(30, 24, 1000)).to.equal(24000);
    expect(groupCapacity(0, 24, 1000)).to.equal(0);
  });

  it('reads a trace into per-second rates and refuses rows off the 10 s grid', () => {
    expect(parseTrace('t', 't,rate\n0,5\n10,7\n').ratePerSecond).to.deep.equal([5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]);
    expect(() => parseTrace('bad', 't,rate\n0,5\n20,7\n')).to.throw(/line 3: t must be 10/);
    expect(() => parseTrace('bad', 'time,rate\n0,5\n')).to.throw(/header "t,rate"/);
  });

  it('keeps a steady load at zero lag with enough replicas', () => {
    const trace = parseTrace('steady', 't,rate\n0,1500\n10,1500\n');
    const { result } = simulate(trace, { ...defaultScenario }, fixedAutoscaler(() => 2));
    expect(result).to.include({ sloViolationSeconds: 0, maxLagSeconds: 0, replicaSeconds: 40, scaleEvents: 0, pausedSeconds: 0, finalBacklog: 0 });
    expect(result.lowerBoundReplicaSeconds).to.equal(30);
    expect(result.efficiency).to.equal(0.75);
  });

  it('starts a replica after the startup delay and pauses the group when it joins', () => {
    // 3000 msg/s against 2 × 1000: 1000 msg/s pile up until the third replica is ready.
    const rows = ['t,rate', ...Array.from({ length: 8 }, (_, index) => `${index * 10},3000`)].join('\n');
    const scenario = { ...defaultScenario, startup: 5, rebalancePause: 3, interval: 15 };
    const seen: Observation[] = [];
    const { result, timeline } = simulate(parseTrace('load', rows), scenario, fixedAutoscaler(() => 3, seen));
    // Decided at t = 0, ready at t = 0 + 1 + 5 = 6; paused in seconds 6, 7, 8.
    expect(timeline.readyReplicas.slice(0, 8)).to.deep.equal([2, 2, 2, 2, 2, 2, 3, 3]);
    expect(timeline.desiredReplicas.slice(0, 2)).to.deep.equal([2, 3]);
    expect(result.pausedSeconds).to.equal(3);
    expect(result.scaleEvents).to.equal(1);
    // Backlog after second 8: 6 × 1000 (short) + 3 × 3000 (paused) = 15000, never drained at 3000/s.
    expect(result.finalBacklog).to.equal(15000);
    expect(result.maxLagMessages).to.equal(15000);
    // The oldest unconsumed message is 5 s old at the end: 15000 messages = 5 s of production.
    expect(timeline.lagSeconds.at(-1)).to.equal(5);
    expect(seen[0]).to.deep.include({ time: 0, backlogMessages: 1000, lagSeconds: 1, produceRate: 3000, consumeRate: 2000, desiredReplicas: 2, readyReplicas: 2 });
    expect(seen[1]).to.deep.include({ time: 15, desiredReplicas: 3, readyReplicas: 3 });
  });

  it('removes replicas not yet ready first, and pauses when a ready one leaves', () => {
    const rows = ['t,rate', ...Array.from({ length: 6 }, (_, index) => `${index * 10},100`)].join('\n');
    const scenario = { ...defaultScenario, startup: 100, rebalancePause: 4, interval: 15, initialReplicas: 3 };
    const plan = new Map([[0, 5], [15, 3], [30, 2]]);
    const { result, timeline } = simulate(parseTrace('shrink', rows), scenario, fixedAutoscaler((o) => plan.get(o.time) ?? o.desiredReplicas));
    expect(timeline.readyReplicas.slice(14, 33)).to.deep.equal([...Array<number>(17).fill(3), 2, 2]);
    // Removing the two replicas still starting (t = 15) changes nothing ready: no pause then.
    expect(result.pausedSeconds).to.equal(4);
    expect(result.scaleEvents).to.equal(3);
  });
});
