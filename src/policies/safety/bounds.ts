// Stage 2: the minimum and maximum in force (configured, raised by schedule windows).
import type { DraftDecision, SafetyContext, SafetyStage } from './stage.ts';
import { changeDesired } from './stage.ts';

const name = 'bounds';

export const boundsStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    const { minReplicas, maxReplicas } = context;
    if (draft.desired < minReplicas) {
      return changeDesired(draft, name, 'BelowMinimum', minReplicas, `raised to the minimum ${minReplicas}`, { minReplicas });
    }
    if (draft.desired > maxReplicas) {
      return changeDesired(draft, name, 'AboveMaximum', maxReplicas, `lowered to the maximum ${maxReplicas}`, { maxReplicas });
    }
    return draft;
  },
};
