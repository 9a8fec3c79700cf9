// The contract of a safety stage: (draft decision, context) → draft decision. A stage that
// changes the desired count appends one reason with a stable code and the numbers behind it.
import type { CapacityMeasurement, EvaluationMark } from '../capacity.ts';
import type { SafetyConfig } from '../config.ts';
import { reason } from '../types.ts';
import type { Evidence, Reason, ScalingSignals } from '../types.ts';

export interface TimedRecommendation {
  time: number;
  replicas: number;
}

export interface ScaleEvent {
  time: number;
  from: number;
  to: number;
}

/** What the engine remembers between evaluations (the state store keeps it for the daemon). */
export interface ScalingHistory {
  /** Recommendations entering stabilization, oldest first. */
  recommendations: readonly TimedRecommendation[];
  /** Changes of the desired count, oldest first. */
  events: readonly ScaleEvent[];
  /** The previous evaluation, to judge whether its window measured capacity cleanly. */
  lastEvaluation?: EvaluationMark;
  /** Per-replica capacity measured while the group was saturated. */
  measuredCapacity?: CapacityMeasurement;
}

export interface SafetyContext {
  config: SafetyConfig;
  signals: ScalingSignals;
  history: ScalingHistory;
  /** Bounds in force now: the configured ones, raised by active schedule windows. */
  minReplicas: number;
  maxReplicas: number;
  /** What projecting lag needs (rebalance.ts); absent without a capacity, a rate or a lag target. */
  lagOutlook?: LagOutlookInputs;
}

export interface LagOutlookInputs {
  /** The per-replica capacity the policies planned with. */
  capacityPerReplica: number;
  /** The arrival rate the policies planned for, messages per second. */
  arrivalRate: number;
  targetLagSeconds: number;
}

export interface DraftDecision {
  current: number;
  desired: number;
  reasons: Reason[];
  /** The recommendation to remember for stabilization, set by that stage. */
  recommendationForHistory?: number;
}

export interface SafetyStage {
  name: string;
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision;
}

export function changeDesired(draft: DraftDecision, stage: string, code: string, desired: number, message: string, evidence: Evidence = {}): DraftDecision {
  if (desired === draft.desired) return draft;
  return {
    ...draft,
    desired,
    reasons: [...draft.reasons, reason(stage, code, message, { from: draft.desired, to: desired, ...evidence })],
  };
}

/** The current count, kept inside the bounds in force: what "hold" means for a stage. */
export function holdCount(draft: DraftDecision, context: SafetyContext): number {
  return Math.min(context.maxReplicas, Math.max(context.minReplicas, draft.current));
}
