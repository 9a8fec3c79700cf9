// The vocabulary of the policy engine: what policies see (signals), what they return
// (recommendations) and what the engine decides (a decision with its ordered reasons).
// Everything here is plain data so that a decision can be journaled and replayed.

/** A value behind a reason: an input or an intermediate result. */
export type EvidenceValue = number | string | boolean | null;
export type Evidence = Record<string, EvidenceValue>;

export interface Reason {
  /** Stable CamelCase code, e.g. LagAboveTarget, ScaleDownStabilized. */
  code: string;
  /** The policy or safety stage that gave it. */
  source: string;
  message: string;
  evidence: Evidence;
}

export interface RateSample {
  /** Seconds (Unix time in the daemon, model time in the simulator). */
  time: number;
  /** Messages per second averaged over the interval ending at `time`. */
  rate: number;
}

/**
 * What the collectors saw for one target at one evaluation. A field the collectors could not
 * read is undefined; the policies that need it abstain.
 */
export interface ScalingSignals {
  /** Evaluation time, seconds. Unix time in the daemon; schedules read it as UTC. */
  time: number;
  /** The desired replica count in force (what the actuator last set). */
  currentReplicas: number;
  /** Replicas running and ready. */
  readyReplicas: number;
  /** Partitions of the consumed topics (caps the useful consumer count). */
  partitions: number;
  /** Offset lag summed over partitions, messages. */
  backlogMessages?: number;
  /** Age of the oldest unconsumed message, seconds. */
  lagSeconds?: number;
  /** Messages per second produced over the last interval. */
  produceRate?: number;
  /** Messages per second consumed over the last interval. */
  consumeRate?: number;
  /** Recent produce rates, oldest first, ending with the current one. */
  produceRateHistory?: readonly RateSample[];
  /** Mean CPU use of the ready replicas as a fraction of their request. */
  cpuUtilization?: number;
  /** Mean memory use of the ready replicas as a fraction of their request. */
  memoryUtilization?: number;
  /** Age of the oldest sample used, seconds. */
  dataAgeSeconds: number;
  /** True when some collectors failed and only part of the signals is present. */
  partialData: boolean;
  /** Collections that failed in a row, up to and including this one. */
  consecutiveFailedCollections: number;
}

export interface Recommendation {
  policy: string;
  /** Replicas the policy asks for; null when it has no data to judge. */
  replicas: number | null;
  /** False when the policy judged on incomplete data: its number may raise, never lower. */
  dataComplete: boolean;
  /** Bounds the policy raises for now (schedules). */
  minReplicas?: number;
  maxReplicas?: number;
  reasons: Reason[];
  evidence: Evidence;
}

export type ScalingAction = 'scaleUp' | 'scaleDown' | 'none';

export interface Decision {
  time: number;
  current: number;
  desired: number;
  action: ScalingAction;
  /** Ordered: policy reasons first, then one per safety stage that changed the number. */
  reasons: Reason[];
  recommendations: Recommendation[];
  /** What applying it did, once the daemon applied it (absent in the simulator). */
  actuation?: JournaledActuation;
  /** The replica that applied it and its leadership term (absent in the simulator). */
  leader?: { identity: string; term: number };
}

/** An actuation result as the journal keeps it. */
export interface JournaledActuation {
  status: 'applied' | 'noop' | 'dryRun' | 'failed';
  code: string;
  detail: string;
}

export function reason(source: string, code: string, message: string, evidence: Evidence = {}): Reason {
  return { code, source, message, evidence };
}

/** Rounds for evidence and messages: decisions are read by people. */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
