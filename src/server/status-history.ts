// The status page's memory: per target, a point for every evaluation (lag, replicas, what was
// decided) and a marker for every decision that changed the count, kept in fixed-size rings so
// the memory a daemon spends on it has a ceiling however long it runs and however short its
// interval. Points older than the window are not served; the ring's size caps how many are kept
// in it (at a 1 s interval, 3600 points are exactly the hour).
import { Counter, type Registry } from 'prom-client';
import type { EvaluationReport, ReconcileOutcome } from '../engine/reconciler.ts';
import type { JournaledActuation, ScalingAction } from '../policies/types.ts';

/** One evaluation of one target, as the plots draw it. */
export interface StatusPoint {
  /** When the evaluation began, epoch milliseconds. */
  timeMs: number;
  /** Offset lag summed over partitions; null when it could not be read. */
  lagMessages: number | null;
  /** Age of the oldest unconsumed message; null when it could not be read. */
  lagSeconds: number | null;
  /** Replicas in force after the evaluation; null when the actuator could not be read. */
  current: number | null;
  /** Replicas decided; null when no decision was made. */
  desired: number | null;
  action: ScalingAction | null;
  outcome: ReconcileOutcome['kind'];
}

/** A decision that changed (or, on a follower, would have changed) the replica count. */
export interface DecisionMarker {
  timeMs: number;
  action: Exclude<ScalingAction, 'none'>;
  current: number;
  desired: number;
  reasons: { code: string; message: string }[];
  /** What the actuator did; absent on a follower, which does not apply. */
  actuation?: JournaledActuation;
  /** False when this replica only decided it and did not lead. */
  applied: boolean;
}

/** The newest evaluation of a target with what the page shows besides the plots. */
export interface LatestEvaluation {
  point: StatusPoint;
  /** Burrow-style status of the consumer group (OK, WARN, STALL, STOP, REWIND, UNKNOWN). */
  consumerStatus: string | null;
  consumerMembers: number | null;
  /** Age of the oldest figure the decision used, seconds; null when nothing was read. */
  dataAgeSeconds: number | null;
  partialData: boolean;
  /** One line per collector error: "source CODE: message". */
  collectionErrors: string[];
  /** Why the evaluation failed, when it did. */
  failure: string | null;
}

export interface StatusHistoryOptions {
  /** How far back points are served. */
  windowMillis?: number;
  /** The ring size of points per target: the memory bound. */
  pointsPerTarget?: number;
  /** The ring size of decision markers per target. */
  markersPerTarget?: number;
  /** Where lagpilot_decision_reasons_total is registered, if anywhere. */
  registry?: Registry;
}

export const defaultHistoryWindowMillis = 3_600_000;
export const defaultPointsPerTarget = 3600;
export const defaultMarkersPerTarget = 500;

/** A fixed-capacity ring: the newest `capacity` items, oldest first on read. */
export class Ring<T> {
  readonly capacity: number;
  // Grown as items arrive rather than allocated at full capacity: 2,000 targets' two rings each
  // held 63 MiB of empty slots from the first second.
  readonly #items: (T | undefined)[] = [];
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`a ring needs a whole capacity of at least 1, got ${String(capacity)}`);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** The items oldest first that satisfy `keep`. */
  toArray(keep: (item: T) => boolean = () => true): T[] {
    const result: T[] = [];
    const oldest = (this.#next - this.#size + this.capacity) % this.capacity;
    for (let offset = 0; offset < this.#size; offset += 1) {
      const item = this.#items[(oldest + offset) % this.capacity];
      if (item !== undefined && keep(item)) result.push(item);
    }
    return result;
  }
}

interface TargetHistory {
  points: Ring<StatusPoint>;
  markers: Ring<DecisionMarker>;
  latest?: LatestEvaluation;
}

export class StatusHistory {
  readonly windowMillis: number;
  readonly pointsPerTarget: number;
  readonly markersPerTarget: number;
  readonly #targets = new Map<string, TargetHistory>();
  readonly #reasons: Counter<'target' | 'action' | 'reason'> | undefined;

  constructor(options: StatusHistoryOptions = {}) {
    this.windowMillis = options.windowMillis ?? defaultHistoryWindowMillis;
    this.pointsPerTarget = options.pointsPerTarget ?? defaultPointsPerTarget;
    this.markersPerTarget = options.markersPerTarget ?? defaultMarkersPerTarget;
    if (options.registry !== undefined) {
      this.#reasons = new Counter({
        name: 'lagpilot_decision_reasons_total',
        help: 'Reasons given by decisions, by target, action and reason code (each code once per decision); followers count theirs too.',
        labelNames: ['target', 'action', 'reason'],
        registers: [options.registry],
      });
    }
  }

  /** The reconciler's observer: remembers what one evaluation saw and decided. */
  readonly record = (report: EvaluationReport): void => {
    const history = this.#history(report.target);
    const { outcome, signals, collection } = report;
    const decision = outcome.kind === 'failed' ? undefined : outcome.decision;
    const point: StatusPoint = {
      timeMs: report.startedAtMs,
      lagMessages: signals?.backlogMessages ?? null,
      lagSeconds: signals?.lagSeconds ?? null,
      current: report.current ?? null,
      desired: decision?.desired ?? null,
      action: decision?.action ?? null,
      outcome: outcome.kind,
    };
    history.points.push(point);
    const samples = collection?.samples ?? [];
    const statusSample = samples.find((sample) => sample.name === 'consumergroup_status');
    const membersSample = samples.find((sample) => sample.name === 'consumergroup_members');
    const dataAge = signals?.dataAgeSeconds;
    history.latest = {
      point,
      consumerStatus: statusSample?.labels.status ?? null,
      consumerMembers: membersSample?.value ?? null,
      dataAgeSeconds: dataAge === undefined || !Number.isFinite(dataAge) ? null : dataAge,
      partialData: collection?.partial ?? false,
      collectionErrors: (collection?.errors ?? []).map((error) => `${error.source} ${error.code}: ${error.message}`),
      failure: outcome.kind === 'failed' ? outcome.reason : null,
    };
    if (decision === undefined) return;
    if (this.#reasons !== undefined) {
      for (const code of new Set(decision.reasons.map((entry) => entry.code))) {
        this.#reasons.inc({ target: report.target, action: decision.action, reason: code });
      }
    }
    if (decision.action === 'none') return;
    history.markers.push({
      timeMs: report.startedAtMs,
      action: decision.action,
      current: decision.current,
      desired: decision.desired,
      reasons: decision.reasons.map((entry) => ({ code: entry.code, message: entry.message })),
      ...(outcome.kind === 'actuated' ? { actuation: { status: outcome.result.status, code: outcome.result.code, detail: outcome.result.detail } } : {}),
      applied: outcome.kind === 'actuated',
    });
  };

  latest(target: string): LatestEvaluation | undefined {
    return this.#targets.get(target)?.latest;
  }

  /** Points after `sinceMs` (exclusive) and within the window ending at `nowMs`, oldest first. */
  points(target: string, sinceMs: number, nowMs: number): StatusPoint[] {
    const from = Math.max(sinceMs, nowMs - this.windowMillis - 1);
    return this.#targets.get(target)?.points.toArray((point) => point.timeMs > from) ?? [];
  }

  /** Decision markers after `sinceMs` (exclusive) and within the window ending at `nowMs`, oldest first. */
  markers(target: string, sinceMs: number, nowMs: number): DecisionMarker[] {
    const from = Math.max(sinceMs, nowMs - this.windowMillis - 1);
    return this.#targets.get(target)?.markers.toArray((marker) => marker.timeMs > from) ?? [];
  }

  #history(target: string): TargetHistory {
    let history = this.#targets.get(target);
    if (history === undefined) {
      history = { points: new Ring(this.pointsPerTarget), markers: new Ring(this.markersPerTarget) };
      this.#targets.set(target, history);
    }
    return history;
  }
}
