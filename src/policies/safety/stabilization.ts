// Stage 5: stabilization windows, as in the Kubernetes HPA: scale up only to the lowest
// recommendation of the up window, scale down only to the highest of the down window (each
// window includes the new recommendation).
import type { DraftDecision, SafetyContext, SafetyStage } from './stage.ts';
import { changeDesired } from './stage.ts';

const name = 'stabilization';

export const stabilizationStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    const now = context.signals.time;
    const { scaleUpStabilizationSeconds, scaleDownStabilizationSeconds } = context.config;
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
        `highest recommendation of the last ${scaleDownStabilizationSeconds} s is ${downRecommendation}`, { windowSeconds: scaleDownStabilizationSeconds, downRecommendation });
    }
    return recorded;
  },
};

/** Drops recommendations no window can see any more. */
export function pruneRecommendations<T extends { time: number }>(entries: readonly T[], now: number, longestWindowSeconds: number): T[] {
  return entries.filter((entry) => entry.time > now - longestWindowSeconds);
}
