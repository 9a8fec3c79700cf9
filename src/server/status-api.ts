// GET /api/status and GET /api/status/history: what the status page (and anyone with curl) reads.
// /api/status is the present: every target's lag, replicas, consumer status, data freshness and
// newest journaled decisions, and whether this replica leads. /api/status/history is the last
// hour of one target from the in-process history, incrementally: `since` returns only what came
// after what the caller already has.
import type { TargetConfig } from '../config/schema.ts';
import { errorMessage } from '../logging/logger.ts';
import type { Decision } from '../policies/types.ts';
import type { JournalRead, StateStore } from '../state/store.ts';
import type { DecisionMarker, StatusHistory, StatusPoint } from './status-history.ts';

export const defaultStatusDecisions = 5;
export const maxStatusDecisions = 50;

/** A configured target as the status API describes it. */
export interface StatusTargetDescription {
  name: string;
  /** The actuator's kind: kubernetesScale, localProcess, webhook, dryRun... */
  kind: string;
  cluster: string;
  consumerGroup: string;
  /** The topic list, or the pattern that selects topics. */
  topics: string[] | { pattern: string };
  replicas: { min: number; max: number };
  lagTarget: { seconds: number | null; messagesPerReplica: number | null };
  intervalMillis: number;
}

export interface StatusSource {
  version: string;
  targets: readonly StatusTargetDescription[];
  history: StatusHistory;
  /** The decision journal. */
  store: StateStore;
  leader: { readonly identity: string; readonly term: number; isLeader(): boolean };
  now: () => number;
}

export interface TargetStatus {
  name: string;
  kind: string;
  cluster: string;
  consumerGroup: string;
  topics: string[] | { pattern: string };
  replicas: { current: number | null; desired: number | null; min: number; max: number };
  lag: { messages: number | null; seconds: number | null; targetSeconds: number | null; targetMessagesPerReplica: number | null };
  consumer: { status: string | null; members: number | null };
  freshness: {
    /** Start of the newest evaluation, epoch milliseconds; null before the first. */
    evaluatedAtMs: number | null;
    secondsSinceEvaluation: number | null;
    /** Age of the oldest figure the newest decision used. */
    dataAgeSeconds: number | null;
    partialData: boolean;
    /** True when no evaluation came within three intervals (or none yet). */
    stale: boolean;
    collectionErrors: string[];
  };
  lastOutcome: { kind: StatusPoint['outcome']; action: StatusPoint['action']; failure: string | null } | null;
  /** Newest first, from the journal (what the leader applied or kept). */
  decisions: Decision[];
  /** Why `decisions` is empty when the journal could not be read. */
  decisionsError: string | null;
}

export interface StatusAnswer {
  generatedAtMs: number;
  version: string;
  instance: { identity: string; leading: boolean; term: number };
  /**
   * Who applies decisions: this replica while it leads; otherwise the writer of the newest
   * journaled decision (the journal is shared), which may be out of date; null when unknown.
   */
  leader: { identity: string; term: number; source: 'this replica' | 'journal' } | null;
  history: { windowSeconds: number; pointsPerTarget: number };
  targets: TargetStatus[];
}

export interface HistoryAnswer {
  target: string;
  /** Points and markers are those after this time (epoch milliseconds). */
  sinceMs: number;
  untilMs: number;
  windowSeconds: number;
  intervalMillis: number;
  points: StatusPoint[];
  markers: DecisionMarker[];
}

export type StatusReply<Body> = { status: 200; body: Body } | { status: 400 | 404; body: { error: string } };

export async function statusAnswer(query: URLSearchParams, source: StatusSource): Promise<StatusReply<StatusAnswer>> {
  const decisionsText = query.get('decisions');
  let decisionCount = defaultStatusDecisions;
  if (decisionsText !== null) {
    decisionCount = /^[0-9]{1,4}$/.test(decisionsText) ? Number(decisionsText) : Number.NaN;
    if (!(decisionCount >= 0 && decisionCount <= maxStatusDecisions)) {
      return { status: 400, body: { error: `the decisions parameter must be a whole number from 0 to ${maxStatusDecisions}, got ${JSON.stringify(decisionsText)}` } };
    }
  }
  const nowMs = source.now();
  const journals = await readJournals(source, decisionCount);
  const targets = source.targets.map((target) => targetStatus(target, source, nowMs, journals(target.name)));
  const leading = source.leader.isLeader();
  return {
    status: 200,
    body: {
      generatedAtMs: nowMs,
      version: source.version,
      instance: { identity: source.leader.identity, leading, term: source.leader.term },
      leader: leading ? { identity: source.leader.identity, term: source.leader.term, source: 'this replica' } : journaledLeader(targets),
      history: { windowSeconds: source.history.windowMillis / 1000, pointsPerTarget: source.history.pointsPerTarget },
      targets,
    },
  };
}

function journaledLeader(targets: readonly TargetStatus[]): StatusAnswer['leader'] {
  let newest: Decision | undefined;
  for (const target of targets) {
    const decision = target.decisions[0];
    if (decision?.leader !== undefined && (newest === undefined || decision.time > newest.time)) newest = decision;
  }
  return newest?.leader === undefined ? null : { identity: newest.leader.identity, term: newest.leader.term, source: 'journal' };
}

/** One target's journaled decisions, or why they are missing. */
interface TargetJournal { decisions: Decision[]; error: string | null }

/**
 * Every target's newest decisions in one batched read of the journal (one round trip to Redis,
 * not one per target). The rest of the status is live and worth showing while the journal's
 * store is away: a read that fails gives every target the cause, one target's unreadable
 * journal only that target.
 */
async function readJournals(source: StatusSource, decisionCount: number): Promise<(target: string) => TargetJournal> {
  // Zero decisions asked: the journal is not read at all, so its store being away costs nothing.
  if (decisionCount === 0) return () => ({ decisions: [], error: null });
  const unreadable = (error: unknown): string => `the decision journal could not be read: ${errorMessage(error)}`;
  let reads: Map<string, JournalRead>;
  try {
    reads = await source.store.recentDecisionsOfTargets(source.targets.map((target) => target.name), decisionCount);
  } catch (error) {
    const everyTarget = unreadable(error);
    return () => ({ decisions: [], error: everyTarget });
  }
  return (target) => {
    const read = reads.get(target);
    if (read === undefined) return { decisions: [], error: unreadable(`the store gave no answer for ${target}`) };
    return read.ok ? { decisions: read.decisions, error: null } : { decisions: [], error: unreadable(read.error) };
  };
}

function targetStatus(target: StatusTargetDescription, source: StatusSource, nowMs: number, journal: TargetJournal): TargetStatus {
  const latest = source.history.latest(target.name);
  const evaluatedAtMs = latest?.point.timeMs ?? null;
  const secondsSinceEvaluation = evaluatedAtMs === null ? null : Math.max(0, (nowMs - evaluatedAtMs) / 1000);
  return {
    name: target.name,
    kind: target.kind,
    cluster: target.cluster,
    consumerGroup: target.consumerGroup,
    topics: target.topics,
    replicas: { current: latest?.point.current ?? null, desired: latest?.point.desired ?? null, min: target.replicas.min, max: target.replicas.max },
    lag: {
      messages: latest?.point.lagMessages ?? null,
      seconds: latest?.point.lagSeconds ?? null,
      targetSeconds: target.lagTarget.seconds,
      targetMessagesPerReplica: target.lagTarget.messagesPerReplica,
    },
    consumer: { status: latest?.consumerStatus ?? null, members: latest?.consumerMembers ?? null },
    freshness: {
      evaluatedAtMs,
      secondsSinceEvaluation,
      dataAgeSeconds: latest?.dataAgeSeconds ?? null,
      partialData: latest?.partialData ?? false,
      stale: secondsSinceEvaluation === null || secondsSinceEvaluation * 1000 > 3 * target.intervalMillis,
      collectionErrors: latest?.collectionErrors ?? [],
    },
    lastOutcome: latest === undefined ? null : { kind: latest.point.outcome, action: latest.point.action, failure: latest.failure },
    decisions: journal.decisions,
    decisionsError: journal.error,
  };
}

export function historyAnswer(query: URLSearchParams, source: StatusSource): StatusReply<HistoryAnswer> {
  const name = query.get('target');
  if (name === null || name === '') {
    return { status: 400, body: { error: 'the target parameter is missing: use /api/status/history?target=NAME[&since=EPOCH_MILLISECONDS]' } };
  }
  const target = source.targets.find((entry) => entry.name === name);
  if (target === undefined) {
    const configured = source.targets.map((entry) => entry.name).join(', ') || 'none';
    return { status: 404, body: { error: `no target named ${JSON.stringify(name)} (configured: ${configured})` } };
  }
  const nowMs = source.now();
  const windowStart = nowMs - source.history.windowMillis;
  const sinceText = query.get('since');
  let sinceMs = windowStart;
  if (sinceText !== null) {
    if (!/^[0-9]{1,16}$/.test(sinceText)) {
      return { status: 400, body: { error: `the since parameter must be a time in epoch milliseconds (a whole number), got ${JSON.stringify(sinceText)}` } };
    }
    // Older than the window asks for the whole window: nothing older is kept.
    sinceMs = Math.max(Number(sinceText), windowStart);
  }
  return {
    status: 200,
    body: {
      target: name,
      sinceMs,
      untilMs: nowMs,
      windowSeconds: source.history.windowMillis / 1000,
      intervalMillis: target.intervalMillis,
      points: source.history.points(name, sinceMs, nowMs),
      markers: source.history.markers(name, sinceMs, nowMs),
    },
  };
}

/** How the status API describes the configured targets. */
export function describeTargets(targets: readonly TargetConfig[]): StatusTargetDescription[] {
  return targets.map((target) => ({
    name: target.name,
    kind: target.actuator.kind,
    cluster: target.cluster,
    consumerGroup: target.consumerGroup,
    topics: target.topics ?? { pattern: target.topicPattern ?? '' },
    replicas: { min: target.replicas.min, max: target.replicas.max },
    lagTarget: { seconds: target.lag.targetSeconds ?? null, messagesPerReplica: target.lag.targetMessagesPerReplica ?? null },
    intervalMillis: target.interval,
  }));
}
