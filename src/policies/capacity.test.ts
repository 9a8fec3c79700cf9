import { expect } from 'chai';
import { capacityEstimate, confirmEstimate, markEvaluation, measureCapacity, sizeReplicas, updateLowerBound, updateMeasurement } from './capacity.ts';
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
    expect(updateLowerBound(bound, { perReplica: null, lowerBound: 600, noHeadroom: false, evidence: {} }, 130)).to.equal(bound);
    expect(updateLowerBound(bound, { perReplica: 900, lowerBound: null, noHeadroom: false, evidence: {} }, 130)).to.equal(undefined);
  });

  it('plans above a lower bound that proved the figure too low, and only then', () => {
    // Nothing proves the configured figure wrong: it is trusted.
    expect(capacityEstimate(1000, undefined, { perReplica: 1000, time: 115 }, 1.2)).to.deep.equal({ perReplica: 1000, source: 'configured' });
    // 850 seen against 700 configured: the truth is above 850, planned at 1.2 times it.
    expect(capacityEstimate(700, undefined, { perReplica: 850, time: 115 }, 1.2)).to.deep.equal({ perReplica: 1020, source: 'lowerBound', unconfirmedFactor: 1.2 });
    expect(capacityEstimate(1000, { perReplica: 900, time: 115, samples: 1 }, undefined, 1.2)).to.deep.equal({ perReplica: 900, source: 'measured' });
  });

  it('holds or scales in on the optimistic figure but sizes a scale-up on the unconfirmed one', () => {
    const unconfirmed = { perReplica: 1200, source: 'lowerBound' as const, unconfirmedFactor: 1.2 };
    const forRate = (rate: number) => (perReplica: number): number => Math.ceil(rate / perReplica);
    // 4 replicas carry 4500 msg/s at 1200 each: hold.
    expect(sizeReplicas(unconfirmed, 4, forRate(4500))).to.deep.equal({ replicas: 4, perReplica: 1200 });
    // 6000 msg/s needs more than 4 either way: size it at 1000, not 1200.
    expect(sizeReplicas(unconfirmed, 4, forRate(6000))).to.deep.equal({ replicas: 6, perReplica: 1000 });
    expect(sizeReplicas({ perReplica: 1200, source: 'measured' }, 4, forRate(6000))).to.deep.equal({ replicas: 5, perReplica: 1200 });
  });

  it('confirms the unconfirmed estimate when a settled backlog does not shrink', () => {
    const standing = measureCapacity({ ...settled, backlogMessages: 10_000 }, testSignals({ time: 115, readyReplicas: 4, consumeRate: 4000, backlogMessages: 10_000 }), 10);
    expect([standing.perReplica, standing.noHeadroom]).to.deep.equal([null, true]);
    const draining = measureCapacity({ ...settled, backlogMessages: 10_000 }, testSignals({ time: 115, readyReplicas: 4, consumeRate: 4000, backlogMessages: 5_000 }), 10);
    expect(draining.noHeadroom).to.equal(false);
    const unconfirmed = { perReplica: 1200, source: 'lowerBound' as const, unconfirmedFactor: 1.2 };
    const confirmed = confirmEstimate(undefined, standing, unconfirmed, 115);
    expect(confirmed).to.deep.equal({ perReplica: 1000, time: 115, samples: 0 });
    expect(confirmEstimate(undefined, draining, unconfirmed, 115)).to.equal(undefined);
    // The first saturated window replaces a confirmation outright instead of averaging with it.
    expect(updateMeasurement(confirmed, 1100, 130)).to.deep.equal({ perReplica: 1100, time: 130, samples: 1 });
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
