// Stage 7: cooldowns. After a scale-up, no scale-down for a while (the new replicas have not
// shown what they can do), longer while the group flaps (each recent scale-down that had to be
// reversed doubles it); after a scale-down, no further scale-down for a while; an optional wait
// between scale-ups. Lag is never made to wait by a scale-down cooldown.
import type { SafetyConfig } from '../config.ts';
import type { DraftDecision, SafetyContext, SafetyStage, ScaleEvent } from './stage.ts';
import { changeDesired, holdCount } from './stage.ts';

const name = 'cooldown';

function lastEvent(events: readonly ScaleEvent[], direction: 1 | -1): ScaleEvent | undefined {
  return events.findLast((event) => Math.sign(event.to - event.from) === direction);
}

/** Scale-ups in the memory window that came within `reversalSeconds` of a scale-down. */
export function countReversals(events: readonly ScaleEvent[], now: number, damping: SafetyConfig['flapDamping']): number {
  if (damping.memorySeconds <= 0) return 0;
  let reversals = 0;
  events.forEach((event, index) => {
    const previous = events[index - 1];
    if (previous === undefined || event.time <= now - damping.memorySeconds) return;
    if (event.to > event.from && previous.to < previous.from && event.time - previous.time < damping.reversalSeconds) reversals += 1;
  });
  return reversals;
}

export function scaleDownCooldownAfterScaleUp(config: SafetyConfig, events: readonly ScaleEvent[], now: number): { seconds: number; reversals: number } {
  const reversals = countReversals(events, now, config.flapDamping);
  const damped = config.scaleDownCooldownAfterScaleUpSeconds * 2 ** Math.max(0, reversals - config.flapDamping.freeReversals);
  const seconds = reversals <= config.flapDamping.freeReversals ? config.scaleDownCooldownAfterScaleUpSeconds : Math.max(config.scaleDownCooldownAfterScaleUpSeconds, Math.min(config.flapDamping.maxCooldownSeconds, damped));
  return { seconds, reversals };
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
      const afterUp = scaleDownCooldownAfterScaleUp(config, history.events, now);
      if (lastUp !== undefined && now - lastUp.time < afterUp.seconds) {
        const flapping = afterUp.reversals > 0 ? `, doubled for each of ${afterUp.reversals} reversed scale-downs` : '';
        return changeDesired(draft, name, 'ScaleDownCooldownAfterScaleUp', hold,
          `scaled up ${now - lastUp.time} s ago (cooldown ${afterUp.seconds} s${flapping})`,
          { sinceScaleUpSeconds: now - lastUp.time, cooldownSeconds: afterUp.seconds, reversals: afterUp.reversals });
      }
      if (lastDown !== undefined && now - lastDown.time < config.scaleDownCooldownAfterScaleDownSeconds) {
        return changeDesired(draft, name, 'ScaleDownCooldownAfterScaleDown', hold,
          `scaled down ${now - lastDown.time} s ago (cooldown ${config.scaleDownCooldownAfterScaleDownSeconds} s)`, { sinceScaleDownSeconds: now - lastDown.time });
      }
    }
    return draft;
  },
};
