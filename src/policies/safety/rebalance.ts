// Stage 8: rebalance awareness. Every change of the group's members stops it for the rebalance
// pause, so a scale-down is worth it only if the replica-seconds it saves over the payback time
// exceed the pause's cost (all members idle) by the configured factor. Fewer, larger
// steps follow: a small trim is skipped, a large cut goes through in one step.
import type { DraftDecision, SafetyContext, SafetyStage } from './stage.ts';
import { changeDesired, holdCount } from './stage.ts';

const name = 'rebalance';

export const rebalanceStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    if (draft.desired >= draft.current) return draft;
    const latest = draft.recommendationForHistory;
    if (latest !== undefined && latest < draft.desired) {
      // Stabilization allows only part of the way down for now; taking that step would cost a
      // pause now and another when the rest follows. Wait and take it in one.
      return changeDesired(draft, name, 'ScaleDownDeferredToOneStep', holdCount(draft, context),
        `stabilization allows ${draft.desired} but the recommendation is ${latest}: one step later instead of two`,
        { stabilized: draft.desired, recommendation: latest });
    }
    const { rebalancePauseSeconds, rebalanceCostFactor, rebalancePaybackSeconds } = context.config;
    const savedReplicaSeconds = (draft.current - draft.desired) * rebalancePaybackSeconds;
    const pauseCostReplicaSeconds = draft.current * rebalancePauseSeconds * rebalanceCostFactor;
    if (savedReplicaSeconds >= pauseCostReplicaSeconds) return draft;
    return changeDesired(draft, name, 'RebalanceCostExceedsSaving', holdCount(draft, context),
      `saving ${savedReplicaSeconds} replica-seconds does not pay for a ${rebalancePauseSeconds} s pause of ${draft.current} replicas (×${rebalanceCostFactor})`,
      { savedReplicaSeconds, pauseCostReplicaSeconds, rebalancePauseSeconds, rebalanceCostFactor });
  },
};
