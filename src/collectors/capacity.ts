// Per-replica capacity: how many messages per second one consumer of a group can handle. It is
// measured only while the group is saturated, i.e. it has a backlog that is not falling: then
// every member consumes as fast as it can, and the consume rate divided by the active members is
// what one replica can do. Outside saturation the consume rate only says how much was produced.
// Measurements are smoothed and kept in a CapacityStore (Redis in production) so a restart does
// not forget them; a configured figure, when the operator knows it, is reported instead.
import type { Sample } from './collector.ts';

export const capacitySource = 'capacity';

export interface LagPoint {
  timestampMs: number;
  lagMessages: number;
  /** Members of the group at that moment, when the lag collector reported them. */
  members?: number | undefined;
}

export interface SaturationInput {
  /** The group's consume rate and the window it was measured over. */
  consumeRate: number;
  fromMs: number;
  toMs: number;
  /** Members consuming at the end of the window. */
  activeMembers: number;
  /** The group's lag over time, oldest first; must cover the window's start. */
  lagHistory: readonly LagPoint[];
}

/**
 * Messages per second per member if the group was saturated through the window, else null.
 * Saturated: a backlog at the window's start, and no less at its end. The membership must also
 * have held still through the window: while members join or leave, the group rebalances and
 * consumes little, and the window's rate divided by the members at its end would make one
 * replica look several times slower than it is (seen when workers were still joining).
 */
export function saturatedPerReplicaRate(input: SaturationInput): number | null {
  if (input.activeMembers <= 0 || input.consumeRate <= 0) return null;
  const atStart = [...input.lagHistory].reverse().find((point) => point.timestampMs <= input.fromMs);
  const atEnd = [...input.lagHistory].reverse().find((point) => point.timestampMs <= input.toMs);
  if (atStart === undefined || atEnd === undefined || atStart === atEnd) return null;
  if (atStart.lagMessages <= 0 || atEnd.lagMessages < atStart.lagMessages) return null;
  if (!membershipHeldStill(input.lagHistory, atStart.timestampMs, input.toMs)) return null;
  return input.consumeRate / input.activeMembers;
}

/** True when every point from `fromMs` to `toMs` that knows the member count saw the same count. */
function membershipHeldStill(history: readonly LagPoint[], fromMs: number, toMs: number): boolean {
  let seen: number | undefined;
  for (const point of history) {
    if (point.timestampMs < fromMs || point.timestampMs > toMs || point.members === undefined) continue;
    if (seen !== undefined && point.members !== seen) return false;
    seen = point.members;
  }
  return true;
}

export interface LearnedCapacity {
  perReplica: number;
  /** Saturated windows that went into it. */
  measurements: number;
  updatedAtMs: number;
}

/**
 * Members that consume: at most one per partition, since a member beyond the partition count is
 * assigned nothing and idles. The partitions are those the lag collector reported for the group.
 */
export function activeMembers(members: number, samples: readonly Sample[]): number {
  const partitions = new Set<string>();
  for (const sample of samples) {
    if (sample.name !== 'consumergroup_partition_lag_messages' && sample.name !== 'consumergroup_partition_committed_offset') continue;
    partitions.add(`${sample.labels.topic ?? ''}/${sample.labels.partition ?? ''}`);
  }
  return partitions.size === 0 ? members : Math.min(members, partitions.size);
}

/** Weight of a new measurement against what was learned: about the last five windows count. */
export const capacitySmoothing = 0.2;

/** Folds a new measurement into what was learned (exponentially weighted; the first is taken as is). */
export function learnCapacity(previous: LearnedCapacity | null, measuredPerReplica: number, nowMs: number): LearnedCapacity {
  if (previous === null) return { perReplica: measuredPerReplica, measurements: 1, updatedAtMs: nowMs };
  return {
    perReplica: previous.perReplica + capacitySmoothing * (measuredPerReplica - previous.perReplica),
    measurements: previous.measurements + 1,
    updatedAtMs: nowMs,
  };
}

/** Where learned capacities outlive the process. */
export interface CapacityStore {
  load(target: string): Promise<LearnedCapacity | null>;
  save(target: string, learned: LearnedCapacity): Promise<void>;
  close(): Promise<void>;
}

export class MemoryCapacityStore implements CapacityStore {
  readonly #learned = new Map<string, LearnedCapacity>();

  load(target: string): Promise<LearnedCapacity | null> {
    return Promise.resolve(this.#learned.get(target) ?? null);
  }

  save(target: string, learned: LearnedCapacity): Promise<void> {
    this.#learned.set(target, { ...learned });
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface CapacityTargetOptions {
  /** The target's name: the key its capacity is stored under and a label of its samples. */
  target: string;
  /** Messages per second one replica handles, when the operator knows it. */
  configuredPerReplica?: number | undefined;
}

export interface CapacityUpdate {
  samples: Sample[];
  /** Why the store could not be read or written, if it could not; the rest still holds. */
  storeError?: string;
}

/**
 * Learns each target's capacity from the samples of its evaluations: consumergroup_consume_rate
 * (throughput), consumergroup_lag_messages and consumergroup_members (lag collector).
 */
export class CapacityTracker {
  readonly #store: CapacityStore;
  readonly #lagHistory = new Map<string, LagPoint[]>();
  readonly #learned = new Map<string, LearnedCapacity | null>();
  readonly #historyMs: number;

  /** `historyMs` must cover the throughput window, so the lag at a window's start is known. */
  constructor(store: CapacityStore, historyMs = 10 * 60_000) {
    this.#store = store;
    this.#historyMs = historyMs;
  }

  async observe(options: CapacityTargetOptions, samples: readonly Sample[], nowMs: number): Promise<CapacityUpdate> {
    const labels = { target: options.target };
    const lag = samples.find((sample) => sample.name === 'consumergroup_lag_messages');
    const members = samples.find((sample) => sample.name === 'consumergroup_members');
    const rate = samples.find((sample) => sample.name === 'consumergroup_consume_rate');
    const rateWindow = samples.find((sample) => sample.name === 'consumergroup_consume_rate_window_seconds');

    const history = this.#lagHistory.get(options.target) ?? [];
    if (lag !== undefined) {
      history.push({ timestampMs: lag.timestampMs, lagMessages: lag.value, members: members?.value });
      while (history.length > 2 && lag.timestampMs - (history[1]?.timestampMs ?? 0) > this.#historyMs) history.shift();
      this.#lagHistory.set(options.target, history);
    }

    let storeError: string | undefined;
    let learned: LearnedCapacity | null = null;
    try {
      learned = await this.#loaded(options.target);
      if (rate !== undefined && rateWindow !== undefined && members !== undefined) {
        const measured = saturatedPerReplicaRate({
          consumeRate: rate.value,
          fromMs: rate.timestampMs - rateWindow.value * 1000,
          toMs: rate.timestampMs,
          activeMembers: activeMembers(members.value, samples),
          lagHistory: history,
        });
        if (measured !== null) {
          learned = learnCapacity(learned, measured, nowMs);
          this.#learned.set(options.target, learned);
          await this.#store.save(options.target, learned);
        }
      }
    } catch (error) {
      storeError = `capacity of target ${options.target}: ${error instanceof Error ? error.message : String(error)}`;
    }

    const out: Sample[] = [];
    if (learned !== null) {
      out.push({ name: 'consumer_capacity_learned', value: learned.perReplica, unit: 'messages_per_second', labels, timestampMs: learned.updatedAtMs, source: capacitySource });
      out.push({ name: 'consumer_capacity_measurements', value: learned.measurements, unit: 'count', labels, timestampMs: learned.updatedAtMs, source: capacitySource });
    }
    // The capacity policies should use: the operator's figure wins, else what was learned.
    const effective = options.configuredPerReplica ?? learned?.perReplica;
    if (effective !== undefined) {
      const origin = options.configuredPerReplica !== undefined ? 'configured' : 'measured';
      out.push({ name: 'consumer_capacity', value: effective, unit: 'messages_per_second', labels: { ...labels, origin }, timestampMs: nowMs, source: capacitySource });
    }
    return storeError === undefined ? { samples: out } : { samples: out, storeError };
  }

  async #loaded(target: string): Promise<LearnedCapacity | null> {
    if (this.#learned.has(target)) return this.#learned.get(target) ?? null;
    const stored = await this.#store.load(target);
    this.#learned.set(target, stored);
    return stored;
  }
}
