// Stage 4: small relative changes are noise; up and down have their own band.
import type { DraftDecision, SafetyContext, SafetyStage } from './stage.ts';
import { changeDesired, holdCount } from './stage.ts';
import { round } from '../types.ts';

const name = 'tolerance';
/** 22 / 20 − 1 is 0.10000000000000009 in binary floating point: a change at the band's edge is inside. */
const edge = 1e-9;

export const toleranceStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    if (draft.current <= 0 || draft.desired === draft.current) return draft;
    const change = draft.desired / draft.current - 1;
    const hold = holdCount(draft, context);
    if (change > 0 && change <= context.config.scaleUpTolerance + edge) {
      return changeDesired(draft, name, 'ScaleUpWithinTolerance', hold, `+${round(change * 100, 1)}% is within the scale-up tolerance`, { change: round(change, 4), tolerance: context.config.scaleUpTolerance });
    }
    if (change < 0 && -change <= context.config.scaleDownTolerance + edge) {
      return changeDesired(draft, name, 'ScaleDownWithinTolerance', hold, `${round(change * 100, 1)}% is within the scale-down tolerance`, { change: round(change, 4), tolerance: context.config.scaleDownTolerance });
    }
    return draft;
  },
};
