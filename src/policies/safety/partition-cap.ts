// Stage 3: no more consumers than partitions (unless idle consumers are allowed), and the
// cheapest count that really has the capacity asked for. The busiest consumer holds
// ceil(P / n) partitions and sets the pace, so n consumers drain like P / ceil(P / n):
// 7 consumers on 24 partitions drain no faster than 6, and asking for 7 means asking for 8.
import type { DraftDecision, SafetyContext, SafetyStage } from './stage.ts';
import { changeDesired } from './stage.ts';

const name = 'partitionCap';

/** Replica-equivalents of throughput that `replicas` consumers deliver on `partitions`. */
export function effectiveConsumers(replicas: number, partitions: number): number {
  if (replicas <= 0) return 0;
  return partitions / Math.ceil(partitions / Math.min(replicas, partitions));
}

/** The smallest count, at most `limit`, whose effective throughput reaches `needed` (or the best under `limit`). */
export function cheapestCountFor(needed: number, partitions: number, limit: number): number {
  const upper = Math.min(limit, partitions);
  for (let count = Math.max(1, Math.min(needed, upper)); count <= upper; count += 1) {
    if (effectiveConsumers(count, partitions) >= needed) return count;
  }
  const best = effectiveConsumers(upper, partitions);
  return Math.ceil(partitions / Math.ceil(partitions / best));
}

export const partitionCapStage: SafetyStage = {
  name,
  apply(draft: DraftDecision, context: SafetyContext): DraftDecision {
    const partitions = context.signals.partitions;
    if (context.config.allowIdleConsumers || partitions <= 0 || draft.desired <= 0) return draft;
    let next = draft;
    if (next.desired > partitions) {
      next = changeDesired(next, name, 'PartitionCap', partitions, `no more consumers than the ${partitions} partitions`, { partitions });
    }
    // Trimming an uneven count to the cheaper one with the same throughput (7 → 6 under a
    // maximum of 7) never goes below the current count: this stage must not start a scale-in
    // that the stages before it (stale data) held back.
    const even = Math.max(cheapestCountFor(next.desired, partitions, context.maxReplicas), Math.min(next.desired, next.current));
    return changeDesired(next, name, 'EvenDistribution', even,
      `${next.desired} consumers on ${partitions} partitions: ${even} is the cheapest count draining at least as fast`,
      { partitions, partitionsPerConsumer: Math.ceil(partitions / even), effectiveConsumers: effectiveConsumers(even, partitions) });
  },
};
