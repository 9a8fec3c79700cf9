// Throughput: the produce rate of each topic (how fast its log-end offsets move) and the consume
// rate of each group (how fast its committed offsets move), from successive observations of
// those offsets. Nothing here asks Kafka anything: the offsets are the ones the lag collector
// already read (its partition_log_end_offset and consumergroup_partition_committed_offset
// samples), so throughput costs no request. The arithmetic is in pure functions over
// observations; ThroughputTracker only remembers a window of them.
import type { Sample } from './collector.ts';

export const throughputSource = 'throughput';

/** Every offset of one kind (log end, or committed) seen at one moment, by "topic/partition". */
export interface OffsetObservation {
  timestampMs: number;
  offsets: ReadonlyMap<string, number>;
}

export interface Rate {
  messagesPerSecond: number;
  /** The observations the rate is measured between (epoch milliseconds). */
  fromMs: number;
  toMs: number;
  windowSeconds: number;
  /** Partitions that went backwards in the window (deleted and recreated, or a group rewound); they count as 0. */
  partitionsReset: number;
  /** Partitions in both observations, i.e. the ones the rate covers. */
  partitionsCounted: number;
}

/**
 * The rate between two observations: messages moved past, summed over the partitions seen in
 * both, divided by the time between them. A partition whose offset went backwards moved no
 * messages forwards that can be counted, so it adds nothing rather than a negative amount.
 * Null when the two are not ordered in time.
 */
export function rateBetween(earlier: OffsetObservation, later: OffsetObservation): Rate | null {
  const windowMs = later.timestampMs - earlier.timestampMs;
  if (windowMs <= 0) return null;
  let moved = 0;
  let partitionsReset = 0;
  let partitionsCounted = 0;
  for (const [partition, laterOffset] of later.offsets) {
    const earlierOffset = earlier.offsets.get(partition);
    if (earlierOffset === undefined) continue;
    partitionsCounted += 1;
    const delta = laterOffset - earlierOffset;
    if (delta < 0) partitionsReset += 1;
    else moved += delta;
  }
  return {
    messagesPerSecond: moved / (windowMs / 1000),
    fromMs: earlier.timestampMs,
    toMs: later.timestampMs,
    windowSeconds: windowMs / 1000,
    partitionsReset,
    partitionsCounted,
  };
}

/** The observations a rate over `windowMs` ending at the newest one should use: the oldest within the window, and the newest. */
export function windowEnds(observations: readonly OffsetObservation[], windowMs: number): [OffsetObservation, OffsetObservation] | null {
  const newest = observations.at(-1);
  if (newest === undefined) return null;
  const oldest = observations.find((observation) => newest.timestampMs - observation.timestampMs <= windowMs);
  if (oldest === undefined || oldest === newest) return null;
  return [oldest, newest];
}

/** Keeps each key's observations for one window and answers the rate over it. */
export class ObservationWindow {
  readonly #windowMs: number;
  readonly #observations = new Map<string, OffsetObservation[]>();

  constructor(windowMs: number) {
    if (!(windowMs > 0)) throw new Error(`a throughput window must be longer than 0 ms, got ${windowMs}`);
    this.#windowMs = windowMs;
  }

  /** Adds an observation and returns the rate over the window ending with it (null until there are two). */
  observe(key: string, observation: OffsetObservation): Rate | null {
    const kept = this.#observations.get(key) ?? [];
    const last = kept.at(-1);
    // An observation older than the last one (a clock step back) would make a negative window.
    if (last !== undefined && observation.timestampMs <= last.timestampMs) return this.rate(key);
    kept.push(observation);
    // One observation older than the window is kept, so that a window with a gap still has a start.
    while (kept.length > 2 && observation.timestampMs - (kept[1]?.timestampMs ?? 0) >= this.#windowMs) kept.shift();
    this.#observations.set(key, kept);
    return this.rate(key);
  }

  rate(key: string): Rate | null {
    const kept = this.#observations.get(key) ?? [];
    const ends = windowEnds(kept, this.#windowMs) ?? lastTwo(kept);
    return ends === null ? null : rateBetween(ends[0], ends[1]);
  }

  forget(key: string): void {
    this.#observations.delete(key);
  }

  get keys(): string[] {
    return [...this.#observations.keys()];
  }
}

function lastTwo(observations: readonly OffsetObservation[]): [OffsetObservation, OffsetObservation] | null {
  const newest = observations.at(-1);
  const before = observations.at(-2);
  return newest === undefined || before === undefined ? null : [before, newest];
}

// One string per "topic/partition" for all observations: a window keeps several observations of
// every partition of every target, each with fresh key strings otherwise (the windows of 2,000
// targets of 10 partitions held 1.7 MiB less with this). Grows with the partitions ever seen,
// like the cluster's metadata.
const partitionKeys = new Map<string, string>();

function partitionKey(topic: string, partition: string): string {
  const key = `${topic}/${partition}`;
  const kept = partitionKeys.get(key);
  if (kept !== undefined) return kept;
  partitionKeys.set(key, key);
  return key;
}

/** The offsets of one sample name grouped by the labels that identify what they belong to. */
export function offsetsFromSamples(samples: readonly Sample[], name: string, keyLabels: readonly string[]): Map<string, OffsetObservation> {
  const grouped = new Map<string, { timestampMs: number; offsets: Map<string, number> }>();
  for (const sample of samples) {
    if (sample.name !== name) continue;
    const topic = sample.labels.topic;
    const partition = sample.labels.partition;
    if (topic === undefined || partition === undefined) continue;
    const key = keyLabels.map((label) => sample.labels[label] ?? '').join('\u0000');
    const entry = grouped.get(key) ?? { timestampMs: sample.timestampMs, offsets: new Map<string, number>() };
    entry.timestampMs = Math.max(entry.timestampMs, sample.timestampMs);
    entry.offsets.set(partitionKey(topic, partition), sample.value);
    grouped.set(key, entry);
  }
  return grouped;
}

export interface ThroughputTrackerOptions {
  /** The span rates are averaged over. Default 60 s. */
  windowMs?: number;
}

/**
 * Produce rate per topic and consume rate per group, from the lag collector's offset samples of
 * successive evaluations. One tracker serves every target; state is per topic and per group.
 */
export class ThroughputTracker {
  readonly #topics: ObservationWindow;
  readonly #groups: ObservationWindow;

  constructor(options: ThroughputTrackerOptions = {}) {
    const windowMs = options.windowMs ?? 60_000;
    this.#topics = new ObservationWindow(windowMs);
    this.#groups = new ObservationWindow(windowMs);
  }

  /** Rate samples for what `offsetSamples` (one evaluation's lag samples) shows. */
  observe(offsetSamples: readonly Sample[]): Sample[] {
    const samples: Sample[] = [];
    // A topic is identified by cluster and name; its partitions' log-end offsets move together per evaluation.
    for (const [key, observation] of offsetsFromSamples(offsetSamples, 'partition_log_end_offset', ['cluster', 'topic'])) {
      const [cluster = '', topic = ''] = key.split('\u0000');
      const rate = this.#topics.observe(key, observation);
      if (rate !== null) samples.push(...rateSamples('topic_produce_rate', rate, { cluster, topic }));
    }
    for (const [key, observation] of offsetsFromSamples(offsetSamples, 'consumergroup_partition_committed_offset', ['cluster', 'group'])) {
      const [cluster = '', group = ''] = key.split('\u0000');
      const rate = this.#groups.observe(key, observation);
      if (rate !== null) samples.push(...rateSamples('consumergroup_consume_rate', rate, { cluster, group }));
    }
    return samples;
  }
}

/** A rate as samples: the rate itself and the window it covers, both stamped with the window's end. */
export function rateSamples(name: string, rate: Rate, labels: Record<string, string>): Sample[] {
  return [
    { name, value: rate.messagesPerSecond, unit: 'messages_per_second', labels, timestampMs: rate.toMs, source: throughputSource },
    { name: `${name}_window_seconds`, value: rate.windowSeconds, unit: 'seconds', labels, timestampMs: rate.toMs, source: throughputSource },
  ];
}
