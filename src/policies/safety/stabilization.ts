// Stage 5: stabilization windows, as in the Kubernetes HPA: scale up only to the lowest
// recommendation of the up window, scale down only to the highest of the down window (each
// window includes the new recommendation). The down window is short by default (one evaluation
// at the default interval: a drop is acted on when first seen) and grows with flap damping:
// each reversed scale-down beyond the free ones doubles it, as it doubles the scale-down
// cooldown, so a load that keeps swinging back must stay low longer before the group shrinks.
import type { DraftDecision, SafetyContext, SafetyStage } from './stage.ts';
import { dampedWindowSeconds } from '../config.ts';
import { countReversals } from './cooldown.ts';
import { changeDesired } from './stage.ts';

const name = 'stabilization';

export const stabilizationStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    const now = context.signals.time;
    const { scaleUpStabilizationSeconds } = context.config;
    const reversals = countReversals(context.history.events, now, context.config.flapDamping);
    const scaleDownStabilizationSeconds = dampedWindowSeconds(context.config, reversals);
    let upRecommendation = draft.desired;
    let downRecommendation = draft.desired;
    for (const entry of context.history.recommendations) {
      if (entry.time > now - scaleUpStabilizationSeconds) upRecommendation = Math.min(upRecommendation, entry.replicas);
      if (entry.time > now - scaleDownStabilizationSeconds) downRecommendation = Math.max(downRecommendation, entry.replicas);
    }
    const recorded = { ...draft, recommendationForHistory: draft.desired };
    if (draft.desired > draft.current && upRecommendation < draft.desired) {
      return changeDesired(recorded, name, 'ScaleUpStabilized', Math.max(draft.current, upRecommendation),
        `lowest recommendation of the last ${scaleUpStabilizationSeconds} s is ${upRecommendation}`, { windowSeconds: scaleUpStabilizationSeconds, upRecommendation });
    }
    if (draft.desired < draft.current && downRecommendation > draft.desired) {
      return changeDesired(recorded, name, 'ScaleDownStabilized', Math.min(draft.current, downRecommendation),
        `highest recommendation of the last ${scaleDownStabilizationSeconds} s is ${downRecommendation}${reversals > context.config.flapDamping.freeReversals ? ` (window doubled for each of ${reversals} reversed scale-downs beyond ${context.config.flapDamping.freeReversals})` : ''}`,
        { windowSeconds: scaleDownStabilizationSeconds, downRecommendation, reversals });
    }
    return recorded;
  },
};

/** Drops recommendations no window can see any more. */
export function pruneRecommendations<T extends { time: number }>(entries: readonly T[], now: number, longestWindowSeconds: number): T[] {
  return entries.filter((entry) => entry.time > now - longestWindowSeconds);
}
