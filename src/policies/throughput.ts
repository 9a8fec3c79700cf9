// Throughput policy (the rate-based model of DS2 and Flink's autoscaler): replicas to carry the
// produce rate at a target utilization, plus the rate that drains the backlog in `drainSeconds`
// (for a scale-up, the backlog there will be when the new replicas take load).
// The rate carried is the planned arrival rate (arrival-rate.ts), which sees a burst that began
// within the last interval at its full height.
import { plannedArrivalRate } from './arrival-rate.ts';
import type { ThroughputPolicyConfig } from './config.ts';
import { sizeReplicas } from './capacity.ts';
import type { CapacityEstimate } from './capacity.ts';
import { effectiveConsumers } from './safety/partition-cap.ts';
import { reason, round } from './types.ts';
import type { Recommendation, ScalingSignals } from './types.ts';

const policy = 'throughput';

/** What a scale-up costs in time: the configured replica startup and rebalance pause. */
export interface ChangeTimings {
  replicaStartupSeconds: number;
  rebalancePauseSeconds: number;
}

/**
 * The backlog when replicas asked for now take load: the ready replicas keep working through
 * their startup (the backlog grows by what they do not carry, or shrinks by their headroom),
 * then the pause their arrival causes stops the whole group while messages keep arriving.
 */
export function backlogWhenReady(backlog: number, arrivalRate: number, readyCapacity: number, timings: ChangeTimings): number {
  const startup = timings.replicaStartupSeconds + 1;
  return Math.max(0, backlog + (arrivalRate - readyCapacity) * startup) + arrivalRate * timings.rebalancePauseSeconds;
}

export function evaluateThroughputPolicy(config: ThroughputPolicyConfig, capacity: CapacityEstimate | null, signals: ScalingSignals, timings: ChangeTimings): Recommendation {
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
  let projectedBacklog: number | null = null;
  if (replicas > signals.currentReplicas) {
    // A scale-up drains only once its replicas are in: size it for the backlog it will find
    // then, so that one step does what would otherwise take a second (and a second pause).
    projectedBacklog = backlogWhenReady(backlog, rate, effectiveConsumers(signals.readyReplicas, signals.partitions) * perReplica, timings);
    replicas = Math.max(replicas, Math.ceil(rate / (perReplica * utilization) + projectedBacklog / config.drainSeconds / perReplica));
  }
  if (replicas < signals.currentReplicas) {
    // Fewer replicas would do at the target: ask for fewer only if they would have room.
    utilization = config.scaleInUtilization;
    replicas = Math.min(signals.currentReplicas, replicasAt(perReplica, utilization));
  }
  const carryReplicas = rate / (perReplica * utilization);
  const drainedBacklog = projectedBacklog ?? backlog;
  const drainReplicas = drainedBacklog / config.drainSeconds / perReplica;
  const evidence = {
    ...arrival.evidence,
    plannedRate: round(rate),
    backlogMessages: round(backlog, 0),
    ...(projectedBacklog === null ? {} : { backlogWhenReadyMessages: round(projectedBacklog, 0), replicaStartupSeconds: timings.replicaStartupSeconds, rebalancePauseSeconds: timings.rebalancePauseSeconds }),
    drainRate: round(drainedBacklog / config.drainSeconds),
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
        `${round(rate)} msg/s at ${round(utilization * 100)}% of ${round(perReplica)} msg/s needs ${round(carryReplicas)} replicas; draining ${round(backlog, 0)} messages${projectedBacklog === null ? '' : ` (${round(projectedBacklog, 0)} by the time new replicas are in, after ${timings.replicaStartupSeconds} s startup and ${timings.rebalancePauseSeconds} s pause)`} within ${config.drainSeconds} s needs ${round(drainReplicas)} more`,
        evidence),
    ],
    evidence,
  };
}
