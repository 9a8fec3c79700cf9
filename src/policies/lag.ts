// Lag policy: keep the age of the oldest unconsumed message under a target (primary), or the
// backlog per replica under a target (KEDA's lagThreshold). Above target it asks for the
// produce rate plus the rate that brings the excess back within `recoverySeconds`.
import type { LagPolicyConfig } from './config.ts';
import { reason, round } from './types.ts';
import { sizeReplicas } from './capacity.ts';
import type { CapacityEstimate } from './capacity.ts';
import type { Recommendation, ScalingSignals } from './types.ts';

const policy = 'lag';

export function evaluateLagPolicy(config: LagPolicyConfig, capacity: CapacityEstimate | null, signals: ScalingSignals): Recommendation {
  const { backlogMessages, lagSeconds, produceRate } = signals;
  if (config.targetLagSeconds === undefined && config.targetMessagesPerReplica !== undefined) {
    if (backlogMessages === undefined) return abstain('NoBacklogData', 'no backlog measured');
    const replicas = Math.max(1, Math.ceil(backlogMessages / config.targetMessagesPerReplica));
    return {
      policy,
      replicas,
      dataComplete: true,
      reasons: [
        reason(policy, backlogMessages > config.targetMessagesPerReplica * signals.currentReplicas ? 'LagAboveTarget' : 'LagWithinTarget',
          `backlog ${round(backlogMessages, 0)} messages at ${config.targetMessagesPerReplica} per replica needs ${replicas}`,
          { backlogMessages, targetMessagesPerReplica: config.targetMessagesPerReplica, replicas }),
      ],
      evidence: { backlogMessages, targetMessagesPerReplica: config.targetMessagesPerReplica },
    };
  }
  const target = config.targetLagSeconds;
  if (target === undefined) return abstain('NoLagTarget', 'neither targetLagSeconds nor targetMessagesPerReplica is set');
  if (lagSeconds === undefined || backlogMessages === undefined || produceRate === undefined) {
    return abstain('NoLagData', 'lag seconds, backlog or produce rate not measured');
  }
  if (capacity === null) {
    // Without any capacity figure, scale in proportion to how far lag is over target.
    if (lagSeconds <= target) return abstain('LagWithinTarget', `lag ${round(lagSeconds)} s within target ${target} s, capacity unknown`);
    const replicas = Math.ceil((signals.currentReplicas * lagSeconds) / target);
    return {
      policy,
      replicas,
      dataComplete: true,
      reasons: [reason(policy, 'LagAboveTarget', `lag ${round(lagSeconds)} s over target ${target} s, capacity unknown: scale by the ratio`, { lagSeconds, target, replicas })],
      evidence: { lagSeconds, targetLagSeconds: target },
    };
  }
  // Messages older than the target: with arrivals spread over the lag, their share of the
  // backlog is the share of the lag beyond the target.
  const excessMessages = lagSeconds > target ? (backlogMessages * (lagSeconds - target)) / lagSeconds : 0;
  const requiredRate = produceRate + excessMessages / config.recoverySeconds;
  const { replicas, perReplica } = sizeReplicas(capacity, signals.currentReplicas, (candidate) => Math.max(1, Math.ceil(requiredRate / candidate)));
  const evidence = {
    lagSeconds,
    targetLagSeconds: target,
    backlogMessages: round(backlogMessages, 0),
    excessMessages: round(excessMessages, 0),
    produceRate: round(produceRate),
    requiredRate: round(requiredRate),
    capacityPerReplica: round(perReplica),
    capacitySource: capacity.source,
  };
  const code = lagSeconds > target ? 'LagAboveTarget' : 'LagWithinTarget';
  return {
    policy,
    replicas,
    dataComplete: true,
    reasons: [reason(policy, code, `lag ${round(lagSeconds)} s (target ${target} s): ${round(requiredRate)} msg/s needed, ${replicas} replicas at ${round(perReplica)} msg/s`, evidence)],
    evidence,
  };
}

function abstain(code: string, message: string): Recommendation {
  return { policy, replicas: null, dataComplete: false, reasons: [reason(policy, code, message)], evidence: {} };
}
