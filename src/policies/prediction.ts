// Prediction policy: Holt's linear trend on the produce rate, forecast over the time a new
// replica needs to take load (the configured startup plus the rebalance pause, unless a horizon
// is configured), so capacity is ready when load arrives.
import { sizeReplicas } from './capacity.ts';
import type { CapacityEstimate } from './capacity.ts';
import type { PredictionPolicyConfig } from './config.ts';
import { reason, round } from './types.ts';
import type { RateSample, Recommendation } from './types.ts';

const policy = 'prediction';

export interface HoltForecast {
  level: number;
  /** Messages per second gained per second. */
  trendPerSecond: number;
  forecast: number;
}

/** Holt's linear method over irregularly spaced samples (trend is per second). */
export function holtForecast(samples: readonly RateSample[], levelSmoothing: number, trendSmoothing: number, horizonSeconds: number): HoltForecast | null {
  const first = samples[0];
  const second = samples[1];
  if (first === undefined || second === undefined) return null;
  let level = first.rate;
  let trendPerSecond = second.time > first.time ? (second.rate - first.rate) / (second.time - first.time) : 0;
  let previousTime = first.time;
  for (const sample of samples.slice(1)) {
    const elapsed = sample.time - previousTime;
    if (elapsed <= 0) continue;
    const previousLevel = level;
    level = levelSmoothing * sample.rate + (1 - levelSmoothing) * (previousLevel + trendPerSecond * elapsed);
    trendPerSecond = trendSmoothing * ((level - previousLevel) / elapsed) + (1 - trendSmoothing) * trendPerSecond;
    previousTime = sample.time;
  }
  return { level, trendPerSecond, forecast: Math.max(0, level + trendPerSecond * horizonSeconds) };
}

export function evaluatePredictionPolicy(
  config: PredictionPolicyConfig,
  capacity: CapacityEstimate | null,
  targetUtilization: number,
  history: readonly RateSample[] | undefined,
  currentReplicas: number | undefined,
  leadSeconds: number,
): Recommendation {
  const horizonSeconds = config.horizonSeconds ?? leadSeconds;
  if (history === undefined || history.length < config.minSamples) {
    return { policy, replicas: null, dataComplete: false, reasons: [reason(policy, 'NotEnoughHistory', `fewer than ${config.minSamples} produce-rate samples`, { samples: history?.length ?? 0 })], evidence: {} };
  }
  if (capacity === null) {
    return { policy, replicas: null, dataComplete: false, reasons: [reason(policy, 'NoCapacityEstimate', 'capacityPerReplica neither configured nor measured')], evidence: {} };
  }
  const holt = holtForecast(history, config.levelSmoothing, config.trendSmoothing, horizonSeconds);
  if (holt === null) return { policy, replicas: null, dataComplete: false, reasons: [reason(policy, 'NotEnoughHistory', 'fewer than 2 samples')], evidence: {} };
  const evidence = {
    level: round(holt.level),
    trendPerSecond: round(holt.trendPerSecond, 3),
    horizonSeconds,
    forecastRate: round(holt.forecast),
    capacityPerReplica: round(capacity.perReplica),
    capacitySource: capacity.source,
  };
  // Only a sustained rise says anything the current rate does not. A falling trend is no reason
  // to scale in ahead of time (the load is still here), and a single jump is a step, not a
  // trend: extrapolating it would scale far past the new level. Either way the policy abstains.
  const recent = history.slice(-config.minSamples);
  const sustainedRise = recent.every((sample, index) => index === 0 || sample.rate > (recent[index - 1]?.rate ?? Infinity));
  if (holt.trendPerSecond <= 0 || !sustainedRise) {
    const code = holt.trendPerSecond <= 0 ? 'RateNotRising' : 'RiseNotSustained';
    return { policy, replicas: null, dataComplete: true, reasons: [reason(policy, code, `produce rate trend ${round(holt.trendPerSecond, 3)} msg/s² over ${recent.length} samples: no forecast`, evidence)], evidence };
  }
  const replicasAt = (perReplica: number): number => Math.max(1, Math.ceil(holt.forecast / (perReplica * targetUtilization)));
  // Without the current count every vote is a scale-up: size it as one.
  const { replicas, perReplica } = sizeReplicas(capacity, currentReplicas ?? 0, replicasAt);
  evidence.capacityPerReplica = round(perReplica);
  return {
    policy,
    replicas,
    dataComplete: true,
    reasons: [reason(policy, 'RateRising',
      `produce rate forecast ${round(holt.forecast)} msg/s in ${horizonSeconds} s (trend ${round(holt.trendPerSecond, 3)} msg/s²): ${replicas} replicas`, evidence)],
    evidence,
  };
}
