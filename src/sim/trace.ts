// Workload traces: CSV "t,rate" with a row every 10 s; rate is messages per second from t until
// the next row, and the trace ends one row-length after its last row (scaling-model.md).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export const traceRowSeconds = 10;

export interface Trace {
  name: string;
  /** Messages produced in each second 0 … T−1. */
  ratePerSecond: number[];
}

export function parseTrace(name: string, csv: string): Trace {
  const lines = csv.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  const header = lines[0];
  if (header?.replace(/\s/g, '') !== 't,rate') {
    throw new Error(`trace ${name}: the first line must be the header "t,rate", found "${header ?? ''}"`);
  }
  const ratePerSecond: number[] = [];
  lines.slice(1).forEach((line, index) => {
    const fields = line.split(',');
    const time = Number(fields[0]);
    const rate = Number(fields[1]);
    const expectedTime = index * traceRowSeconds;
    if (fields.length !== 2 || !Number.isFinite(time) || !Number.isFinite(rate) || rate < 0) {
      throw new Error(`trace ${name} line ${index + 2}: expected "t,rate" with a rate >= 0, found "${line}"`);
    }
    if (time !== expectedTime) {
      throw new Error(`trace ${name} line ${index + 2}: t must be ${expectedTime} (rows every ${traceRowSeconds} s), found ${time}`);
    }
    for (let second = 0; second < traceRowSeconds; second += 1) ratePerSecond.push(rate);
  });
  if (ratePerSecond.length === 0) throw new Error(`trace ${name} has no rows after its header`);
  return { name, ratePerSecond };
}

export function loadTrace(path: string): Trace {
  let csv: string;
  try {
    csv = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read trace ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseTrace(basename(path), csv);
}
