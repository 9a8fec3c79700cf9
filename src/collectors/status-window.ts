// The observations a group's consumer status is judged on (consumer-status.ts), kept for one
// fixed list of partitions in one preallocated Float64Array per group: per observation its time,
// its member count, and each partition's committed offset and lag (NaN for unknown).
//
// At 2,000 groups of 10 partitions and 20 observations each this is 2,000 arrays of 3.4 KB
// (6.7 MB). Two small typed arrays per observation, as before, were 80,000 arrays, each with its
// own buffer object and backing store: about four times the memory, most of it bookkeeping.
import type { PartitionObservation } from './consumer-status.ts';

/** A partition as the window identifies it. */
export interface WindowPartition {
  topic: string;
  partition: number;
}

/** Slots of one observation before its partitions: time, member count. */
const headerSlots = 2;

export class StatusWindow {
  /** "topic/partition" of each partition, in the order the observations store them. */
  readonly keys: readonly string[];
  readonly #topics: readonly string[];
  readonly #partitions: Int32Array;
  readonly #capacity: number;
  readonly #stride: number;
  readonly #slots: Float64Array;
  /** Index of the oldest observation's slot, and how many are kept. */
  #oldest = 0;
  #count = 0;

  constructor(partitions: readonly WindowPartition[], capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a status window holds at least one observation, got capacity ${String(capacity)}`);
    this.#topics = partitions.map((p) => p.topic);
    this.#partitions = Int32Array.from(partitions, (p) => p.partition);
    this.keys = partitions.map((p) => `${p.topic}/${String(p.partition)}`);
    this.#capacity = capacity;
    this.#stride = headerSlots + 2 * partitions.length;
    this.#slots = new Float64Array(capacity * this.#stride);
  }

  /** Observations kept now. */
  get size(): number {
    return this.#count;
  }

  /** True when `partitions` are the window's partitions in the same order (no key strings made to compare). */
  covers(partitions: readonly WindowPartition[]): boolean {
    if (partitions.length !== this.#topics.length) return false;
    return partitions.every((p, index) => p.partition === this.#partitions[index] && p.topic === this.#topics[index]);
  }

  /**
   * Adds an observation, newest last; the oldest one goes when the window is full. `committed`
   * and `lag` give partition i's values (NaN for unknown).
   */
  record(timeMs: number, memberCount: number, committed: (index: number) => number, lag: (index: number) => number): void {
    const slot = this.#count < this.#capacity ? (this.#oldest + this.#count) % this.#capacity : this.#oldest;
    if (this.#count < this.#capacity) this.#count += 1;
    else this.#oldest = (this.#oldest + 1) % this.#capacity;
    const base = slot * this.#stride;
    this.#slots[base] = timeMs;
    this.#slots[base + 1] = memberCount;
    for (let index = 0; index < this.#topics.length; index += 1) {
      this.#slots[base + headerSlots + 2 * index] = committed(index);
      this.#slots[base + headerSlots + 2 * index + 1] = lag(index);
    }
  }

  /** Forgets the observations made before `minTimeMs`. */
  dropBefore(minTimeMs: number): void {
    while (this.#count > 0 && this.#value(0, 0) < minTimeMs) {
      this.#oldest = (this.#oldest + 1) % this.#capacity;
      this.#count -= 1;
    }
  }

  /** Partition `index`'s observations, oldest first, as the status judgement reads them. */
  series(index: number): PartitionObservation[] {
    const series: PartitionObservation[] = [];
    for (let position = 0; position < this.#count; position += 1) {
      const committed = this.#value(position, headerSlots + 2 * index);
      const lag = this.#value(position, headerSlots + 2 * index + 1);
      series.push({ timeMs: this.#value(position, 0), committedOffset: Number.isNaN(committed) ? null : committed, lag: Number.isNaN(lag) ? null : lag });
    }
    return series;
  }

  /** Slot `offset` of the observation `position` places after the oldest. */
  #value(position: number, offset: number): number {
    return this.#slots[((this.#oldest + position) % this.#capacity) * this.#stride + offset] ?? Number.NaN;
  }
}
