// The actuator contract: what applies a target's decisions to the world. The engine reads the
// state in force before it decides, then hands the decision over; the actuator answers with a
// result value and never throws for a failure of the system it drives, so one broken target
// cannot take the loop down with it.
//
// Idempotent by construction: every actuator compares what is in force with what is desired
// before it changes anything, so the same decision applied twice is `noop` the second time.
import type { Decision } from '../policies/types.ts';

export type ActuationStatus = 'applied' | 'noop' | 'dryRun' | 'failed';

export interface ActuationResult {
  status: ActuationStatus;
  /** One line a person can act on: what was done, or why nothing was, or what went wrong. */
  detail: string;
  /** Stable CamelCase code for metrics and tests, e.g. Scaled, AlreadyAtDesired, Paused. */
  code: string;
  /** Replicas in force before the actuation, when the actuator could read them. */
  replicasBefore?: number;
  /** Replicas in force afterwards (what a dry run would have set, for dryRun). */
  replicasAfter?: number;
}

export interface ActuationTarget {
  /** The target's name in the config (metric label, journal key, recorded on the workload). */
  name: string;
}

export interface ActuationRequest {
  target: ActuationTarget;
  decision: Decision;
}

/** What is in force now. */
export interface ActuatorState {
  /** The replica count in force: the desired count set on the workload, or live workers. */
  replicas: number;
  /** Things noticed since the last read that an operator should know, e.g. a worker that died. */
  notices: string[];
}

export interface Actuator {
  readonly kind: string;
  /** When true, apply() checks everything it can and reports `dryRun` instead of changing anything. */
  readonly dryRun: boolean;
  /** Rejects, with an error naming what could not be read, when the state cannot be read. */
  current(target: ActuationTarget): Promise<ActuatorState>;
  apply(request: ActuationRequest): Promise<ActuationResult>;
  /** Releases what the actuator holds (connections; local workers are stopped). Idempotent. */
  close(): Promise<void>;
}

/** Text of an unknown thrown value, for result details. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** The codes of a decision's reasons, in order, for annotations and event messages. */
export function reasonCodes(decision: Decision): string {
  return decision.reasons.map((entry) => entry.code).join(', ') || 'no reason given';
}
