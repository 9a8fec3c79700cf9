import { expect } from 'chai';
import type { GroupReport } from './kafka-lag.ts';
import { formatGroupReport, groupReportJson } from './lag-command.ts';

function report(): GroupReport {
  return {
    target: 'orders',
    cluster: 'local',
    group: 'orders-consumers',
    state: 'Stable',
    groupType: 'consumer',
    members: [{ memberId: 'm-1', clientId: 'c-1', clientHost: '/10.0.0.7', instanceId: null, assignment: [{ topic: 'orders', partitions: [0] }] }],
    topics: ['orders'],
    partitions: [
      { topic: 'orders', partition: 0, leader: 1, committedOffset: 5n, logStartOffset: 0n, logEndOffset: 12n, lag: 7n, resumeOffset: 5n, flags: [], lagSeconds: 3.25, lagSecondsQuality: 'exact', consumer: { memberId: 'm-1', clientId: 'c-1', host: '/10.0.0.7' } },
      { topic: 'orders', partition: 1, leader: -1, committedOffset: null, logStartOffset: null, logEndOffset: null, lag: null, resumeOffset: null, flags: ['no-leader'], lagSeconds: null, lagSecondsQuality: null, consumer: null },
    ],
    totalLag: 7n,
    maxLagSeconds: 3.25,
    status: { status: 'UNKNOWN', reason: 'one observation', partitions: [] },
    errors: [{ code: 'NO_LEADER', message: '1 partition(s) have no leader', source: 'kafka-lag' }],
    partial: true,
    timestampMs: 0,
  };
}

describe('lagpilot lag output', () => {
  it('prints the describe table with log start, lag seconds, flags and the unknowns as "-"', () => {
    const lines = formatGroupReport(report()).split('\n');
    expect(lines[0]).to.equal('Target orders: group orders-consumers on cluster local (state Stable, consumer, 1 member(s))');
    expect(lines[1]).to.equal('  lag 7 message(s) (partial), oldest unconsumed 3.3 s, status UNKNOWN: one observation');
    expect(lines[2]).to.equal('  error NO_LEADER: 1 partition(s) have no leader');
    expect(lines[4]?.split(/\s+/)).to.deep.equal(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-START-OFFSET', 'LOG-END-OFFSET', 'LAG', 'LAG-SECONDS', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', 'FLAGS']);
    expect(lines[5]?.split(/\s+/)).to.deep.equal(['orders-consumers', 'orders', '0', '5', '0', '12', '7', '3.3', 'm-1', '/10.0.0.7', 'c-1', '-']);
    expect(lines[6]?.split(/\s+/)).to.deep.equal(['orders-consumers', 'orders', '1', '-', '-', '-', '-', '-', '-', '-', '-', 'no-leader']);
  });

  it('turns offsets into JSON numbers', () => {
    const json = groupReportJson(report()) as { totalLag: number; partitions: { committedOffset: number | null }[] };
    expect(json.totalLag).to.equal(7);
    expect(json.partitions.map((p) => p.committedOffset)).to.deep.equal([5, null]);
  });
});
