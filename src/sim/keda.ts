// The `keda` baseline of scaling-model.md: KEDA's Apache Kafka scaler (total lag, capped at
// partitions × lagThreshold because idle consumers are not allowed) feeding a Kubernetes HPA
// with its default behaviour. Where the model's text leaves a choice open, the choice below is
// the one that reproduces shared/traces/expected-keda.json exactly (see
// docs/decisions/0006-scaling-policy.md): "current" is the desired count (the HPA reads
// spec.replicas, not the ready pods), a stabilization window holds recommendations made strictly
// after t − window, and the history starts empty.
import type { Autoscaler, Observation, Scenario } from './model.ts';

export const kedaThresholdGrid: readonly number[] = [100, 300, 1000, 3000, 10000, 30000, 100000];

const hpaTolerance = 0.1;
const scaleUpStabilizationSeconds = 0;
const scaleDownStabilizationSeconds = 300;
const scaleUpMinimumStep = 4;
const scaleUpFactor = 2;

interface TimedRecommendation {
  time: number;
  replicas: number;
}

export function createKedaAutoscaler(scenario: Scenario, lagThreshold: number): Autoscaler {
  if (!(lagThreshold > 0)) throw new Error(`lagThreshold must be > 0, got ${lagThreshold}`);
  const history: TimedRecommendation[] = [];
  return {
    name: `keda(lagThreshold=${lagThreshold})`,
    evaluate(observation: Observation): number {
      const current = observation.desiredReplicas;
      const metric = Math.min(observation.backlogMessages, scenario.partitions * lagThreshold);
      const usageRatio = metric / (lagThreshold * current);
      const recommendation = Math.abs(usageRatio - 1) <= hpaTolerance ? current : Math.ceil(metric / lagThreshold);

      let upRecommendation = recommendation;
      let downRecommendation = recommendation;
      for (const entry of history) {
        if (entry.time > observation.time - scaleUpStabilizationSeconds) upRecommendation = Math.min(upRecommendation, entry.replicas);
        if (entry.time > observation.time - scaleDownStabilizationSeconds) downRecommendation = Math.max(downRecommendation, entry.replicas);
      }
      history.push({ time: observation.time, replicas: recommendation });
      while ((history[0]?.time ?? Infinity) <= observation.time - scaleDownStabilizationSeconds) history.shift();

      const stabilized = Math.min(Math.max(current, upRecommendation), downRecommendation);
      const scaleUpLimit = Math.max(current + scaleUpMinimumStep, scaleUpFactor * current);
      const limited = Math.min(stabilized, scaleUpLimit);
      return Math.min(scenario.maxReplicas, Math.max(scenario.minReplicas, limited));
    },
  };
}
