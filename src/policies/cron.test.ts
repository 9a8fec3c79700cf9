import { expect } from 'chai';
import { cronMatches, lastStartWithin, parseCron } from './cron.ts';
import { parse as nodeCronParse, validate as nodeCronValidate } from 'node-cron';

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

// lagpilot keeps its own matcher because policies are pure (they take the time as input and
// never schedule timers), while node-cron's matching lives in scheduled tasks on the wall
// clock. node-cron's parser is still the reference for what the syntax means: the same
// expression must expand to the same values in both.
describe('parseCron against node-cron, the reference for the syntax', () => {
  const expressions = [
    '*/15 9-17 * * mon-fri',
    '0 8 1 jan,jul *',
    '30 */2 * * 0',
    '5 4 * * 7',
    '0 0 9 * * 1-5',
    '0 22 * * 1-5',
    '10-40/10 * 1,15 * *',
    '*/20 0-6 * * sat,sun',
  ];
  for (const expression of expressions) {
    it(`expands "${expression}" as node-cron does`, () => {
      const parsed = nodeCronParse(expression);
      const numbers = (values: (number | string)[]): number[] => values.map(Number).sort((a, b) => a - b);
      const reference = {
        second: numbers(parsed.second), minute: numbers(parsed.minute), hour: numbers(parsed.hour),
        dayOfMonth: numbers(parsed.dayOfMonth), month: numbers(parsed.month), dayOfWeek: numbers(parsed.dayOfWeek),
      };
      const ours = parseCron(expression);
      const sorted = (values: Iterable<number>): number[] => [...values].sort((a, b) => a - b);
      const sevenAsSunday = (values: Iterable<number>): number[] => sorted(new Set([...values].map((day) => (day === 7 ? 0 : day))));
      expect(sorted(ours.seconds)).to.deep.equal(reference.second);
      expect(sorted(ours.minutes)).to.deep.equal(reference.minute);
      expect(sorted(ours.hours)).to.deep.equal(reference.hour);
      expect(sorted(ours.daysOfMonth)).to.deep.equal(reference.dayOfMonth);
      expect(sorted(ours.months)).to.deep.equal(reference.month);
      expect(sevenAsSunday(ours.daysOfWeek)).to.deep.equal(reference.dayOfWeek);
    });
  }
  it('refuses what node-cron refuses', () => {
    for (const expression of ['61 * * * *', '* 24 * * *', 'bogus', '* * 32 * *']) {
      expect(nodeCronValidate(expression), expression).to.equal(false);
      expect(() => parseCron(expression), expression).to.throw();
    }
  });
});
