import { expect } from 'chai';
import { groupStatus, partitionStatus, type GroupObservation, type PartitionObservation } from './consumer-status.ts';

function series(points: [committed: number | null, lag: number | null][]): PartitionObservation[] {
  return points.map(([committed, lag], index) => ({
    timeMs: index * 15_000,
    committedOffset: committed,
    lag,
  }));
}

describe('partitionStatus (Burrow\'s rules)', () => {
  it('is UNKNOWN with fewer than two observations', () => {
    expect(partitionStatus(series([[10, 5]]), 1).status).to.equal('UNKNOWN');
  });

  it('is OK when lag reached 0 within the window', () => {
    expect(partitionStatus(series([[10, 5], [12, 0], [12, 7]]), 1).status).to.equal('OK');
  });

  it('is OK when offsets move and lag does not grow steadily', () => {
    expect(partitionStatus(series([[10, 5], [20, 8], [30, 6]]), 1).status).to.equal('OK');
  });

  it('is WARN when offsets move but lag grows at every observation', () => {
    const verdict = partitionStatus(series([[10, 5], [20, 8], [30, 12]]), 1);
    expect(verdict.status).to.equal('WARN');
    expect(verdict.reason).to.contain('from 5 to 12');
  });

  it('is STALL when members are there but the committed offset is stuck while lag exists', () => {
    const verdict = partitionStatus(series([[10, 5], [10, 9], [10, 9]]), 2);
    expect(verdict.status).to.equal('STALL');
    expect(verdict.reason).to.contain('stuck at 10 for 30 s');
  });

  it('is STOP when no member commits for the window while lag exists', () => {
    expect(partitionStatus(series([[10, 5], [10, 9]]), 0).status).to.equal('STOP');
  });

  it('is REWIND when the committed offset went backwards, whatever else happened', () => {
    expect(partitionStatus(series([[10, 5], [4, 0], [8, 0]]), 1).status).to.equal('REWIND');
  });

  it('ignores observations without a committed offset or lag', () => {
    expect(partitionStatus(series([[null, null], [10, 3]]), 1).status).to.equal('UNKNOWN');
  });
});

describe('groupStatus', () => {
  function observation(timeMs: number, memberCount: number, partitions: Record<string, [number, number]>): GroupObservation {
    return {
      timeMs,
      memberCount,
      partitions: new Map(Object.entries(partitions).map(([key, [committed, lag]]) => [key, { timeMs, committedOffset: committed, lag }])),
    };
  }

  it('takes the worst partition and names it', () => {
    const status = groupStatus([
      observation(0, 1, { 't/0': [10, 0], 't/1': [10, 5] }),
      observation(15_000, 1, { 't/0': [12, 0], 't/1': [10, 6] }),
    ]);
    expect(status.status).to.equal('STALL');
    expect(status.partitions.map((p) => p.key)).to.deep.equal(['t/1']);
    expect(status.reason).to.match(/^t\/1: /);
  });

  it('is UNKNOWN with no observation', () => {
    expect(groupStatus([]).status).to.equal('UNKNOWN');
  });

  it('uses the latest member count: a group whose members left is STOP, not STALL', () => {
    const status = groupStatus([observation(0, 2, { 't/0': [10, 5] }), observation(15_000, 0, { 't/0': [10, 5] })]);
    expect(status.status).to.equal('STOP');
  });
});
