// A small matcher for node-cron expressions: 5 fields (minute hour day-of-month month
// day-of-week) or 6 (seconds first). Each field takes *, numbers, ranges a-b, steps */n and a-b/n,
// lists, and English names for months and weekdays; 7 is Sunday too. As in Vixie cron, when both
// day-of-month and day-of-week are restricted a day matching either one matches. Times are UTC.

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const secondField: FieldSpec = { name: 'second', min: 0, max: 59 };
const minuteField: FieldSpec = { name: 'minute', min: 0, max: 59 };
const hourField: FieldSpec = { name: 'hour', min: 0, max: 23 };
const dayOfMonthField: FieldSpec = { name: 'day of month', min: 1, max: 31 };
const monthField: FieldSpec = {
  name: 'month', min: 1, max: 12,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
const dayOfWeekField: FieldSpec = { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] };

export interface CronSchedule {
  expression: string;
  hasSeconds: boolean;
  seconds: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
  dayOfMonthRestricted: boolean;
  dayOfWeekRestricted: boolean;
}

export function parseCron(expression: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new Error(`cron "${expression}": expected 5 fields (minute hour day month weekday) or 6 (seconds first), found ${fields.length}`);
  }
  const hasSeconds = fields.length === 6;
  const [secondText, minuteText, hourText, dayText, monthText, weekdayText] = hasSeconds ? fields : ['0', ...fields];
  const parse = (text: string | undefined, spec: FieldSpec): Set<number> => parseField(expression, text ?? '*', spec);
  const daysOfWeek = parse(weekdayText, dayOfWeekField);
  if (daysOfWeek.delete(7)) daysOfWeek.add(0);
  return {
    expression,
    hasSeconds,
    seconds: parse(secondText, secondField),
    minutes: parse(minuteText, minuteField),
    hours: parse(hourText, hourField),
    daysOfMonth: parse(dayText, dayOfMonthField),
    months: parse(monthText, monthField),
    daysOfWeek,
    dayOfMonthRestricted: dayText !== '*',
    dayOfWeekRestricted: weekdayText !== '*',
  };
}

function parseField(expression: string, text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const part of text.toLowerCase().split(',')) {
    const [rangeText = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron "${expression}": bad step "${part}" in the ${spec.name} field`);
    let low: number;
    let high: number;
    if (rangeText === '*') {
      low = spec.min;
      high = spec.max;
    } else {
      const [lowText = '', highText] = rangeText.split('-');
      low = fieldValue(expression, lowText, spec);
      high = highText === undefined ? (stepText === undefined ? low : spec.max) : fieldValue(expression, highText, spec);
    }
    if (low > high) throw new Error(`cron "${expression}": range "${part}" runs backwards in the ${spec.name} field`);
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return values;
}

function fieldValue(expression: string, text: string, spec: FieldSpec): number {
  const byName = spec.names?.indexOf(text.slice(0, 3)) ?? -1;
  const value = byName >= 0 && /^[a-z]+$/.test(text) ? byName + (spec.min === 1 ? 1 : 0) : Number(text);
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new Error(`cron "${expression}": "${text}" is not a valid ${spec.name} (${spec.min}-${spec.max})`);
  }
  return value;
}

export function cronMatches(schedule: CronSchedule, unixSeconds: number): boolean {
  const date = new Date(Math.floor(unixSeconds) * 1000);
  if (!schedule.seconds.has(date.getUTCSeconds())) return false;
  if (!schedule.minutes.has(date.getUTCMinutes())) return false;
  if (!schedule.hours.has(date.getUTCHours())) return false;
  if (!schedule.months.has(date.getUTCMonth() + 1)) return false;
  const dayOfMonthMatches = schedule.daysOfMonth.has(date.getUTCDate());
  const dayOfWeekMatches = schedule.daysOfWeek.has(date.getUTCDay());
  if (schedule.dayOfMonthRestricted && schedule.dayOfWeekRestricted) return dayOfMonthMatches || dayOfWeekMatches;
  return dayOfMonthMatches && dayOfWeekMatches;
}

/** The latest start in (now − duration, now] that the schedule matches, or null. */
export function lastStartWithin(schedule: CronSchedule, unixSeconds: number, durationSeconds: number): number | null {
  const now = Math.floor(unixSeconds);
  const step = schedule.hasSeconds ? 1 : 60;
  let candidate = schedule.hasSeconds ? now : now - (((now % 60) + 60) % 60);
  while (candidate > now - durationSeconds) {
    if (cronMatches(schedule, candidate)) return candidate;
    candidate -= step;
  }
  return null;
}
