// The state-store contract: what lagpilot keeps beyond one process and shares between its
// replicas. Every implementation (Redis for production, memory for a single process) passes the
// same conformance suite (store-conformance.ts).
import type { Decision } from '../policies/types.ts';
import type { TimedRecommendation } from '../policies/safety/stage.ts';

/** scaleUp and scaleDown hold a target's replica changes; resources a workload's vertical ones. */
export type CooldownKind = 'scaleUp' | 'scaleDown' | 'resources';

export interface CooldownAcquisition {
  /** True when this call took the cooldown; false when someone holds it already. */
  acquired: boolean;
  /** Who holds the cooldown now (this caller when acquired). */
  holder: string;
  /** Milliseconds until it lapses. */
  remainingMillis: number;
}

export interface CooldownState {
  holder: string;
  remainingMillis: number;
}

/** One target's journal as a batched read found it: its newest decisions, or why they could not be read. */
export type JournalRead = { ok: true; decisions: Decision[] } | { ok: false; error: Error };

export interface StateStore {
  /**
   * Takes the cooldown of `kind` for `target` for `ttlMillis`, atomically: of concurrent callers
   * (lagpilot replicas) exactly one acquires it; the others learn who holds it and for how long.
   */
  acquireCooldown(target: string, kind: CooldownKind, holder: string, ttlMillis: number): Promise<CooldownAcquisition>;
  /** The cooldown in force, or null. */
  cooldown(target: string, kind: CooldownKind): Promise<CooldownState | null>;
  /** Ends the cooldown early, only if `holder` holds it. */
  releaseCooldown(target: string, kind: CooldownKind, holder: string): Promise<boolean>;

  /** Remembers a recommendation; those older than `keepSeconds` before it are dropped. */
  recordRecommendation(target: string, recommendation: TimedRecommendation, keepSeconds: number): Promise<void>;
  /** Recommendations made at or after `sinceTime` (seconds), oldest first. */
  recommendations(target: string, sinceTime: number): Promise<TimedRecommendation[]>;

  /** Appends a decision to the target's journal, which keeps only the newest `journalLength`. */
  appendDecision(target: string, decision: Decision): Promise<void>;
  /** The newest decisions, newest first. */
  recentDecisions(target: string, count: number): Promise<Decision[]>;
  /**
   * The newest `count` decisions of each target, newest first, read together (one round trip
   * to Redis however many targets). A journal that cannot be read or decoded is reported for
   * its target alone; the promise rejects only when the store cannot be asked at all.
   */
  recentDecisionsOfTargets(targets: readonly string[], count: number): Promise<Map<string, JournalRead>>;

  /** Releases connections; calling it twice is harmless. */
  close(): Promise<void>;
}

export const defaultJournalLength = 1000;

export function validateTtl(ttlMillis: number): void {
  if (!Number.isInteger(ttlMillis) || ttlMillis < 1) throw new Error(`a cooldown needs a whole number of milliseconds >= 1, got ${ttlMillis}`);
}
