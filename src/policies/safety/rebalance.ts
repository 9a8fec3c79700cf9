// Stage 8: rebalance awareness. Every change of the group's members stops it for the rebalance
// pause, so a scale-down is worth it only if the replica-seconds it saves over the scale-down
// window exceed the pause's cost (all members idle) by the configured factor. Fewer, larger
// steps follow: a small trim is skipped, a large cut goes through in one step.
import type { DraftDecision, SafetyContext, SafetyStage } from './stage.ts';
import { changeDesired, holdCount } from './stage.ts';

const name = 'rebalance';

export const rebalanceStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    if (draft.desired >= draft.current) return draft;
    const { rebalancePauseSeconds, rebalanceCostFactor, scaleDownStabilizationSeconds } = context.config;
    const savedReplicaSeconds = (draft.current - draft.desired) * scaleDownStabilizationSeconds;
    const pauseCostReplicaSeconds = draft.current * rebalancePauseSeconds * rebalanceCostFactor;
    if (savedReplicaSeconds >= pauseCostReplicaSeconds) return draft;
    return changeDesired(draft, name, 'RebalanceCostExceedsSaving', holdCount(draft, context),
      `saving ${savedReplicaSeconds} replica-seconds does not pay for a ${rebalancePauseSeconds} s pause of ${draft.current} replicas (×${rebalanceCostFactor})`,
      { savedReplicaSeconds, pauseCostReplicaSeconds, rebalancePauseSeconds, rebalanceCostFactor });
  },
};
