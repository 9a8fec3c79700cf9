// Lag of one partition from its three offsets, counting only messages the broker still holds.
// KEDA and ConsumerGroupCommand count `logEnd - committed` even when retention deleted part of
// that range; those messages can never be consumed, so scaling on them only burns replicas.
// Every case where the number is not the plain difference carries a flag that says why.

/** Where a consumer without a committed offset starts (Kafka's auto.offset.reset). */
export type OffsetResetPolicy = 'earliest' | 'latest';

export type PartitionFlag =
  /** Retention or deleteRecords removed messages the group never read: lag counts from the log start. */
  | 'committed-below-log-start'
  /** The group never committed on this partition: the reset policy decides where it would start. */
  | 'no-committed-offset'
  /** The committed offset is past the log end (the topic was recreated or truncated): lag 0. */
  | 'committed-beyond-log-end'
  /** No broker leads the partition: its offsets cannot be read and its lag is unknown, not 0. */
  | 'no-leader'
  /** Listing the log-start or log-end offset failed: lag unknown. */
  | 'offsets-unavailable'
  /** Reading the group's committed offsets failed: lag unknown. */
  | 'committed-unavailable';

export interface PartitionOffsets {
  /** null when the group has no committed offset on the partition. */
  committedOffset: bigint | null;
  /** null when it could not be read. */
  logStartOffset: bigint | null;
  logEndOffset: bigint | null;
  hasLeader: boolean;
  /** False when the committed offsets of the group could not be read at all. */
  committedKnown: boolean;
}

export interface PartitionLag {
  /** Messages between where the group would resume and the log end; null when unknown. */
  lag: bigint | null;
  /** The offset the group would consume next (after applying log start and reset policy); null when unknown. */
  resumeOffset: bigint | null;
  flags: PartitionFlag[];
}

export function partitionLag(offsets: PartitionOffsets, resetPolicy: OffsetResetPolicy): PartitionLag {
  if (!offsets.hasLeader) return { lag: null, resumeOffset: null, flags: ['no-leader'] };
  if (!offsets.committedKnown) return { lag: null, resumeOffset: null, flags: ['committed-unavailable'] };
  const { logStartOffset: logStart, logEndOffset: logEnd, committedOffset: committed } = offsets;
  if (logStart === null || logEnd === null) return { lag: null, resumeOffset: null, flags: ['offsets-unavailable'] };
  if (committed === null) {
    const resumeOffset = resetPolicy === 'earliest' ? logStart : logEnd;
    return { lag: logEnd - resumeOffset, resumeOffset, flags: ['no-committed-offset'] };
  }
  if (committed < logStart) return { lag: logEnd - logStart, resumeOffset: logStart, flags: ['committed-below-log-start'] };
  if (committed > logEnd) return { lag: 0n, resumeOffset: logEnd, flags: ['committed-beyond-log-end'] };
  return { lag: logEnd - committed, resumeOffset: committed, flags: [] };
}
