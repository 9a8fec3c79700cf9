// Stage 7: cooldowns. After a scale-up, no scale-down for a while (the new replicas have not
// shown what they can do); after a scale-down, no further scale-down for a while; an optional
// wait between scale-ups. Lag is never made to wait by a scale-down cooldown.
import type { DraftDecision, SafetyContext, SafetyStage, ScaleEvent } from './stage.ts';
import { changeDesired, holdCount } from './stage.ts';

const name = 'cooldown';

function lastEvent(events: readonly ScaleEvent[], direction: 1 | -1): ScaleEvent | undefined {
  return events.findLast((event) => Math.sign(event.to - event.from) === direction);
}

export const cooldownStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    const { config, history, signals } = context;
    const now = signals.time;
    const lastUp = lastEvent(history.events, 1);
    const lastDown = lastEvent(history.events, -1);
    const hold = holdCount(draft, context);
    if (draft.desired > draft.current && lastUp !== undefined && now - lastUp.time < config.scaleUpCooldownSeconds) {
      return changeDesired(draft, name, 'ScaleUpCooldown', Math.max(hold, Math.min(draft.desired, draft.current)),
        `scaled up ${now - lastUp.time} s ago (cooldown ${config.scaleUpCooldownSeconds} s)`, { sinceScaleUpSeconds: now - lastUp.time });
    }
    if (draft.desired < draft.current) {
      if (lastUp !== undefined && now - lastUp.time < config.scaleDownCooldownAfterScaleUpSeconds) {
        return changeDesired(draft, name, 'ScaleDownCooldownAfterScaleUp', hold,
          `scaled up ${now - lastUp.time} s ago (cooldown ${config.scaleDownCooldownAfterScaleUpSeconds} s)`, { sinceScaleUpSeconds: now - lastUp.time });
      }
      if (lastDown !== undefined && now - lastDown.time < config.scaleDownCooldownAfterScaleDownSeconds) {
        return changeDesired(draft, name, 'ScaleDownCooldownAfterScaleDown', hold,
          `scaled down ${now - lastDown.time} s ago (cooldown ${config.scaleDownCooldownAfterScaleDownSeconds} s)`, { sinceScaleDownSeconds: now - lastDown.time });
      }
    }
    return draft;
  },
};
