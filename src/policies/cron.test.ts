import { expect } from 'chai';
import { cronMatches, lastStartWithin, parseCron } from './cron.ts';

const at = (iso: string): number => Date.parse(iso) / 1000;

describe('cron matcher', () => {
  it('matches lists, ranges, steps and names', () => {
    const schedule = parseCron('*/15 9-17 * jan,feb mon-fri');
    expect(cronMatches(schedule, at('2026-01-05T09:30:00Z'))).to.be.true; // Monday
    expect(cronMatches(schedule, at('2026-01-05T09:31:00Z'))).to.be.false;
    expect(cronMatches(schedule, at('2026-01-03T09:30:00Z'))).to.be.false; // Saturday
    expect(cronMatches(schedule, at('2026-03-02T09:30:00Z'))).to.be.false; // March
  });

  it('reads 7 as Sunday and takes an optional seconds field', () => {
    expect(cronMatches(parseCron('0 0 * * 7'), at('2026-11-22T00:00:00Z'))).to.be.true;
    const everyTenSeconds = parseCron('*/10 * * * * *');
    expect(cronMatches(everyTenSeconds, at('2026-11-22T00:00:20Z'))).to.be.true;
    expect(cronMatches(everyTenSeconds, at('2026-11-22T00:00:25Z'))).to.be.false;
  });

  it('matches either day field when both are restricted, as Vixie cron does', () => {
    const schedule = parseCron('0 12 1 * mon');
    expect(cronMatches(schedule, at('2026-12-01T12:00:00Z'))).to.be.true; // the 1st, a Tuesday
    expect(cronMatches(schedule, at('2026-11-23T12:00:00Z'))).to.be.true; // a Monday
    expect(cronMatches(schedule, at('2026-11-24T12:00:00Z'))).to.be.false;
  });

  it('finds the latest start of a window that is still open', () => {
    const schedule = parseCron('0 9 * * *');
    expect(lastStartWithin(schedule, at('2026-11-23T12:34:56Z'), 8 * 3600)).to.equal(at('2026-11-23T09:00:00Z'));
    expect(lastStartWithin(schedule, at('2026-11-23T17:00:00Z'), 8 * 3600)).to.equal(null);
  });

  it('names what is wrong with a bad expression', () => {
    expect(() => parseCron('0 9 * *')).to.throw(/expected 5 fields/);
    expect(() => parseCron('0 25 * * *')).to.throw(/"25" is not a valid hour/);
    expect(() => parseCron('*/0 * * * *')).to.throw(/bad step/);
    expect(() => parseCron('0 9 * * fri-mon')).to.throw(/runs backwards/);
  });
});
