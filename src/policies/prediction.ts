// Prediction policy: Holt's linear trend on the produce rate, forecast over the time a new
// replica needs to take load (startup plus rebalance), so capacity is ready when load arrives.
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
  capacityPerReplica: number | undefined,
  targetUtilization: number,
  history: readonly RateSample[] | undefined,
): Recommendation {
  if (history === undefined || history.length < config.minSamples) {
    return { policy, replicas: null, dataComplete: false, reasons: [reason(policy, 'NotEnoughHistory', `fewer than ${config.minSamples} produce-rate samples`, { samples: history?.length ?? 0 })], evidence: {} };
  }
  if (capacityPerReplica === undefined || !(capacityPerReplica > 0)) {
    return { policy, replicas: null, dataComplete: false, reasons: [reason(policy, 'NoCapacityEstimate', 'capacityPerReplica not configured')], evidence: {} };
  }
  const holt = holtForecast(history, config.levelSmoothing, config.trendSmoothing, config.horizonSeconds);
  if (holt === null) return { policy, replicas: null, dataComplete: false, reasons: [reason(policy, 'NotEnoughHistory', 'fewer than 2 samples')], evidence: {} };
  // A falling trend is no reason to scale in ahead of time: the load is still here, so only a
  // rising trend is projected forward.
  const expectedRate = holt.trendPerSecond > 0 ? holt.forecast : holt.level;
  const replicas = Math.max(1, Math.ceil(expectedRate / (capacityPerReplica * targetUtilization)));
  const evidence = {
    level: round(holt.level),
    trendPerSecond: round(holt.trendPerSecond, 3),
    horizonSeconds: config.horizonSeconds,
    forecastRate: round(holt.forecast),
    expectedRate: round(expectedRate),
    capacityPerReplica,
    targetUtilization,
  };
  return {
    policy,
    replicas,
    dataComplete: true,
    reasons: [reason(policy, holt.trendPerSecond > 0 ? 'RateRising' : 'RateSteadyOrFalling',
      `produce rate expected ${round(expectedRate)} msg/s in ${config.horizonSeconds} s (trend ${round(holt.trendPerSecond, 3)} msg/s²): ${replicas} replicas`, evidence)],
    evidence,
  };
}
