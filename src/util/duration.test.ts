import { expect } from 'chai';
import { formatDurationMillis, parseDurationMillis } from './duration.ts';

describe('parseDurationMillis', () => {
  it('reads each unit', () => {
    expect(parseDurationMillis('500ms')).to.equal(500);
    expect(parseDurationMillis('15s')).to.equal(15_000);
    expect(parseDurationMillis('2m')).to.equal(120_000);
    expect(parseDurationMillis('1.5h')).to.equal(5_400_000);
  });
  it('names the bad text', () => {
    expect(() => parseDurationMillis('ten seconds')).to.throw('"ten seconds" is not a duration');
  });
});

describe('formatDurationMillis', () => {
  it('uses the largest unit that divides exactly', () => {
    expect(formatDurationMillis(15_000)).to.equal('15s');
    expect(formatDurationMillis(120_000)).to.equal('2m');
    expect(formatDurationMillis(90_000)).to.equal('90s');
    expect(formatDurationMillis(3_600_000)).to.equal('1h');
    expect(formatDurationMillis(1500)).to.equal('1500ms');
    expect(formatDurationMillis(0)).to.equal('0ms');
  });
  it('round-trips through parseDurationMillis', () => {
    for (const millis of [1, 250, 1000, 61_000, 7_200_000]) {
      expect(parseDurationMillis(formatDurationMillis(millis))).to.equal(millis);
    }
  });
});
