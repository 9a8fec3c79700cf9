// CPU and memory policies: the Kubernetes HPA formula, ceil(ready × utilization / target), with
// the count kept while the ratio is within the tolerance.
import type { ResourcePolicyConfig } from './config.ts';
import { reason, round } from './types.ts';
import type { Recommendation, ScalingSignals } from './types.ts';

export function evaluateResourcePolicy(resource: 'cpu' | 'memory', config: ResourcePolicyConfig, signals: ScalingSignals): Recommendation {
  const utilization = resource === 'cpu' ? signals.cpuUtilization : signals.memoryUtilization;
  if (utilization === undefined || signals.readyReplicas <= 0) {
    return { policy: resource, replicas: null, dataComplete: false, reasons: [reason(resource, 'NoUtilizationData', `no ${resource} utilization measured`)], evidence: {} };
  }
  const ratio = utilization / config.targetUtilization;
  const evidence = { utilization: round(utilization, 3), targetUtilization: config.targetUtilization, ratio: round(ratio, 3), readyReplicas: signals.readyReplicas };
  if (Math.abs(ratio - 1) <= config.tolerance) {
    return {
      policy: resource,
      replicas: signals.currentReplicas,
      dataComplete: true,
      reasons: [reason(resource, 'UtilizationWithinTolerance', `${resource} at ${round(ratio, 3)} of target, within ±${config.tolerance}`, evidence)],
      evidence,
    };
  }
  const replicas = Math.max(1, Math.ceil(signals.readyReplicas * ratio));
  const code = ratio > 1 ? 'UtilizationAboveTarget' : 'UtilizationBelowTarget';
  return {
    policy: resource,
    replicas,
    dataComplete: true,
    reasons: [reason(resource, code, `${resource} ${round(utilization * 100, 1)}% against target ${round(config.targetUtilization * 100, 1)}%: ${replicas} replicas`, { ...evidence, replicas })],
    evidence,
  };
}
