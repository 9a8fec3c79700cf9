// A consumer group's health over a window of observations, in Burrow's terms, so people who
// alert on Burrow today read the same words. Each partition is judged on its own; the group
// takes its worst partition. Pure: the collector keeps the window, this only reads it.
//
// Kafka's OffsetFetch answer carries no commit time, so "commits happen" is read from the group:
// a partition whose committed offset did not move while lag stayed above zero is STALL when the
// group still has members (they are there, committing the same offset or stuck before it) and
// STOP when it has none (nobody is committing at all).

export type ConsumerStatus = 'OK' | 'WARN' | 'STALL' | 'STOP' | 'REWIND' | 'UNKNOWN';

/** Worse statuses come later: the group's status is its partitions' maximum by this order. */
export const consumerStatusSeverity: Readonly<Record<ConsumerStatus, number>> = {
  UNKNOWN: 0,
  OK: 1,
  WARN: 2,
  STALL: 3,
  STOP: 4,
  REWIND: 5,
};

/** Offsets as numbers: exact below 2^53, which no Kafka offset reaches in practice, and a tenth of a bigint's memory in a window. */
export interface PartitionObservation {
  timeMs: number;
  /** null when the group has no committed offset there (or it could not be read). */
  committedOffset: number | null;
  /** null when the lag was unknown at that time. */
  lag: number | null;
}

export interface GroupObservation {
  timeMs: number;
  /** Members of the group at that time; 0 for an empty group. */
  memberCount: number;
  /** Keyed by "topic/partition". */
  partitions: ReadonlyMap<string, PartitionObservation>;
}

export interface StatusVerdict {
  status: ConsumerStatus;
  /** One sentence a person can act on. */
  reason: string;
}

export interface GroupStatus extends StatusVerdict {
  /** The partitions that gave the group its status (empty for OK and UNKNOWN). */
  partitions: { key: string; verdict: StatusVerdict }[];
}

/** Judges one partition from its observations (oldest first) and the group's latest member count. */
export function partitionStatus(observations: readonly PartitionObservation[], memberCount: number): StatusVerdict {
  const known = observations.filter((o): o is PartitionObservation & { committedOffset: number; lag: number } => o.committedOffset !== null && o.lag !== null);
  for (let index = 1; index < known.length; index += 1) {
    const before = known[index - 1];
    const after = known[index];
    if (before !== undefined && after !== undefined && after.committedOffset < before.committedOffset) {
      return { status: 'REWIND', reason: `committed offset went back from ${String(before.committedOffset)} to ${String(after.committedOffset)}` };
    }
  }
  const latest = known.at(-1);
  const oldest = known[0];
  if (latest === undefined || oldest === undefined || known.length < 2) {
    return { status: 'UNKNOWN', reason: `${String(known.length)} observation(s) with a committed offset and lag: at least 2 are needed` };
  }
  if (known.some((o) => o.lag === 0)) return { status: 'OK', reason: 'caught up within the window' };
  if (latest.committedOffset === oldest.committedOffset) {
    const span = `${String(Math.round((latest.timeMs - oldest.timeMs) / 1000))} s`;
    if (memberCount === 0) {
      return { status: 'STOP', reason: `no member and no commit for ${span} while ${String(latest.lag)} message(s) wait` };
    }
    return { status: 'STALL', reason: `committed offset stuck at ${String(latest.committedOffset)} for ${span} with ${String(latest.lag)} message(s) of lag` };
  }
  const lagAlwaysGrew = known.every((o, index) => {
    const previous = known[index - 1];
    return previous === undefined || o.lag > previous.lag;
  });
  if (lagAlwaysGrew) {
    return { status: 'WARN', reason: `lag grew at every observation, from ${String(oldest.lag)} to ${String(latest.lag)}, while offsets moved` };
  }
  return { status: 'OK', reason: 'offsets move and lag is not growing steadily' };
}

/** The group's status: the worst of its partitions over the window (observations oldest first). */
export function groupStatus(window: readonly GroupObservation[]): GroupStatus {
  const latest = window.at(-1);
  if (latest === undefined) return { status: 'UNKNOWN', reason: 'no observation yet', partitions: [] };
  const keys = new Set<string>();
  for (const observation of window) for (const key of observation.partitions.keys()) keys.add(key);
  const verdicts = [...keys].sort().map((key) => {
    const series = window.flatMap((observation) => {
      const partition = observation.partitions.get(key);
      return partition === undefined ? [] : [partition];
    });
    return { key, verdict: partitionStatus(series, latest.memberCount) };
  });
  return worstStatus(verdicts);
}

/** The group's status from its partitions' verdicts: the worst one, naming the partitions that have it. */
export function worstStatus(verdicts: readonly { key: string; verdict: StatusVerdict }[]): GroupStatus {
  const worst = verdicts.reduce<StatusVerdict | undefined>(
    (current, { verdict }) => (current === undefined || consumerStatusSeverity[verdict.status] > consumerStatusSeverity[current.status] ? verdict : current),
    undefined,
  );
  if (worst === undefined) return { status: 'UNKNOWN', reason: 'the group has no partition to judge', partitions: [] };
  const culprits = worst.status === 'OK' || worst.status === 'UNKNOWN' ? [] : verdicts.filter(({ verdict }) => verdict.status === worst.status);
  const reason = culprits.length === 0 ? worst.reason : `${culprits.map(({ key }) => key).slice(0, 5).join(', ')}${culprits.length > 5 ? ` and ${String(culprits.length - 5)} more` : ''}: ${worst.reason}`;
  return { status: worst.status, reason, partitions: [...culprits] };
}
