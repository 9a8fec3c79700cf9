import { expect } from 'chai';
import { capacityEstimate, markEvaluation, measureCapacity, updateLowerBound, updateMeasurement } from './capacity.ts';
import { testSignals } from './test-signals.ts';

describe('capacity measurement', () => {
  const settled = { time: 100, readyReplicas: 4, readySince: 40, backlogMessages: 200_000 };

  it('measures consumed rate per effective consumer in a saturated, settled window', () => {
    const sample = measureCapacity(settled, testSignals({ time: 115, readyReplicas: 4, consumeRate: 4800, backlogMessages: 150_000 }), 10);
    expect(sample.perReplica).to.equal(1200);
  });

  it('counts effective consumers: 7 on 24 partitions work as 6', () => {
    const sample = measureCapacity({ ...settled, readyReplicas: 7 }, testSignals({ time: 115, readyReplicas: 7, consumeRate: 6000, backlogMessages: 150_000 }), 10);
    expect(sample.perReplica).to.equal(1000);
  });

  it('refuses windows that could not measure capacity', () => {
    const next = testSignals({ time: 115, readyReplicas: 4, consumeRate: 4800, backlogMessages: 150_000 });
    expect(measureCapacity(undefined, next, 10).perReplica).to.equal(null);
    expect(measureCapacity({ ...settled, readyReplicas: 3 }, next, 10).perReplica).to.equal(null);
    expect(measureCapacity({ ...settled, readySince: 95 }, next, 10).perReplica).to.equal(null);
    // 20 000 messages at the start cannot have fed 4800 msg/s for 15 s: the group may have idled.
    expect(measureCapacity({ ...settled, backlogMessages: 20_000 }, next, 10).perReplica).to.equal(null);
  });

  it('takes what an unsaturated group processed as a lower bound of its capacity', () => {
    // 4 ready on 24 partitions kept up with 3400 msg/s: each processed 850, so capacity >= 850.
    const sample = measureCapacity({ ...settled, backlogMessages: 0 }, testSignals({ time: 115, readyReplicas: 4, consumeRate: 3400, backlogMessages: 0 }), 10);
    expect([sample.perReplica, sample.lowerBound]).to.deep.equal([null, 850]);
    const bound = updateLowerBound(undefined, sample, 115);
    expect(capacityEstimate(700, undefined, bound)).to.deep.equal({ perReplica: 850, source: 'lowerBound' });
    // A bound below the configured figure proves nothing new.
    expect(capacityEstimate(1000, undefined, bound)).to.deep.equal({ perReplica: 1000, source: 'configured' });
    // Lower bounds only rise; an exact measurement supersedes them.
    expect(updateLowerBound(bound, { perReplica: null, lowerBound: 600, evidence: {} }, 130)).to.equal(bound);
    expect(updateLowerBound(bound, { perReplica: 900, lowerBound: null, evidence: {} }, 130)).to.equal(undefined);
  });

  it('prefers a measurement to the configured figure and smooths measurements', () => {
    expect(capacityEstimate(1000, undefined)).to.deep.equal({ perReplica: 1000, source: 'configured' });
    const first = updateMeasurement(undefined, 1200, 115);
    const second = updateMeasurement(first, 1000, 130);
    expect(second).to.deep.equal({ perReplica: 1100, time: 130, samples: 2 });
    expect(capacityEstimate(1000, second)).to.deep.equal({ perReplica: 1100, source: 'measured' });
    expect(updateMeasurement(second, null, 145)).to.equal(second);
  });

  it('remembers since when the ready count has held', () => {
    const first = markEvaluation(undefined, testSignals({ time: 100, readyReplicas: 4 }));
    const same = markEvaluation(first, testSignals({ time: 115, readyReplicas: 4 }));
    const changed = markEvaluation(same, testSignals({ time: 130, readyReplicas: 6 }));
    expect([first.readySince, same.readySince, changed.readySince]).to.deep.equal([100, 100, 130]);
  });
});
