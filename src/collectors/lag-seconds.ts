// Lag in seconds: the age of the oldest message the group has not consumed. Two ways to get it.
//
// exact: read the record at the resume offset and take its timestamp. One small fetch per
//   partition with lag (batched per leader by the port), a bounded number of batches at a time.
//   As exact as the producers' clocks (create time) or the broker's (log-append time).
//
// estimated: no record is read. Each sweep appends (log-end offset, time) to a per-partition
//   history; the time the message at the resume offset was appended is interpolated between the
//   two history points around it. The history is a piecewise-linear curve with a bounded number
//   of points: when it is full, the interior point whose removal changes the curve least is
//   dropped, so long flat or steady stretches cost two points and the history reaches back as far
//   as it must, with no fixed horizon. docs/lag.md gives the accuracy of both.
import type { KafkaAdminPort, RecordPosition } from '../kafka/admin-port.ts';

export type LagSecondsMode = 'exact' | 'estimated' | 'off';

export interface OffsetPoint {
  offset: bigint;
  timeMs: number;
}

/** What the estimate knows about one partition. */
export interface LagSecondsEstimate {
  seconds: number | null;
  /**
   * 'interpolated' between two points; 'lower-bound' when the resume offset is older than the
   * history (the true age is at least this); 'no-history' when nothing can be said yet.
   */
  quality: 'exact' | 'interpolated' | 'lower-bound' | 'caught-up' | 'no-history';
}

export const defaultHistoryPoints = 48;

/**
 * Adds a point to a history (oldest first) and thins it to at most `maxPoints`. Points must come
 * in time order; a log end that went down (topic recreated) starts the history over.
 */
export function appendOffsetPoint(history: readonly OffsetPoint[], point: OffsetPoint, maxPoints = defaultHistoryPoints): OffsetPoint[] {
  const last = history.at(-1);
  if (last !== undefined && point.timeMs <= last.timeMs) return [...history];
  if (last !== undefined && point.offset < last.offset) return [point];
  const points = [...history, point];
  while (points.length > Math.max(2, maxPoints)) points.splice(leastSignificantPoint(points), 1);
  return points;
}

/** Index of the interior point whose removal moves the curve least (offsets off the chord; older first on ties). */
function leastSignificantPoint(points: readonly OffsetPoint[]): number {
  let best = 1;
  let bestError = Number.POSITIVE_INFINITY;
  for (let index = 1; index < points.length - 1; index += 1) {
    const before = points[index - 1];
    const point = points[index];
    const after = points[index + 1];
    if (before === undefined || point === undefined || after === undefined) continue;
    const span = after.timeMs - before.timeMs;
    const chordOffset = Number(before.offset) + (Number(after.offset - before.offset) * (point.timeMs - before.timeMs)) / span;
    // Measured in time: how far the chord puts this point's offset from when it really was reached.
    const rate = Number(after.offset - before.offset) / span;
    const error = rate === 0 ? Math.abs(Number(point.offset) - chordOffset) : Math.abs(Number(point.offset) - chordOffset) / rate;
    if (error < bestError) {
      bestError = error;
      best = index;
    }
  }
  return best;
}

/**
 * When the message at `offset` was appended, from a history of log-end points: the first point
 * whose log end passed `offset` was taken after the append, the one before it at or before.
 */
export function estimateLagSeconds(history: readonly OffsetPoint[], resumeOffset: bigint, logEndOffset: bigint, nowMs: number): LagSecondsEstimate {
  if (resumeOffset >= logEndOffset) return { seconds: 0, quality: 'caught-up' };
  const firstAfter = history.findIndex((point) => point.offset > resumeOffset);
  if (firstAfter === -1) return { seconds: null, quality: 'no-history' };
  const after = history[firstAfter];
  const before = history[firstAfter - 1];
  if (after === undefined) return { seconds: null, quality: 'no-history' };
  if (before === undefined) {
    return { seconds: Math.max(0, (nowMs - after.timeMs) / 1000), quality: 'lower-bound' };
  }
  // Offsets [before.offset, after.offset) were appended in (before.timeMs, after.timeMs]. At a
  // steady rate the k-th of n lands in the middle of its k-th share of the interval, which also
  // bounds the error of a lone message by half the interval.
  const fraction = (Number(resumeOffset - before.offset) + 0.5) / Number(after.offset - before.offset);
  const appendedAtMs = before.timeMs + fraction * (after.timeMs - before.timeMs);
  return { seconds: Math.max(0, (nowMs - appendedAtMs) / 1000), quality: 'interpolated' };
}

/** Where the histories live: the state store (Redis) so an estimate survives a restart. */
export interface OffsetHistoryStore {
  /** Histories of the given partitions of one cluster; absent ones are missing from the map. Keys are "topic/partition". */
  load(cluster: string, keys: readonly string[]): Promise<Map<string, OffsetPoint[]>>;
  save(cluster: string, histories: ReadonlyMap<string, readonly OffsetPoint[]>): Promise<void>;
  close(): Promise<void>;
}

export class MemoryOffsetHistoryStore implements OffsetHistoryStore {
  readonly #histories = new Map<string, OffsetPoint[]>();

  load(cluster: string, keys: readonly string[]): Promise<Map<string, OffsetPoint[]>> {
    const found = new Map<string, OffsetPoint[]>();
    for (const key of keys) {
      const history = this.#histories.get(`${cluster}\u0000${key}`);
      if (history !== undefined) found.set(key, [...history]);
    }
    return Promise.resolve(found);
  }

  save(cluster: string, histories: ReadonlyMap<string, readonly OffsetPoint[]>): Promise<void> {
    for (const [key, history] of histories) this.#histories.set(`${cluster}\u0000${key}`, [...history]);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Compact text form of a history for the store: "offset:time,offset:time". */
export function encodeHistory(history: readonly OffsetPoint[]): string {
  return history.map((point) => `${String(point.offset)}:${String(point.timeMs)}`).join(',');
}

export function decodeHistory(text: string): OffsetPoint[] {
  if (text === '') return [];
  return text.split(',').map((pair) => {
    const [offset, timeMs] = pair.split(':');
    if (offset === undefined || timeMs === undefined || !/^\d+$/.test(offset) || !/^\d+$/.test(timeMs)) {
      throw new Error(`offset history entry "${pair}" is not "offset:timeMs"`);
    }
    return { offset: BigInt(offset), timeMs: Number(timeMs) };
  });
}

export interface ExactLagSecondsOptions {
  /** Positions per fetchRecords call. */
  batchSize: number;
  /** fetchRecords calls in flight at once. */
  concurrency: number;
}

export const defaultExactOptions: ExactLagSecondsOptions = { batchSize: 250, concurrency: 4 };

/**
 * Timestamps of the records at the given positions, read in batches with bounded concurrency.
 * A failed batch leaves its entries undefined and reports its error; others still count.
 */
export async function readResumeTimestamps(
  admin: KafkaAdminPort,
  positions: readonly RecordPosition[],
  options: ExactLagSecondsOptions = defaultExactOptions,
): Promise<{ timestamps: (number | null | undefined)[]; failures: unknown[] }> {
  const timestamps = new Array<number | null | undefined>(positions.length).fill(undefined);
  const failures: unknown[] = [];
  const batchStarts: number[] = [];
  for (let start = 0; start < positions.length; start += options.batchSize) batchStarts.push(start);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const start = batchStarts[next];
      next += 1;
      if (start === undefined) return;
      const batch = positions.slice(start, start + options.batchSize);
      try {
        const records = await admin.fetchRecords(batch);
        records.forEach((record, index) => { timestamps[start + index] = record === null ? null : record.timestampMs; });
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, batchStarts.length)) }, worker));
  return { timestamps, failures };
}
