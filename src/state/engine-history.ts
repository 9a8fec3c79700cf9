// The policy engine's memory kept in a state store, so that cooldowns and recommendation
// history survive a restart of lagpilot and are shared by its replicas. Stabilization reads the
// recorded recommendations; cooldowns and rate limits read the scale events, which are the
// journaled decisions that changed the count. The measured capacity is not kept: after a
// restart the configured figure serves until the group is next saturated.
import { eventHistorySeconds, recommendationHistorySeconds } from '../policies/config.ts';
import type { EngineConfig } from '../policies/config.ts';
import type { Evaluation } from '../policies/engine.ts';
import type { ScaleEvent, ScalingHistory } from '../policies/safety/stage.ts';
import type { Decision } from '../policies/types.ts';
import type { CooldownKind, StateStore } from './store.ts';

/** Journal entries read back first to find recent scale events; doubled until they reach back far enough. */
const firstJournalRead = 200;
const longestJournalRead = 100_000;

export function recommendationWindowSeconds(config: EngineConfig): number {
  return recommendationHistorySeconds(config.safety);
}

export async function loadScalingHistory(store: StateStore, target: string, config: EngineConfig, now: number): Promise<ScalingHistory> {
  const recommendations = (await store.recommendations(target, now - recommendationWindowSeconds(config))).filter((entry) => entry.time < now);
  const oldestEvent = now - eventHistorySeconds(config.safety);
  let decisions = await store.recentDecisions(target, firstJournalRead);
  for (let count = firstJournalRead * 2; count <= longestJournalRead; count *= 2) {
    const oldestRead = decisions.at(-1);
    if (decisions.length < count / 2 || oldestRead === undefined || oldestRead.time <= oldestEvent) break;
    decisions = await store.recentDecisions(target, count);
  }
  const events: ScaleEvent[] = decisions
    // A change the actuator failed to make did not happen: it starts no cooldown.
    .filter((decision) => decision.action !== 'none' && decision.actuation?.status !== 'failed' && decision.time > oldestEvent && decision.time < now)
    .map((decision) => ({ time: decision.time, from: decision.current, to: decision.desired }))
    // By decision time, not journal order: a change journaled late (its store was away when it
    // was made) follows changes made after it.
    .sort((left, right) => left.time - right.time);
  return { recommendations, events };
}

/** Records what an evaluation leaves behind: its recommendation and its decision. */
export async function recordEvaluation(store: StateStore, target: string, config: EngineConfig, evaluation: Evaluation): Promise<void> {
  const { decision } = evaluation;
  const recorded = evaluation.history.recommendations.at(-1);
  if (recorded?.time === decision.time) {
    await store.recordRecommendation(target, recorded, recommendationWindowSeconds(config));
  }
  await store.appendDecision(target, decision);
}

/**
 * Claims the right to apply a scaling decision: of lagpilot replicas that reach the same
 * decision at once, exactly one gets it, and the claim lasts as long as the cooldown that
 * follows that direction. A decision that changes nothing needs no claim.
 */
export async function claimScalingAction(store: StateStore, target: string, config: EngineConfig, decision: Decision, holder: string): Promise<boolean> {
  if (decision.action === 'none') return true;
  const kind: CooldownKind = decision.action;
  const seconds = kind === 'scaleUp' ? config.safety.scaleUpCooldownSeconds : config.safety.scaleDownCooldownAfterScaleDownSeconds;
  // Even without a cooldown, two replicas must not both act on one evaluation: hold the claim
  // for at least one second.
  const claim = await store.acquireCooldown(target, kind, holder, Math.max(1000, Math.round(seconds * 1000)));
  return claim.acquired;
}
