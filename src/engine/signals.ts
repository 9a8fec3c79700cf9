// From what the collectors saw to what the policies read: one target's collection becomes its
// ScalingSignals. Only the lag collector's group figures are essential; without them the
// collection counts as failed (the stale-data stage then forbids scale-in, and after enough
// failures in a row the fallback count applies). Rates, partitions and capacity are optional:
// the policies that need a missing one abstain.
import type { Sample } from '../collectors/collector.ts';
import type { RateSample, ScalingSignals } from '../policies/types.ts';
import type { TargetCollection } from './collection.ts';

/** What the reconciler keeps about a target between evaluations to complete its signals. */
export interface SignalMemory {
  /** Recent produce rates, oldest first (the prediction policy's trend). */
  produceRates: RateSample[];
  consecutiveFailedCollections: number;
  /** The partition count last seen: a collection that missed it still caps the count. */
  partitions?: number;
}

/** Produce rates kept for the trend: enough for Holt's smoothing to settle, few enough to forget. */
export const produceRateHistoryLength = 8;

export function emptySignalMemory(): SignalMemory {
  return { produceRates: [], consecutiveFailedCollections: 0 };
}

export interface SignalsInput {
  collection: TargetCollection;
  /** The replica count in force, as the actuator reads it. */
  currentReplicas: number;
  memory: SignalMemory;
}

export interface DerivedSignals {
  signals: ScalingSignals;
  memory: SignalMemory;
  /** The per-replica capacity the capacity collector reported (configured or learned), if any. */
  capacityPerReplica?: number;
  /** Why the collection counts as failed, when it does. */
  failure?: string;
}

function first(samples: readonly Sample[], name: string): Sample | undefined {
  return samples.find((sample) => sample.name === name);
}

function sum(samples: readonly Sample[], name: string): { value: number; timestampMs: number } | undefined {
  const matching = samples.filter((sample) => sample.name === name);
  if (matching.length === 0) return undefined;
  return {
    value: matching.reduce((total, sample) => total + sample.value, 0),
    timestampMs: Math.min(...matching.map((sample) => sample.timestampMs)),
  };
}

function countPartitions(samples: readonly Sample[]): number | undefined {
  const keys = new Set<string>();
  for (const sample of samples) {
    if (sample.name !== 'partition_log_end_offset') continue;
    keys.add(`${sample.labels.topic ?? ''}/${sample.labels.partition ?? ''}`);
  }
  return keys.size === 0 ? undefined : keys.size;
}

export function signalsFromCollection({ collection, currentReplicas, memory }: SignalsInput): DerivedSignals {
  const { samples } = collection;
  const time = collection.collectedAtMs / 1000;
  const backlog = first(samples, 'consumergroup_lag_messages');
  const lagSeconds = first(samples, 'consumergroup_lag_seconds');
  const members = first(samples, 'consumergroup_members');
  const produce = sum(samples, 'topic_produce_rate');
  const consume = first(samples, 'consumergroup_consume_rate');
  const capacity = first(samples, 'consumer_capacity');
  const partitions = countPartitions(samples) ?? memory.partitions;

  const failure = backlog === undefined
    ? `no consumer lag for the group: ${collection.errors.map((error) => `${error.source} ${error.code}: ${error.message}`).join('; ') || 'the lag collector reported nothing'}`
    : undefined;
  const consecutiveFailedCollections = failure === undefined ? 0 : memory.consecutiveFailedCollections + 1;
  const produceRates = produce === undefined
    ? memory.produceRates
    : [...memory.produceRates, { time: produce.timestampMs / 1000, rate: produce.value }].slice(-produceRateHistoryLength);

  // Data age: how old the oldest essential figure is; without one, as old as the last success
  // could be is unknown, so it counts as too old to scale in on.
  const essential = [backlog, lagSeconds].filter((sample) => sample !== undefined);
  const dataAgeSeconds = essential.length === 0
    ? Number.POSITIVE_INFINITY
    : Math.max(0, (collection.collectedAtMs - Math.min(...essential.map((sample) => sample.timestampMs))) / 1000);

  const signals: ScalingSignals = {
    time,
    currentReplicas,
    // Members that joined the group are the replicas that consume; a worker still starting is not one yet.
    readyReplicas: members === undefined ? currentReplicas : members.value,
    // Unknown partitions: no cap (0 switches the partition stage off).
    partitions: partitions ?? 0,
    ...(backlog === undefined ? {} : { backlogMessages: backlog.value }),
    ...(lagSeconds === undefined ? {} : { lagSeconds: lagSeconds.value }),
    ...(produce === undefined ? {} : { produceRate: produce.value, produceRateHistory: produceRates }),
    ...(consume === undefined ? {} : { consumeRate: consume.value }),
    dataAgeSeconds,
    partialData: collection.partial,
    consecutiveFailedCollections,
  };
  return {
    signals,
    memory: { produceRates, consecutiveFailedCollections, ...(partitions === undefined ? {} : { partitions }) },
    ...(capacity === undefined ? {} : { capacityPerReplica: capacity.value }),
    ...(failure === undefined ? {} : { failure }),
  };
}
