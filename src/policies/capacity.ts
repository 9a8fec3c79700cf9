// Per-replica capacity: configured, or measured while the group is saturated (a backlog means
// the consumers ran flat out, so consumed / ready is what one replica can do).
import type { ScalingSignals } from './types.ts';

export interface CapacityEstimate {
  perReplica: number;
  source: 'configured' | 'measured';
}

export function perReplicaCapacity(configured: number | undefined, signals: ScalingSignals): CapacityEstimate | null {
  if (configured !== undefined && configured > 0) return { perReplica: configured, source: 'configured' };
  const { consumeRate, backlogMessages, readyReplicas } = signals;
  if (consumeRate === undefined || backlogMessages === undefined || backlogMessages <= 0 || readyReplicas <= 0) return null;
  if (!(consumeRate > 0)) return null;
  return { perReplica: consumeRate / Math.min(readyReplicas, signals.partitions), source: 'measured' };
}
