// Per-replica capacity: what the operator configured, corrected by what the group shows it can
// do. A window in which the group was saturated the whole time (the backlog at its start alone
// covered everything consumed in it) and its ready count had settled (no rebalance pause inside)
// measures the capacity exactly: consumed rate / effective consumers. Such measurements replace
// the configured figure, so a wrong figure costs only until the group is first saturated.
import { effectiveConsumers } from './safety/partition-cap.ts';
import { round } from './types.ts';
import type { Evidence, ScalingSignals } from './types.ts';

export interface CapacityEstimate {
  perReplica: number;
  source: 'configured' | 'measured';
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

/** Weight of a new clean measurement against the ones before. */
const measurementSmoothing = 0.5;

export function markEvaluation(previous: EvaluationMark | undefined, signals: ScalingSignals): EvaluationMark {
  const readySince = previous?.readyReplicas === signals.readyReplicas ? previous.readySince : signals.time;
  return { time: signals.time, readyReplicas: signals.readyReplicas, readySince, backlogMessages: signals.backlogMessages ?? null };
}

/** A clean capacity sample from the window since `previous`, or null with the reason why not. */
export function measureCapacity(previous: EvaluationMark | undefined, signals: ScalingSignals, rebalancePauseSeconds: number): { perReplica: number | null; evidence: Evidence } {
  if (previous === undefined) return { perReplica: null, evidence: { capacitySample: 'no previous evaluation' } };
  const window = signals.time - previous.time;
  const { consumeRate, readyReplicas, partitions } = signals;
  if (consumeRate === undefined || previous.backlogMessages === null || window <= 0) return { perReplica: null, evidence: { capacitySample: 'no consume rate or backlog' } };
  if (readyReplicas !== previous.readyReplicas || readyReplicas <= 0) return { perReplica: null, evidence: { capacitySample: 'ready count changed' } };
  if (previous.readySince + rebalancePauseSeconds > previous.time) return { perReplica: null, evidence: { capacitySample: 'a rebalance pause may overlap the window' } };
  if (previous.backlogMessages < consumeRate * window || consumeRate <= 0) return { perReplica: null, evidence: { capacitySample: 'not saturated' } };
  return { perReplica: consumeRate / effectiveConsumers(readyReplicas, partitions), evidence: { capacitySample: round(consumeRate / effectiveConsumers(readyReplicas, partitions)) } };
}

export function updateMeasurement(previous: CapacityMeasurement | undefined, sample: number | null, time: number): CapacityMeasurement | undefined {
  if (sample === null) return previous;
  if (previous === undefined) return { perReplica: sample, time, samples: 1 };
  return { perReplica: measurementSmoothing * sample + (1 - measurementSmoothing) * previous.perReplica, time, samples: previous.samples + 1 };
}

export function capacityEstimate(configured: number | undefined, measured: CapacityMeasurement | undefined): CapacityEstimate | null {
  if (measured !== undefined) return { perReplica: measured.perReplica, source: 'measured' };
  if (configured !== undefined && configured > 0) return { perReplica: configured, source: 'configured' };
  return null;
}
