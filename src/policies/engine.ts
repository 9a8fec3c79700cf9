// One evaluation of one target: policies → combine → safety pipeline → decision. Pure: the
// daemon and the simulator call this same function; they differ only in where the signals come
// from, where the history is kept and what applies the decision.
import { capacityEstimate, confirmEstimate, markEvaluation, measureCapacity, updateLowerBound, updateMeasurement } from './capacity.ts';
import type { CapacityEstimate, CapacityLowerBound, CapacityMeasurement } from './capacity.ts';
import { changeLeadSeconds, eventHistorySeconds, recommendationHistorySeconds } from './config.ts';
import type { EngineConfig } from './config.ts';
import { combineRecommendations } from './combine.ts';
import { evaluateLagPolicy } from './lag.ts';
import { evaluatePredictionPolicy } from './prediction.ts';
import { evaluateResourcePolicy } from './resource.ts';
import { runSafetyPipeline } from './safety/pipeline.ts';
import { pruneRecommendations } from './safety/stabilization.ts';
import type { LagOutlookInputs, ScaleEvent, ScalingHistory, TimedRecommendation } from './safety/stage.ts';
import { plannedArrivalRate } from './arrival-rate.ts';
import { evaluateSchedulePolicy } from './schedule.ts';
import { evaluateThroughputPolicy } from './throughput.ts';
import { reason, round } from './types.ts';
import type { Decision, Evidence, Reason, Recommendation, ScalingSignals } from './types.ts';

export interface Evaluation {
  decision: Decision;
  /** The history to keep for the next evaluation. */
  history: ScalingHistory;
}

export const emptyHistory: ScalingHistory = { recommendations: [], events: [] };

export function evaluatePolicies(config: EngineConfig, signals: ScalingSignals, capacity: CapacityEstimate | null): Recommendation[] {
  const recommendations: Recommendation[] = [];
  if (config.lag.enabled) recommendations.push(evaluateLagPolicy(config.lag, capacity, signals));
  if (config.throughput.enabled) recommendations.push(evaluateThroughputPolicy(config.throughput, capacity, signals, config.safety));
  if (config.cpu.enabled) recommendations.push(evaluateResourcePolicy('cpu', config.cpu, signals));
  if (config.memory.enabled) recommendations.push(evaluateResourcePolicy('memory', config.memory, signals));
  if (config.schedule.enabled && config.schedule.windows.length > 0) recommendations.push(evaluateSchedulePolicy(config.schedule, signals));
  if (config.prediction.enabled) {
    recommendations.push(evaluatePredictionPolicy(config.prediction, capacity, config.throughput.targetUtilization, signals.produceRateHistory, signals.currentReplicas, changeLeadSeconds(config.safety)));
  }
  return recommendations;
}

function capacityReason(capacity: CapacityEstimate, measured: CapacityMeasurement | undefined, lowerBound: CapacityLowerBound | undefined, sampleEvidence: Evidence): Reason {
  if (capacity.source === 'lowerBound' && lowerBound !== undefined) {
    return reason('capacity', 'CapacityRaisedToObserved', `${round(capacity.perReplica)} msg/s per replica: the group processed that much per effective consumer at ${lowerBound.time}, more than ${measured === undefined ? 'configured' : 'measured'}`, {
      perReplica: round(capacity.perReplica),
      observedAt: lowerBound.time,
      ...sampleEvidence,
    });
  }
  if (capacity.source === 'measured' && measured?.samples === 0) {
    return reason('capacity', 'CapacityConfirmed', `${round(capacity.perReplica)} msg/s per replica: a backlog that did not shrink at ${measured.time} showed no headroom above it`, {
      perReplica: round(capacity.perReplica),
      confirmedAt: measured.time,
      ...sampleEvidence,
    });
  }
  if (capacity.source === 'measured' && measured !== undefined) {
    return reason('capacity', 'CapacityMeasured', `${round(capacity.perReplica)} msg/s per replica, measured in ${measured.samples} saturated windows`, {
      perReplica: round(capacity.perReplica),
      samples: measured.samples,
      measuredAt: measured.time,
      ...sampleEvidence,
    });
  }
  return reason('capacity', 'CapacityConfigured', `${round(capacity.perReplica)} msg/s per replica as configured (no saturated window measured yet)`, {
    perReplica: round(capacity.perReplica),
    ...sampleEvidence,
  });
}

/** What the rebalance stage needs to project lag: a capacity, an arrival rate and a lag target. */
function lagOutlookInputs(config: EngineConfig, signals: ScalingSignals, capacity: CapacityEstimate | null): LagOutlookInputs | undefined {
  const arrival = plannedArrivalRate(signals);
  const targetLagSeconds = config.lag.enabled ? config.lag.targetLagSeconds : undefined;
  if (capacity === null || arrival === null || targetLagSeconds === undefined) return undefined;
  // Scale-ups are sized on the cautious figure while capacity is unconfirmed (sizeReplicas).
  const capacityPerReplica = capacity.perReplica / (capacity.unconfirmedFactor ?? 1);
  return { capacityPerReplica, arrivalRate: arrival.rate, targetLagSeconds };
}

export function decide(config: EngineConfig, signals: ScalingSignals, history: ScalingHistory): Evaluation {
  const sample = measureCapacity(history.lastEvaluation, signals, config.safety.rebalancePauseSeconds);
  const measuredCapacity = config.throughput.measureCapacity ? updateMeasurement(history.measuredCapacity, sample.perReplica, signals.time) : undefined;
  const capacityLowerBound = config.throughput.measureCapacity ? updateLowerBound(history.lastEvaluation?.capacityLowerBound, sample, signals.time) : undefined;
  const unconfirmedFactor = config.throughput.measureCapacity ? config.throughput.unconfirmedCapacityFactor : 1;
  const before = capacityEstimate(config.throughput.capacityPerReplica, measuredCapacity, capacityLowerBound, unconfirmedFactor);
  const confirmedCapacity = confirmEstimate(measuredCapacity, sample, before, signals.time);
  const capacity = confirmedCapacity === measuredCapacity ? before : capacityEstimate(config.throughput.capacityPerReplica, confirmedCapacity, capacityLowerBound, unconfirmedFactor);
  const recommendations = evaluatePolicies(config, signals, capacity);
  const combined = combineRecommendations(recommendations, signals.currentReplicas);
  let minReplicas = config.safety.minReplicas;
  let maxReplicas = config.safety.maxReplicas;
  for (const recommendation of recommendations) {
    if (recommendation.minReplicas !== undefined) minReplicas = Math.max(minReplicas, recommendation.minReplicas);
    if (recommendation.maxReplicas !== undefined) maxReplicas = Math.max(maxReplicas, recommendation.maxReplicas);
  }
  maxReplicas = Math.max(maxReplicas, minReplicas);

  const policyReasons = recommendations.flatMap((recommendation) => recommendation.reasons);
  const capacityReasons = capacity === null ? [] : [capacityReason(capacity, confirmedCapacity, capacityLowerBound, sample.evidence)];
  const lagOutlook = lagOutlookInputs(config, signals, capacity);
  const draft = runSafetyPipeline(
    { current: signals.currentReplicas, desired: combined.replicas, reasons: [...capacityReasons, ...policyReasons, ...combined.reasons] },
    { config: config.safety, signals, history, minReplicas, maxReplicas, ...(lagOutlook === undefined ? {} : { lagOutlook }) },
  );
  const action = draft.desired > draft.current ? 'scaleUp' : draft.desired < draft.current ? 'scaleDown' : 'none';
  const decision: Decision = { time: signals.time, current: draft.current, desired: draft.desired, action, reasons: draft.reasons, recommendations };

  const keepSeconds = recommendationHistorySeconds(config.safety);
  const recommendationsKept: TimedRecommendation[] = pruneRecommendations(history.recommendations, signals.time, keepSeconds);
  if (draft.recommendationForHistory !== undefined) recommendationsKept.push({ time: signals.time, replicas: draft.recommendationForHistory });
  const eventWindow = eventHistorySeconds(config.safety);
  const eventsKept: ScaleEvent[] = pruneRecommendations(history.events, signals.time, eventWindow);
  if (action !== 'none') eventsKept.push({ time: signals.time, from: draft.current, to: draft.desired });
  const nextHistory: ScalingHistory = {
    recommendations: recommendationsKept,
    events: eventsKept,
    lastEvaluation: markEvaluation(history.lastEvaluation, signals, capacityLowerBound),
    ...(confirmedCapacity === undefined ? {} : { measuredCapacity: confirmedCapacity }),
  };
  return { decision, history: nextHistory };
}
