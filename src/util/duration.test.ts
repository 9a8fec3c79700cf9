import { expect } from 'chai';
import { parseDurationMillis } from './duration.ts';

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
