// Stage 8: rebalance awareness. Every change of the group's members stops it for the rebalance
// pause, and a new replica costs from the moment it is asked for, though it takes load only
// once started. So:
// - A scale-up the count in force does not need to carry the load (it only drains a backlog
//   faster) must bring lag back under its target sooner than keeping the count would, counting
//   the startup and the pause it costs; otherwise it is held. Of the counts that do as well,
//   the smallest is taken.
// - A scale-down waits while its pause would keep lag above its target longer than keeping the
//   count (a backlog still draining). It must also save, over the time the new count is
//   expected to hold, more than the two rebalances it risks (this one, and the scale-up back):
//   the pauses of the group and the startup of the replicas it would ask for again, times the
//   configured factor.
//   Fewer, larger steps follow: a small trim is skipped, a large cut goes through in one step.
import { projectLag } from '../lag-projection.ts';
import type { CapacityJoin, LagOutlook, LagProjectionInput } from '../lag-projection.ts';
import { round } from '../types.ts';
import type { Evidence } from '../types.ts';
import { effectiveConsumers } from './partition-cap.ts';
import type { DraftDecision, LagOutlookInputs, SafetyContext, SafetyStage } from './stage.ts';
import { changeDesired, holdCount } from './stage.ts';

const name = 'rebalance';

/** Lag is projected this far at most: far beyond any drain worth planning. */
const projectionHorizonSeconds = 3600;

/** The lag outlook of the count in force, and of plans that change it. */
interface LagPlans {
  kept: LagOutlook;
  /** Replicas asked for now join after their startup and pause the group. */
  scaledUpTo(replicas: number): LagOutlook;
  /** Removing ready replicas pauses the group at once; cancelling replicas still starting does not. */
  scaledDownTo(replicas: number): LagOutlook;
  groupCapacity(replicas: number): number;
}

function lagPlans(context: SafetyContext, outlook: LagOutlookInputs, current: number): LagPlans | null {
  const { signals, config, history } = context;
  const { partitions, readyReplicas } = signals;
  if (signals.lagSeconds === undefined || outlook.arrivalRate <= 0 || partitions <= 0 || config.allowIdleConsumers) return null;
  const groupCapacity = (replicas: number): number => effectiveConsumers(replicas, partitions) * outlook.capacityPerReplica;
  const joinAfter = config.replicaStartupSeconds + 1;
  // Replicas asked for and not ready yet join when their startup ends.
  let pendingIn = 0;
  if (readyReplicas < current) {
    const lastUp = history.events.findLast((event) => event.to > event.from);
    pendingIn = lastUp === undefined ? 0 : Math.max(0, lastUp.time + joinAfter - signals.time);
  }
  const pendingAt = (replicas: number): CapacityJoin[] => (readyReplicas < replicas ? [{ afterSeconds: pendingIn, groupCapacity: groupCapacity(replicas) }] : []);
  const input: LagProjectionInput = {
    lagSeconds: signals.lagSeconds,
    arrivalRate: outlook.arrivalRate,
    rebalancePauseSeconds: config.rebalancePauseSeconds,
    targetLagSeconds: outlook.targetLagSeconds,
    horizonSeconds: projectionHorizonSeconds,
  };
  const capacityNow = groupCapacity(readyReplicas);
  return {
    kept: projectLag(input, { capacityNow, joins: pendingAt(current) }),
    scaledUpTo: (replicas) => projectLag(input, { capacityNow, joins: [...pendingAt(current), { afterSeconds: joinAfter, groupCapacity: groupCapacity(replicas) }] }),
    scaledDownTo: (replicas) => projectLag(input, replicas >= readyReplicas
      ? { capacityNow, joins: pendingAt(replicas) }
      : { capacityNow, joins: [{ afterSeconds: 0, groupCapacity: groupCapacity(replicas) }] }),
    groupCapacity,
  };
}

function lagEvidence(outlook: LagOutlookInputs, context: SafetyContext, kept: LagOutlook, changed: LagOutlook): Evidence {
  return {
    arrivalRate: round(outlook.arrivalRate),
    capacityPerReplica: round(outlook.capacityPerReplica),
    targetLagSeconds: outlook.targetLagSeconds,
    keptSecondsAboveTarget: kept.secondsAboveTarget,
    keptPeakLagSeconds: round(kept.peakLagSeconds),
    askedSecondsAboveTarget: changed.secondsAboveTarget,
    askedPeakLagSeconds: round(changed.peakLagSeconds),
    startupSeconds: context.config.replicaStartupSeconds,
    rebalancePauseSeconds: context.config.rebalancePauseSeconds,
  };
}

function scaleUp(draft: DraftDecision, context: SafetyContext, outlook: LagOutlookInputs): DraftDecision {
  const plans = lagPlans(context, outlook, draft.current);
  // A count that cannot carry the load must grow whatever lag says now.
  if (plans === null || plans.groupCapacity(draft.current) < outlook.arrivalRate) return draft;
  const asked = plans.scaledUpTo(draft.desired);
  if (asked.secondsAboveTarget < plans.kept.secondsAboveTarget) return draft;
  const { config } = context;
  return changeDesired(draft, name, 'ScaleUpDoesNotShortenLag', draft.current,
    `${draft.current} replicas carry ${round(outlook.arrivalRate)} msg/s; ${draft.desired} would not bring lag under ${outlook.targetLagSeconds} s any sooner after their ${config.replicaStartupSeconds} s startup and ${config.rebalancePauseSeconds} s pause (${asked.secondsAboveTarget} s above it against ${plans.kept.secondsAboveTarget} s)`,
    lagEvidence(outlook, context, plans.kept, asked));
}

function scaleDown(draft: DraftDecision, context: SafetyContext): DraftDecision {
  const latest = draft.recommendationForHistory;
  if (latest !== undefined && latest < draft.desired) {
    // Stabilization allows only part of the way down for now; taking that step would cost a
    // pause now and another when the rest follows. Wait and take it in one.
    return changeDesired(draft, name, 'ScaleDownDeferredToOneStep', holdCount(draft, context),
      `stabilization allows ${draft.desired} but the recommendation is ${latest}: one step later instead of two`,
      { stabilized: draft.desired, recommendation: latest });
  }
  const plans = context.lagOutlook === undefined ? null : lagPlans(context, context.lagOutlook, draft.current);
  if (plans !== null && context.lagOutlook !== undefined) {
    const asked = plans.scaledDownTo(draft.desired);
    if (asked.secondsAboveTarget > plans.kept.secondsAboveTarget) {
      return changeDesired(draft, name, 'ScaleDownWouldRaiseLag', holdCount(draft, context),
        `the ${context.config.rebalancePauseSeconds} s pause of a scale-down to ${draft.desired} would keep lag above ${context.lagOutlook.targetLagSeconds} s longer (${asked.secondsAboveTarget} s against ${plans.kept.secondsAboveTarget} s): later`,
        lagEvidence(context.lagOutlook, context, plans.kept, asked));
    }
  }
  const { rebalancePauseSeconds, rebalanceCostFactor, rebalancePaybackSeconds, replicaStartupSeconds } = context.config;
  const removed = draft.current - draft.desired;
  const savedReplicaSeconds = removed * rebalancePaybackSeconds;
  // This pause stops the replicas that stay; the scale-up back would start the removed ones
  // again (paid from the request) and stop the whole group once more.
  const twoRebalancesReplicaSeconds = draft.desired * rebalancePauseSeconds + removed * (replicaStartupSeconds + 1) + draft.current * rebalancePauseSeconds;
  const costReplicaSeconds = twoRebalancesReplicaSeconds * rebalanceCostFactor;
  if (savedReplicaSeconds >= costReplicaSeconds) return draft;
  return changeDesired(draft, name, 'RebalanceCostExceedsSaving', holdCount(draft, context),
    `saving ${savedReplicaSeconds} replica-seconds over ${rebalancePaybackSeconds} s does not pay for two rebalances (${costReplicaSeconds} replica-seconds: ${rebalancePauseSeconds} s pauses, ${replicaStartupSeconds} s startup of ${removed} replicas)`,
    { savedReplicaSeconds, costReplicaSeconds, rebalancePauseSeconds, replicaStartupSeconds, rebalanceCostFactor, rebalancePaybackSeconds });
}

export const rebalanceStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    if (draft.desired < draft.current) return scaleDown(draft, context);
    if (draft.desired > draft.current && context.lagOutlook !== undefined) return scaleUp(draft, context, context.lagOutlook);
    return draft;
  },
};
