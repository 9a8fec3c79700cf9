import { expect } from 'chai';
import { projectLag } from './lag-projection.ts';

describe('lag projection', () => {
  const input = { lagSeconds: 40, arrivalRate: 4000, rebalancePauseSeconds: 10, targetLagSeconds: 30, horizonSeconds: 3600 };

  it('takes lag down by capacity / arrival rate − 1 per second while capacity exceeds arrivals', () => {
    // 6000 for 4000 msg/s: half a second per second, so 40 s of lag is at 30 s after 20 s (the
    // 20th second ends at the target, not above it).
    expect(projectLag(input, { capacityNow: 6000, joins: [] })).to.deep.equal({ secondsAboveTarget: 19, peakLagSeconds: 40 });
  });

  it('lets lag grow while capacity falls short, and counts the pause a join causes', () => {
    // 3000 for 4000 msg/s: +0.25 s per second for 10 s (42.5 s), then the join stops the group
    // for 10 s (52.5 s), then 8000 msg/s take it down by 1 s per second: 22 s more above 30 s.
    const outlook = projectLag(input, { capacityNow: 3000, joins: [{ afterSeconds: 10, groupCapacity: 8000 }] });
    expect(outlook.peakLagSeconds).to.equal(52.5);
    expect(outlook.secondsAboveTarget).to.equal(10 + 10 + 22);
  });

  it('restarts the pause when a second join follows within it', () => {
    const one = projectLag({ ...input, lagSeconds: 0 }, { capacityNow: 4000, joins: [{ afterSeconds: 5, groupCapacity: 8000 }] });
    const two = projectLag({ ...input, lagSeconds: 0 }, { capacityNow: 4000, joins: [{ afterSeconds: 5, groupCapacity: 6000 }, { afterSeconds: 10, groupCapacity: 8000 }] });
    expect(one.peakLagSeconds).to.equal(10);
    expect(two.peakLagSeconds).to.equal(15);
  });

  it('keeps an empty backlog empty while capacity keeps up, and stops at the horizon otherwise', () => {
    expect(projectLag({ ...input, lagSeconds: 0 }, { capacityNow: 4000, joins: [] })).to.deep.equal({ secondsAboveTarget: 0, peakLagSeconds: 0 });
    // Short of capacity for good: every second after lag passes 30 s is above, up to the horizon.
    const overloaded = projectLag({ ...input, horizonSeconds: 600 }, { capacityNow: 2000, joins: [] });
    expect(overloaded.secondsAboveTarget).to.equal(600);
    expect(overloaded.peakLagSeconds).to.equal(40 + 600 * 0.5);
  });
});
