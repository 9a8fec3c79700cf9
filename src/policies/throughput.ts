// Throughput policy (the rate-based model of DS2 and Flink's autoscaler): replicas to carry the
// produce rate at a target utilization, plus the rate that drains the backlog in `drainSeconds`.
import { perReplicaCapacity } from './capacity.ts';
import type { ThroughputPolicyConfig } from './config.ts';
import { reason, round } from './types.ts';
import type { Recommendation, ScalingSignals } from './types.ts';

const policy = 'throughput';

export function evaluateThroughputPolicy(config: ThroughputPolicyConfig, signals: ScalingSignals): Recommendation {
  const { produceRate, backlogMessages } = signals;
  if (produceRate === undefined) {
    return { policy, replicas: null, dataComplete: false, reasons: [reason(policy, 'NoRateData', 'produce rate not measured')], evidence: {} };
  }
  const capacity = perReplicaCapacity(config.capacityPerReplica, signals);
  if (capacity === null) {
    return {
      policy,
      replicas: null,
      dataComplete: false,
      reasons: [reason(policy, 'NoCapacityEstimate', 'capacityPerReplica not configured and the group was not saturated to measure it')],
      evidence: { produceRate },
    };
  }
  const backlog = backlogMessages ?? 0;
  const drainRate = backlog / config.drainSeconds;
  const carryReplicas = produceRate / (capacity.perReplica * config.targetUtilization);
  const drainReplicas = drainRate / capacity.perReplica;
  const replicas = Math.max(1, Math.ceil(carryReplicas + drainReplicas));
  const evidence = {
    produceRate: round(produceRate),
    backlogMessages: round(backlog, 0),
    drainRate: round(drainRate),
    capacityPerReplica: round(capacity.perReplica),
    capacitySource: capacity.source,
    targetUtilization: config.targetUtilization,
    carryReplicas: round(carryReplicas),
    drainReplicas: round(drainReplicas),
  };
  return {
    policy,
    replicas,
    dataComplete: backlogMessages !== undefined,
    reasons: [
      reason(policy, 'ThroughputRequired',
        `${round(produceRate)} msg/s at ${config.targetUtilization} of ${round(capacity.perReplica)} msg/s needs ${round(carryReplicas)} replicas, draining ${round(backlog, 0)} messages in ${config.drainSeconds} s ${round(drainReplicas)} more`,
        evidence),
    ],
    evidence,
  };
}
