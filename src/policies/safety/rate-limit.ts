// Stage 6: rate limits per period, as the HPA's scaling policies: each rule allows a change of
// `value` pods or `value` percent relative to the count at the start of its period; `select`
// takes the most permissive (max) or the strictest (min) rule, or forbids the direction.
import type { RateLimitConfig, RateLimitRule } from '../config.ts';
import type { DraftDecision, SafetyContext, SafetyStage, ScaleEvent } from './stage.ts';
import { changeDesired } from './stage.ts';

const name = 'rateLimit';

function countAtPeriodStart(current: number, events: readonly ScaleEvent[], now: number, rule: RateLimitRule, direction: 1 | -1): number {
  let change = 0;
  for (const event of events) {
    if (event.time <= now - rule.periodSeconds) continue;
    const delta = event.to - event.from;
    if (Math.sign(delta) === direction) change += delta;
  }
  return current - change;
}

function upLimit(rule: RateLimitRule, start: number): number {
  return rule.type === 'pods' ? start + rule.value : Math.ceil(start * (1 + rule.value / 100));
}

function downLimit(rule: RateLimitRule, start: number): number {
  return rule.type === 'pods' ? start - rule.value : Math.floor(start * (1 - rule.value / 100));
}

function limitFor(limits: RateLimitConfig, current: number, events: readonly ScaleEvent[], now: number, direction: 1 | -1): number | null {
  if (limits.rules.length === 0) return null;
  const bounds = limits.rules.map((rule) => {
    const start = countAtPeriodStart(current, events, now, rule, direction);
    return direction === 1 ? upLimit(rule, start) : downLimit(rule, start);
  });
  const permissive = direction === 1 ? Math.max(...bounds) : Math.min(...bounds);
  const strict = direction === 1 ? Math.min(...bounds) : Math.max(...bounds);
  return limits.select === 'min' ? strict : permissive;
}

export const rateLimitStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    const { config, history, signals } = context;
    if (draft.desired > draft.current) {
      if (config.scaleUpRateLimit.select === 'disabled') {
        return changeDesired(draft, name, 'ScaleUpDisabled', draft.current, 'scale-up is disabled');
      }
      const limit = limitFor(config.scaleUpRateLimit, draft.current, history.events, signals.time, 1);
      if (limit !== null && draft.desired > limit) {
        return changeDesired(draft, name, 'ScaleUpLimit', Math.max(draft.current, limit), `scale-up limited to ${limit} by the rate limits`, { limit });
      }
    }
    if (draft.desired < draft.current) {
      if (config.scaleDownRateLimit.select === 'disabled') {
        return changeDesired(draft, name, 'ScaleDownDisabled', draft.current, 'scale-down is disabled');
      }
      const limit = limitFor(config.scaleDownRateLimit, draft.current, history.events, signals.time, -1);
      if (limit !== null && draft.desired < limit) {
        return changeDesired(draft, name, 'ScaleDownLimit', Math.min(draft.current, limit), `scale-down limited to ${limit} by the rate limits`, { limit });
      }
    }
    return draft;
  },
};
