// Stage 1: never scale in on stale or partial data; after too many failed collections in a row,
// go to the fallback count (raising only: a blind autoscaler must not shrink the group).
import type { DraftDecision, SafetyContext, SafetyStage } from './stage.ts';
import { changeDesired } from './stage.ts';

const name = 'staleData';

export const staleDataGuard: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    const { signals, config } = context;
    let next = draft;
    if (config.fallbackReplicas !== undefined && signals.consecutiveFailedCollections >= config.fallbackAfterFailedCollections) {
      next = changeDesired(next, name, 'FallbackReplicas', Math.max(config.fallbackReplicas, next.current),
        `${signals.consecutiveFailedCollections} collections failed in a row (limit ${config.fallbackAfterFailedCollections}): fallback ${config.fallbackReplicas}`,
        { consecutiveFailedCollections: signals.consecutiveFailedCollections, fallbackReplicas: config.fallbackReplicas });
    }
    if (next.desired >= next.current) return next;
    if (signals.dataAgeSeconds > config.maxDataAgeSeconds) {
      return changeDesired(next, name, 'StaleDataNoScaleIn', next.current,
        `data is ${signals.dataAgeSeconds} s old (limit ${config.maxDataAgeSeconds} s): no scale-in`,
        { dataAgeSeconds: signals.dataAgeSeconds, maxDataAgeSeconds: config.maxDataAgeSeconds });
    }
    if (signals.partialData || signals.consecutiveFailedCollections > 0) {
      return changeDesired(next, name, 'PartialDataNoScaleIn', next.current, 'some collectors failed: no scale-in',
        { consecutiveFailedCollections: signals.consecutiveFailedCollections });
    }
    return next;
  },
};
