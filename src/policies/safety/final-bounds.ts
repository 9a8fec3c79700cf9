// Last stage: whatever a hold kept (a count from before the bounds changed, say), the decision
// leaves the pipeline within [min, max] and, unless idle consumers are allowed, the partitions.
import type { DraftDecision, SafetyContext, SafetyStage } from './stage.ts';
import { changeDesired } from './stage.ts';

const name = 'finalBounds';

export const finalBoundsStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    const partitionLimit = context.config.allowIdleConsumers || context.signals.partitions <= 0 ? Infinity : context.signals.partitions;
    const upper = Math.max(context.minReplicas, Math.min(context.maxReplicas, partitionLimit));
    if (draft.desired > upper) {
      return changeDesired(draft, name, 'HeldCountAboveLimit', upper, `a held count above the limit ${upper} is lowered to it`, { limit: upper });
    }
    if (draft.desired < context.minReplicas) {
      return changeDesired(draft, name, 'HeldCountBelowMinimum', context.minReplicas, `a held count below the minimum is raised to ${context.minReplicas}`, { minReplicas: context.minReplicas });
    }
    return draft;
  },
};
