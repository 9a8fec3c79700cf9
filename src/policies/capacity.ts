// Per-replica capacity: what the operator configured, corrected by what the group shows it can
// do. A window in which the group was saturated the whole time (the backlog at its start alone
// covered everything consumed in it) and its ready count had settled (no rebalance pause inside)
// measures the capacity exactly: consumed rate / effective consumers. Such measurements replace
// the configured figure, so a figure that is too high costs only until the group is first
// saturated. A settled window in which the group kept up proves less but still something: each
// effective consumer processed consumed rate / effective consumers, so capacity is at least
// that. The highest such lower bound since the last exact measurement raises a figure that is
// provably too low; a group that is never saturated would otherwise never correct it.
import { effectiveConsumers } from './safety/partition-cap.ts';
import { round } from './types.ts';
import type { Evidence, ScalingSignals } from './types.ts';

export interface CapacityEstimate {
  perReplica: number;
  /**
   * measured: exact, from saturated windows; lowerBound: the configured figure (or the last
   * measurement) was below what the group was seen to process; configured: nothing better yet.
   */
  source: 'configured' | 'measured' | 'lowerBound';
  /** Set when perReplica is the unconfirmed figure planned this much above (see capacityEstimate). */
  unconfirmedFactor?: number;
}

/** What one evaluation leaves for the next to judge its window by. */
export interface EvaluationMark {
  time: number;
  readyReplicas: number;
  /** Time of the first evaluation that saw this ready count. */
  readySince: number;
  backlogMessages: number | null;
  /**
   * The most per replica the group processed unsaturated since the last measurement. Kept in
   * the mark because whatever carries the mark to the next evaluation then carries this too.
   */
  capacityLowerBound?: CapacityLowerBound;
}

export interface CapacityMeasurement {
  perReplica: number;
  time: number;
  /** Saturated windows behind the figure; 0 when a standing backlog confirmed the estimate. */
  samples: number;
}

/** The most per replica the group was seen to process without being saturated. */
export interface CapacityLowerBound {
  perReplica: number;
  time: number;
}

/** Weight of a new clean measurement against the ones before. */
const measurementSmoothing = 0.5;

export function markEvaluation(previous: EvaluationMark | undefined, signals: ScalingSignals, capacityLowerBound?: CapacityLowerBound): EvaluationMark {
  const readySince = previous?.readyReplicas === signals.readyReplicas ? previous.readySince : signals.time;
  return {
    time: signals.time,
    readyReplicas: signals.readyReplicas,
    readySince,
    backlogMessages: signals.backlogMessages ?? null,
    ...(capacityLowerBound === undefined ? {} : { capacityLowerBound }),
  };
}

/** What the window since `previous` shows about capacity. */
export interface CapacitySample {
  /** Exact capacity per replica: the group was saturated the whole window. */
  perReplica: number | null;
  /** Capacity per replica is at least this: what each effective consumer processed. */
  lowerBound: number | null;
  /**
   * A settled window began and ended with a backlog that did not shrink: the group had no
   * headroom to drain it, so planning above the current estimate is refuted.
   */
  noHeadroom: boolean;
  evidence: Evidence;
}

/** A clean capacity sample from the window since `previous`, or nulls with the reason why not. */
export function measureCapacity(previous: EvaluationMark | undefined, signals: ScalingSignals, rebalancePauseSeconds: number): CapacitySample {
  const none = (why: string): CapacitySample => ({ perReplica: null, lowerBound: null, noHeadroom: false, evidence: { capacitySample: why } });
  if (previous === undefined) return none('no previous evaluation');
  const window = signals.time - previous.time;
  const { consumeRate, readyReplicas, partitions } = signals;
  if (consumeRate === undefined || previous.backlogMessages === null || window <= 0) return none('no consume rate or backlog');
  if (readyReplicas !== previous.readyReplicas || readyReplicas <= 0) return none('ready count changed');
  // With the same members all window, consumption per effective consumer cannot exceed capacity
  // (a pause inside the window only lowers it).
  const perConsumer = consumeRate / effectiveConsumers(readyReplicas, partitions);
  const lowerBound = consumeRate > 0 ? perConsumer : null;
  if (previous.readySince + rebalancePauseSeconds > previous.time) {
    return { perReplica: null, lowerBound, noHeadroom: false, evidence: { capacitySample: 'a rebalance pause may overlap the window', capacityAtLeast: round(perConsumer) } };
  }
  if (previous.backlogMessages < consumeRate * window || consumeRate <= 0) {
    const backlog = signals.backlogMessages ?? 0;
    const noHeadroom = previous.backlogMessages > 0 && backlog >= previous.backlogMessages;
    return { perReplica: null, lowerBound, noHeadroom, evidence: { capacitySample: noHeadroom ? 'backlog did not shrink' : 'not saturated', capacityAtLeast: round(perConsumer) } };
  }
  return { perReplica: perConsumer, lowerBound: null, noHeadroom: false, evidence: { capacitySample: round(perConsumer) } };
}

/** An exact measurement supersedes the bounds seen before it; otherwise keep the highest bound. */
export function updateLowerBound(previous: CapacityLowerBound | undefined, sample: CapacitySample, time: number): CapacityLowerBound | undefined {
  if (sample.perReplica !== null) return undefined;
  if (sample.lowerBound === null || (previous !== undefined && previous.perReplica >= sample.lowerBound)) return previous;
  return { perReplica: sample.lowerBound, time };
}

/**
 * A window with no headroom while planning above the proven lower bound confirms the bound as
 * the capacity (not the consumed rate, which a small in-flight backlog would make look like a
 * limit). A later saturated window replaces the confirmation.
 */
export function confirmEstimate(previous: CapacityMeasurement | undefined, sample: CapacitySample, estimate: CapacityEstimate | null, time: number): CapacityMeasurement | undefined {
  if (previous?.samples !== undefined && previous.samples > 0) return previous;
  if (!sample.noHeadroom || estimate?.unconfirmedFactor === undefined) return previous;
  return { perReplica: estimate.perReplica / estimate.unconfirmedFactor, time, samples: 0 };
}

export function updateMeasurement(previous: CapacityMeasurement | undefined, sample: number | null, time: number): CapacityMeasurement | undefined {
  if (sample === null) return previous;
  if (previous?.samples === 0) return { perReplica: sample, time, samples: 1 };
  if (previous === undefined) return { perReplica: sample, time, samples: 1 };
  return { perReplica: measurementSmoothing * sample + (1 - measurementSmoothing) * previous.perReplica, time, samples: previous.samples + 1 };
}

/**
 * The capacity to plan with: an exact measurement, else the configured figure — unless the group
 * was seen to process more per replica than that figure, which proves it too low. The true
 * capacity is then somewhere above the highest rate seen, and a group sized at that rate never
 * shows how far above: planned at `unconfirmedFactor` times it, the group either keeps up (the
 * bound rises) or has no headroom (and the bound is confirmed as the capacity), so the figure
 * converges from below without ever planning above what was proven by more than the factor.
 */
export function capacityEstimate(configured: number | undefined, measured: CapacityMeasurement | undefined, lowerBound?: CapacityLowerBound, unconfirmedFactor = 1): CapacityEstimate | null {
  let estimate: CapacityEstimate | null = null;
  if (measured !== undefined) estimate = { perReplica: measured.perReplica, source: 'measured' };
  else if (configured !== undefined && configured > 0) estimate = { perReplica: configured, source: 'configured' };
  if (lowerBound === undefined || (estimate !== null && lowerBound.perReplica <= estimate.perReplica)) return estimate;
  if (unconfirmedFactor === 1) return { perReplica: lowerBound.perReplica, source: 'lowerBound' };
  return { perReplica: lowerBound.perReplica * unconfirmedFactor, source: 'lowerBound', unconfirmedFactor };
}

/**
 * Replicas a policy asks for, sized by `replicasAt(perReplica)`. With an unconfirmed figure the
 * optimistic capacity decides whether the current count suffices (a hold or a scale-in runs the
 * group a little above its believed limit, which is how a low figure is found out); a scale-up
 * is sized with the unconfirmed figure itself, since every scale-up costs a pause and one too
 * small costs a second.
 */
export function sizeReplicas(capacity: CapacityEstimate, currentReplicas: number, replicasAt: (perReplica: number) => number): { replicas: number; perReplica: number } {
  const optimistic = replicasAt(capacity.perReplica);
  if (capacity.unconfirmedFactor === undefined || optimistic <= currentReplicas) return { replicas: optimistic, perReplica: capacity.perReplica };
  const cautious = capacity.perReplica / capacity.unconfirmedFactor;
  return { replicas: Math.max(optimistic, replicasAt(cautious)), perReplica: cautious };
}
