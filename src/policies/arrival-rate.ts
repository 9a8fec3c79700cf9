// The produce rate a scale-up should plan for. The collectors' produce rate is an average over
// the last interval, so a burst that began inside the interval shows as a fraction of itself.
// The backlog tells more: every unconsumed message arrived within the last `lagSeconds`, so
// backlog / lagSeconds is the arrival rate over exactly that recent stretch. The larger of the
// two is the rate to carry.
import { round } from './types.ts';
import type { Evidence, ScalingSignals } from './types.ts';

export interface ArrivalRate {
  rate: number;
  evidence: Evidence;
}

export function plannedArrivalRate(signals: ScalingSignals): ArrivalRate | null {
  const { produceRate, backlogMessages, lagSeconds } = signals;
  if (produceRate === undefined) return null;
  const recentRate = backlogMessages !== undefined && lagSeconds !== undefined && lagSeconds >= 1 ? backlogMessages / lagSeconds : 0;
  return {
    rate: Math.max(produceRate, recentRate),
    evidence: { produceRate: round(produceRate), backlogArrivalRate: round(recentRate) },
  };
}
