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
}

/** What one evaluation leaves for the next to judge its window by. */
export interface EvaluationMark {
  time: number;
  readyReplicas: number;
  /** Time of the first evaluation that saw this ready count. */
  readySince: number;
  backlogMessages: number | null;
}

export interface CapacityMeasurement {
  perReplica: number;
  time: number;
  samples: number;
}

/** The most per replica the group was seen to process without being saturated. */
export interface CapacityLowerBound {
  perReplica: number;
  time: number;
}

/** Weight of a new clean measurement against the ones before. */
const measurementSmoothing = 0.5;

export function markEvaluation(previous: EvaluationMark | undefined, signals: ScalingSignals): EvaluationMark {
  const readySince = previous?.readyReplicas === signals.readyReplicas ? previous.readySince : signals.time;
  return { time: signals.time, readyReplicas: signals.readyReplicas, readySince, backlogMessages: signals.backlogMessages ?? null };
}

/** What the window since `previous` shows about capacity. */
export interface CapacitySample {
  /** Exact capacity per replica: the group was saturated the whole window. */
  perReplica: number | null;
  /** Capacity per replica is at least this: what each effective consumer processed. */
  lowerBound: number | null;
  evidence: Evidence;
}

/** A clean capacity sample from the window since `previous`, or nulls with the reason why not. */
export function measureCapacity(previous: EvaluationMark | undefined, signals: ScalingSignals, rebalancePauseSeconds: number): CapacitySample {
  const none = (why: string): CapacitySample => ({ perReplica: null, lowerBound: null, evidence: { capacitySample: why } });
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
    return { perReplica: null, lowerBound, evidence: { capacitySample: 'a rebalance pause may overlap the window', capacityAtLeast: round(perConsumer) } };
  }
  if (previous.backlogMessages < consumeRate * window || consumeRate <= 0) {
    return { perReplica: null, lowerBound, evidence: { capacitySample: 'not saturated', capacityAtLeast: round(perConsumer) } };
  }
  return { perReplica: perConsumer, lowerBound: null, evidence: { capacitySample: round(perConsumer) } };
}

/** An exact measurement supersedes the bounds seen before it; otherwise keep the highest bound. */
export function updateLowerBound(previous: CapacityLowerBound | undefined, sample: CapacitySample, time: number): CapacityLowerBound | undefined {
  if (sample.perReplica !== null) return undefined;
  if (sample.lowerBound === null || (previous !== undefined && previous.perReplica >= sample.lowerBound)) return previous;
  return { perReplica: sample.lowerBound, time };
}

export function updateMeasurement(previous: CapacityMeasurement | undefined, sample: number | null, time: number): CapacityMeasurement | undefined {
  if (sample === null) return previous;
  if (previous === undefined) return { perReplica: sample, time, samples: 1 };
  return { perReplica: measurementSmoothing * sample + (1 - measurementSmoothing) * previous.perReplica, time, samples: previous.samples + 1 };
}

export function capacityEstimate(configured: number | undefined, measured: CapacityMeasurement | undefined, lowerBound?: CapacityLowerBound): CapacityEstimate | null {
  let estimate: CapacityEstimate | null = null;
  if (measured !== undefined) estimate = { perReplica: measured.perReplica, source: 'measured' };
  else if (configured !== undefined && configured > 0) estimate = { perReplica: configured, source: 'configured' };
  if (lowerBound !== undefined && (estimate === null || lowerBound.perReplica > estimate.perReplica)) {
    return { perReplica: lowerBound.perReplica, source: 'lowerBound' };
  }
  return estimate;
}
