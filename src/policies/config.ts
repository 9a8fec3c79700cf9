// Typed settings of the policy engine with their defaults. The daemon's config schema maps onto
// these; the simulator uses them as they are. One set of defaults serves every workload: they
// are derived from the scaling model's physics (startup, rebalance pause, lag SLO), not fitted
// to a trace (docs/decisions/0006-scaling-policy.md).

export interface LagPolicyConfig {
  enabled: boolean;
  /** Target age of the oldest unconsumed message, seconds (primary target). */
  targetLagSeconds?: number;
  /** Alternative target: backlog per replica, messages (KEDA's lagThreshold). */
  targetMessagesPerReplica?: number;
  /** Seconds within which lag above target should be back at target. */
  recoverySeconds: number;
}

export interface ThroughputPolicyConfig {
  enabled: boolean;
  /** Messages per second one replica processes (measured by a load test, or estimated). */
  capacityPerReplica?: number;
  /** Replace the configured capacity by what saturated windows measure (capacity.ts). */
  measureCapacity: boolean;
  /**
   * Until a saturated window measures capacity, plan with this multiple of the configured figure
   * (or of the lower bound observed above it), so that a figure that is too low is found out.
   * 1 trusts the configured figure as it is.
   */
  unconfirmedCapacityFactor: number;
  /** Fraction of capacity a replica should run at in steady state; above it, scale up. */
  targetUtilization: number;
  /**
   * Scale in only to a count that would run at or below this fraction of capacity: the band
   * between the two keeps a rate that wobbles around a boundary from flapping the group.
   */
  scaleInUtilization: number;
  /** Seconds within which the backlog should be drained. */
  drainSeconds: number;
}

export interface ResourcePolicyConfig {
  enabled: boolean;
  /** Target mean utilization of the request, 0 … 1. */
  targetUtilization: number;
  /** Band around the target in which the count is kept (HPA's 0.1). */
  tolerance: number;
}

export interface ScheduleWindow {
  /** Cron expression (node-cron syntax, 5 or 6 fields, UTC) of each window's start. */
  cron: string;
  durationSeconds: number;
  minReplicas?: number;
  maxReplicas?: number;
}

export interface SchedulePolicyConfig {
  enabled: boolean;
  windows: ScheduleWindow[];
}

export interface PredictionPolicyConfig {
  enabled: boolean;
  /** Holt's smoothing of the level, 0 … 1. */
  levelSmoothing: number;
  /** Holt's smoothing of the trend, 0 … 1. */
  trendSmoothing: number;
  /**
   * Seconds to forecast ahead. Unset: the time a scale-up decided now needs to take load, the
   * replica startup plus one second plus the rebalance pause (`changeLeadSeconds`).
   */
  horizonSeconds?: number;
  /** Samples needed before the trend is trusted. */
  minSamples: number;
}

export interface RateLimitRule {
  type: 'pods' | 'percent';
  value: number;
  periodSeconds: number;
}

export interface RateLimitConfig {
  /**
   * Which rule wins when several apply: the most permissive (max) or the strictest (min);
   * 'disabled' forbids scaling in this direction (as the HPA's selectPolicy: Disabled).
   * No rules means no limit.
   */
  select: 'max' | 'min' | 'disabled';
  rules: RateLimitRule[];
}

export interface SafetyConfig {
  minReplicas: number;
  maxReplicas: number;
  /** Allow more consumers than partitions (they idle; useful only as warm spares). */
  allowIdleConsumers: boolean;
  /** Data older than this is stale: no scale-in. */
  maxDataAgeSeconds: number;
  /** After this many failed collections in a row, go to fallbackReplicas (if set). */
  fallbackAfterFailedCollections: number;
  fallbackReplicas?: number;
  scaleUpTolerance: number;
  scaleDownTolerance: number;
  scaleUpStabilizationSeconds: number;
  scaleDownStabilizationSeconds: number;
  scaleUpRateLimit: RateLimitConfig;
  scaleDownRateLimit: RateLimitConfig;
  /** No further scale-up for this long after a scale-up (0: never wait; lag comes first). */
  scaleUpCooldownSeconds: number;
  /** No scale-down for this long after a scale-up. */
  scaleDownCooldownAfterScaleUpSeconds: number;
  /** No further scale-down for this long after a scale-down. */
  scaleDownCooldownAfterScaleDownSeconds: number;
  /**
   * Flap damping: a scale-up within `reversalSeconds` of a scale-down reverses it. Each
   * reversal in the last `memorySeconds` beyond the first `freeReversals` (a new burst is not a
   * flap) doubles the scale-down cooldown after a scale-up, up to `maxCooldownSeconds`. A load
   * that swings faster than the group can follow is then carried at the higher count instead of
   * paying a rebalance at every swing. memorySeconds 0 disables.
   */
  flapDamping: { reversalSeconds: number; memorySeconds: number; maxCooldownSeconds: number; freeReversals: number };
  /**
   * Seconds from a scale-up decision until a new replica is ready to consume: what the operator
   * knows of the workload (image pull, JVM start, caches). Sizing and the rebalance stage plan
   * with it; it is never measured.
   */
  replicaStartupSeconds: number;
  /** Seconds the group stops consuming at each change of its members. */
  rebalancePauseSeconds: number;
  /**
   * A scale-down must save this many times the replica-seconds of the two rebalances it risks
   * (its own pause, then the startup and pause of the scale-up back)…
   */
  rebalanceCostFactor: number;
  /** …counted over this long: how long a new count is expected to hold. */
  rebalancePaybackSeconds: number;
}

export interface EngineConfig {
  lag: LagPolicyConfig;
  throughput: ThroughputPolicyConfig;
  cpu: ResourcePolicyConfig;
  memory: ResourcePolicyConfig;
  schedule: SchedulePolicyConfig;
  prediction: PredictionPolicyConfig;
  safety: SafetyConfig;
}

export function defaultEngineConfig(): EngineConfig {
  return {
    lag: { enabled: true, targetLagSeconds: 30, recoverySeconds: 60 },
    throughput: { enabled: true, capacityPerReplica: 1000, measureCapacity: true, unconfirmedCapacityFactor: 1.2, targetUtilization: 1, scaleInUtilization: 0.85, drainSeconds: 120 },
    cpu: { enabled: true, targetUtilization: 0.7, tolerance: 0.1 },
    memory: { enabled: true, targetUtilization: 0.8, tolerance: 0.1 },
    schedule: { enabled: true, windows: [] },
    prediction: { enabled: true, levelSmoothing: 0.5, trendSmoothing: 0.3, minSamples: 4 },
    safety: {
      minReplicas: 1,
      maxReplicas: 24,
      allowIdleConsumers: false,
      maxDataAgeSeconds: 60,
      fallbackAfterFailedCollections: 4,
      scaleUpTolerance: 0.05,
      scaleDownTolerance: 0.1,
      scaleUpStabilizationSeconds: 0,
      scaleDownStabilizationSeconds: 15,
      scaleUpRateLimit: { select: 'max', rules: [] },
      scaleDownRateLimit: { select: 'max', rules: [] },
      scaleUpCooldownSeconds: 0,
      scaleDownCooldownAfterScaleUpSeconds: 60,
      scaleDownCooldownAfterScaleDownSeconds: 60,
      flapDamping: { reversalSeconds: 60, memorySeconds: 1800, maxCooldownSeconds: 600, freeReversals: 1 },
      replicaStartupSeconds: 30,
      rebalancePauseSeconds: 10,
      rebalanceCostFactor: 1,
      rebalancePaybackSeconds: 300,
    },
  };
}

/** Seconds from a scale-up decision until its replicas take load: startup, the second it starts in, the pause. */
export function changeLeadSeconds(safety: SafetyConfig): number {
  return safety.replicaStartupSeconds + 1 + safety.rebalancePauseSeconds;
}

/**
 * The scale-down stabilization window in force: the configured one, doubled like the scale-down
 * cooldown for each reversed scale-down beyond the free ones (flap damping), up to
 * `flapDamping.maxCooldownSeconds`.
 */
export function dampedWindowSeconds(safety: SafetyConfig, reversals: number): number {
  const extra = Math.max(0, reversals - safety.flapDamping.freeReversals);
  if (extra === 0) return safety.scaleDownStabilizationSeconds;
  return Math.max(safety.scaleDownStabilizationSeconds, Math.min(safety.flapDamping.maxCooldownSeconds, safety.scaleDownStabilizationSeconds * 2 ** extra));
}

/** How far back the recommendations reach that stabilization reads, the damped window included. */
export function recommendationHistorySeconds(safety: SafetyConfig): number {
  const dampedMost = safety.flapDamping.memorySeconds > 0 && safety.scaleDownStabilizationSeconds > 0 ? safety.flapDamping.maxCooldownSeconds : 0;
  return Math.max(safety.scaleUpStabilizationSeconds, safety.scaleDownStabilizationSeconds, dampedMost);
}

/** How far back the scale events reach that the safety stages read (cooldowns, rate limits). */
export function eventHistorySeconds(safety: SafetyConfig): number {
  return Math.max(
    safety.scaleUpCooldownSeconds,
    safety.scaleDownCooldownAfterScaleUpSeconds,
    safety.scaleDownCooldownAfterScaleDownSeconds,
    safety.flapDamping.memorySeconds,
    ...safety.scaleUpRateLimit.rules.map((rule) => rule.periodSeconds),
    ...safety.scaleDownRateLimit.rules.map((rule) => rule.periodSeconds),
  );
}
