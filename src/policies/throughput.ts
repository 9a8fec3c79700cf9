// Throughput policy (the rate-based model of DS2 and Flink's autoscaler): replicas to carry the
// produce rate at a target utilization, plus the rate that drains the backlog in `drainSeconds`.
// The rate carried is the planned arrival rate (arrival-rate.ts), which sees a burst that began
// within the last interval at its full height.
import { plannedArrivalRate } from './arrival-rate.ts';
import type { ThroughputPolicyConfig } from './config.ts';
import { sizeReplicas } from './capacity.ts';
import type { CapacityEstimate } from './capacity.ts';
import { reason, round } from './types.ts';
import type { Recommendation, ScalingSignals } from './types.ts';

const policy = 'throughput';

export function evaluateThroughputPolicy(config: ThroughputPolicyConfig, capacity: CapacityEstimate | null, signals: ScalingSignals): Recommendation {
  const { backlogMessages } = signals;
  const arrival = plannedArrivalRate(signals);
  if (arrival === null) {
    return { policy, replicas: null, dataComplete: false, reasons: [reason(policy, 'NoRateData', 'produce rate not measured')], evidence: {} };
  }
  if (capacity === null) {
    return {
      policy,
      replicas: null,
      dataComplete: false,
      reasons: [reason(policy, 'NoCapacityEstimate', 'capacityPerReplica not configured and the group was not saturated to measure it')],
      evidence: arrival.evidence,
    };
  }
  const backlog = backlogMessages ?? 0;
  const drainRate = backlog / config.drainSeconds;
  const rate = arrival.rate;
  const replicasAt = (perReplica: number, utilization: number): number => Math.max(1, Math.ceil(rate / (perReplica * utilization) + drainRate / perReplica));
  let utilization = config.targetUtilization;
  const { perReplica, replicas: atTarget } = sizeReplicas(capacity, signals.currentReplicas, (candidate) => replicasAt(candidate, config.targetUtilization));
  let replicas = atTarget;
  if (replicas < signals.currentReplicas) {
    // Fewer replicas would do at the target: ask for fewer only if they would have room.
    utilization = config.scaleInUtilization;
    replicas = Math.min(signals.currentReplicas, replicasAt(perReplica, utilization));
  }
  const carryReplicas = rate / (perReplica * utilization);
  const drainReplicas = drainRate / perReplica;
  const evidence = {
    ...arrival.evidence,
    plannedRate: round(rate),
    backlogMessages: round(backlog, 0),
    drainRate: round(drainRate),
    capacityPerReplica: round(perReplica),
    capacitySource: capacity.source,
    utilization,
    carryReplicas: round(carryReplicas),
    drainReplicas: round(drainReplicas),
  };
  return {
    policy,
    replicas,
    dataComplete: backlogMessages !== undefined,
    reasons: [
      reason(policy, 'ThroughputRequired',
        `${round(rate)} msg/s at ${round(utilization * 100)}% of ${round(perReplica)} msg/s needs ${round(carryReplicas)} replicas; draining ${round(backlog, 0)} messages within ${config.drainSeconds} s needs ${round(drainReplicas)} more`,
        evidence),
    ],
    evidence,
  };
}
