// The control loop of one target, run at each of its ticks or at once when an alert asks:
// collectors → signals → policies and the safety pipeline (decide(), the simulator's code) →
// leader gate → actuator → journal, metrics and log.
//
// Every replica collects and decides, so a follower that takes over is warm; only the leader
// applies and journals (the journal shows one writer per term). One target's evaluations never
// overlap: a request while one runs joins the evaluation that follows it. A target that fails
// (its actuator unreadable, its store away) fails alone: each target is its own tick.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Actuator, ActuationResult } from '../actuators/actuator.ts';
import { describeError } from '../actuators/actuator.ts';
import type { EngineConfig } from '../policies/config.ts';
import { decide } from '../policies/engine.ts';
import type { CapacityMeasurement, EvaluationMark } from '../policies/capacity.ts';
import type { Decision, JournaledActuation, ScalingSignals } from '../policies/types.ts';
import { loadScalingHistory, recordEvaluation } from '../state/engine-history.ts';
import type { StateStore } from '../state/store.ts';
import type { ScalingHistory } from '../policies/safety/stage.ts';
import { errorMessage, type Logger } from '../logging/logger.ts';
import type { CollectionPlan, LastCollections, TargetCollection } from './collection.ts';
import type { Clock } from './clock.ts';
import { emptySignalMemory, signalsFromCollection, type SignalMemory } from './signals.ts';
import { withHeldMinimum, type HeldMinimum, type MinimumHolds } from './minimum-holds.ts';

export interface ReconciledTarget {
  name: string;
  engine: EngineConfig;
  plan: CollectionPlan;
  actuator: Actuator;
  /** Time limit of an evaluation asked for outside the schedule (the target's tickTimeout). */
  evaluationTimeoutMillis: number;
  /** Fields every log line about the target carries (its group and cluster). */
  logFields?: Record<string, unknown>;
}

/** Who may actuate: the leader elector, or a single instance that always leads. */
export interface LeaderGate {
  readonly identity: string;
  readonly term: number;
  isLeader(): boolean;
}

/** A lone lagpilot without an election leads for as long as it runs. */
export function singleInstanceGate(identity: string): LeaderGate {
  return { identity, term: 1, isLeader: () => true };
}

export interface ReconcilerOptions {
  targets: readonly ReconciledTarget[];
  collect: (plan: CollectionPlan, signal: AbortSignal) => Promise<TargetCollection>;
  store: StateStore;
  leader: LeaderGate;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Where the last collection of each target is kept for /metrics. */
  last?: LastCollections;
  /** Minimums raised while alerts fire (alert routes); each evaluation applies those in force. */
  minimumHolds?: MinimumHolds;
  /** Told about every evaluation as it ends (the status page's history); must not throw. */
  onEvaluated?: (report: EvaluationReport) => void;
}

/** What one evaluation saw and how it ended. */
export interface EvaluationReport {
  target: string;
  /** When the evaluation began, epoch milliseconds. */
  startedAtMs: number;
  outcome: ReconcileOutcome;
  /** The replicas in force as the actuator read them; absent when it could not be read. */
  current?: number;
  collection?: TargetCollection;
  signals?: ScalingSignals;
}

/** What an evaluation saw so far; filled in as it goes, so a failed one still reports it. */
type EvaluationInputs = Pick<EvaluationReport, 'current' | 'collection' | 'signals'>;

export type ReconcileOutcome =
  | { kind: 'actuated'; decision: Decision; result: ActuationResult }
  | { kind: 'kept'; decision: Decision }
  | { kind: 'follower'; decision: Decision }
  | { kind: 'failed'; reason: string };

/** Memory of the engine that is not in the store: the last evaluation's mark and the measured capacity. */
interface TargetMemory {
  signals: SignalMemory;
  lastEvaluation?: EvaluationMark;
  measuredCapacity?: CapacityMeasurement;
  /**
   * Changes this replica applied that the journal could not record (its store was away), oldest
   * first. Written before anything newer, so the journal keeps every applied change in order and
   * the cooldowns read from it hold.
   */
  unjournaled: Decision[];
  /**
   * A journal write given up at the time limit while the store did not answer: it may still land.
   * The next evaluation waits for it before catching the journal up, so nothing is written twice.
   */
  lateWrite?: Promise<unknown>;
  /** The catch-up of the journal under way, if any. */
  catchUp?: Promise<void>;
}

interface TargetSlot {
  target: ReconciledTarget;
  /** The target's logger, made once: every evaluation logs through it. */
  logger: Logger;
  memory: TargetMemory;
  running?: Promise<ReconcileOutcome>;
  /** The evaluation queued behind the running one; later requests join it. */
  queued?: Promise<ReconcileOutcome>;
}

const loopBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Reconciler {
  readonly #options: ReconcilerOptions;
  readonly #slots = new Map<string, TargetSlot>();
  readonly #decisions: Counter<'target' | 'action'>;
  readonly #actuations: Counter<'target' | 'status'>;
  readonly #actuationFailures: Counter<'target' | 'code'>;
  readonly #desired: Gauge<'target'>;
  readonly #current: Gauge<'target'>;
  readonly #loopDuration: Histogram<'target'>;
  readonly #journalFailures: Counter<'target'>;
  readonly #stateStoreFailures: Counter<'target'>;

  constructor(options: ReconcilerOptions) {
    this.#options = options;
    for (const target of options.targets) {
      const logger = options.logger.child({ target: target.name, ...target.logFields });
      this.#slots.set(target.name, { target, logger, memory: { signals: emptySignalMemory(), unjournaled: [] } });
    }
    const registers = [options.registry];
    this.#decisions = new Counter({ name: 'lagpilot_decisions_total', help: 'Decisions made, by target and action (scaleUp, scaleDown, none); followers count theirs too.', labelNames: ['target', 'action'], registers });
    this.#actuations = new Counter({ name: 'lagpilot_actuations_total', help: 'Decisions handed to the actuator by the leader, by result status (applied, noop, dryRun, failed).', labelNames: ['target', 'status'], registers });
    this.#actuationFailures = new Counter({ name: 'lagpilot_actuation_failures_total', help: 'Failed actuations and unreadable actuator states, by stable code.', labelNames: ['target', 'code'], registers });
    this.#desired = new Gauge({ name: 'lagpilot_desired_replicas', help: 'Replicas the last decision asked for.', labelNames: ['target'], registers });
    this.#current = new Gauge({ name: 'lagpilot_current_replicas', help: 'Replicas in force as the actuator last read them.', labelNames: ['target'], registers });
    this.#loopDuration = new Histogram({ name: 'lagpilot_loop_duration_seconds', help: 'Time of one evaluation of a target, from reading the actuator to the journal.', labelNames: ['target'], buckets: loopBuckets, registers });
    this.#journalFailures = new Counter({ name: 'lagpilot_journal_failures_total', help: 'Decisions the journal could not record when made (an applied change is journaled later, before the next decision).', labelNames: ['target'], registers });
    this.#stateStoreFailures = new Counter({ name: 'lagpilot_state_store_failures_total', help: 'Evaluations that decided nothing because the state store (cooldowns, recommendations, journal, alert holds) could not be read or caught up.', labelNames: ['target'], registers });
    for (const { name } of options.targets) {
      this.#journalFailures.inc({ target: name }, 0);
      this.#stateStoreFailures.inc({ target: name }, 0);
      for (const action of ['scaleUp', 'scaleDown', 'none']) this.#decisions.inc({ target: name, action }, 0);
      for (const status of ['applied', 'noop', 'dryRun', 'failed']) this.#actuations.inc({ target: name, status }, 0);
    }
  }

  get targets(): string[] {
    return [...this.#slots.keys()];
  }

  /** The scheduler's tick: rejects when the target could not be evaluated, so the tick counts as an error. */
  readonly tick = async (target: string, signal: AbortSignal): Promise<void> => {
    const outcome = await this.#enqueue(target, signal);
    if (outcome.kind === 'failed') throw new Error(outcome.reason);
  };

  /**
   * Evaluates `target` at once (the alert path), or right after the evaluation running now.
   * Never rejects for a failure of the target: the outcome says what happened.
   */
  async evaluateNow(target: string): Promise<ReconcileOutcome> {
    const slot = this.#slot(target);
    // The time limit starts when the evaluation does, not while it waits behind a running one.
    return this.#enqueue(target, () => AbortSignal.timeout(slot.target.evaluationTimeoutMillis));
  }

  #slot(target: string): TargetSlot {
    const slot = this.#slots.get(target);
    if (slot === undefined) throw new Error(`unknown target "${target}" (configured: ${this.targets.join(', ') || 'none'})`);
    return slot;
  }

  #enqueue(target: string, signal: AbortSignal | (() => AbortSignal)): Promise<ReconcileOutcome> {
    const slot = this.#slot(target);
    if (slot.running === undefined) return this.#start(slot, signal);
    // One evaluation after the running one serves every request made meanwhile: it sees data
    // newer than all of them.
    slot.queued ??= slot.running.then(() => {
      slot.queued = undefined;
      return this.#start(slot, signal);
    });
    return slot.queued;
  }

  #start(slot: TargetSlot, signal: AbortSignal | (() => AbortSignal)): Promise<ReconcileOutcome> {
    const running = this.#reconcile(slot, typeof signal === 'function' ? signal() : signal).finally(() => {
      if (slot.running === running) slot.running = undefined;
    });
    slot.running = running;
    return running;
  }

  async #reconcile(slot: TargetSlot, signal: AbortSignal): Promise<ReconcileOutcome> {
    const startedAtMs = this.#options.clock.now();
    const seen: EvaluationInputs = {};
    const outcome = await this.#evaluate(slot, signal, seen);
    try {
      this.#options.onEvaluated?.({ target: slot.target.name, startedAtMs, outcome, ...seen });
    } catch (error) {
      // What watches the loop must never stop it.
      this.#options.logger.error('evaluation observer failed', { target: slot.target.name, error: errorMessage(error) });
    }
    return outcome;
  }

  async #evaluate(slot: TargetSlot, signal: AbortSignal, seen: EvaluationInputs): Promise<ReconcileOutcome> {
    const { target, logger } = slot;
    const { clock, store, leader } = this.#options;
    const startedAt = clock.now();
    try {
      // The count in force is read before collecting: a collection that takes its time then
      // cannot see workers that a decision made after the read started.
      let current: number;
      try {
        const state = await target.actuator.current({ name: target.name });
        current = state.replicas;
        for (const notice of state.notices) logger.warn('actuator notice', { actuator: target.actuator.kind, notice });
      } catch (error) {
        this.#actuationFailures.inc({ target: target.name, code: 'CurrentUnreadable' });
        return failed(logger, `${target.name}: the ${target.actuator.kind} actuator could not read the replicas in force: ${describeError(error)}`);
      }
      this.#current.set({ target: target.name }, current);
      seen.current = current;

      const collection = await this.#options.collect(target.plan, signal);
      seen.collection = collection;
      this.#options.last?.record(collection);
      if (collection.errors.length > 0) {
        logger.warn('collection incomplete', { errors: collection.errors.map((error) => `${error.source} ${error.code}: ${error.message}`) });
      }
      const derived = signalsFromCollection({ collection, currentReplicas: current, memory: slot.memory.signals });
      slot.memory.signals = derived.memory;
      seen.signals = derived.signals;
      if (derived.failure !== undefined) logger.warn('collection failed', { reason: derived.failure, consecutiveFailedCollections: derived.memory.consecutiveFailedCollections });

      const measuredEngine = derived.capacityPerReplica === undefined
        ? target.engine
        : { ...target.engine, throughput: { ...target.engine.throughput, capacityPerReplica: derived.capacityPerReplica } };
      // Past its time limit the evaluation still decides (its decision is counted and logged,
      // not applied), so the store gets one more time limit of its own.
      const storeSignal = withinTimeLimit(signal, target.evaluationTimeoutMillis);
      const { minimumHolds } = this.#options;
      let held: HeldMinimum | undefined;
      try {
        // The holds live in the same Redis as the journal: a frozen one must not hold the
        // evaluation past its time limit here either.
        held = minimumHolds === undefined ? undefined : await untilAborted(storeSignal, () => minimumHolds.heldMinimum(target.name, clock.now()));
      } catch (error) {
        this.#stateStoreFailures.inc({ target: target.name });
        return failed(logger, `${target.name}: the alert holds could not be read, so nothing was decided or applied (a minimum raised by an alert unknown): ${errorMessage(error)}`);
      }
      const raised = held === undefined ? undefined : withHeldMinimum(measuredEngine, held);
      const engine = raised?.engine ?? measuredEngine;
      let stored: ScalingHistory;
      try {
        await untilAborted(storeSignal, () => this.#catchUpJournal(slot, store));
        stored = await untilAborted(storeSignal, () => loadScalingHistory(store, target.name, engine, derived.signals.time));
      } catch (error) {
        // Without its history the engine would not know its cooldowns: nothing is decided.
        this.#stateStoreFailures.inc({ target: target.name });
        return failed(logger, `${target.name}: the state store could not be read, so nothing was decided or applied (cooldowns and recent recommendations unknown): ${errorMessage(error)}`);
      }
      const evaluation = decide(engine, derived.signals, {
        ...stored,
        ...(slot.memory.lastEvaluation === undefined ? {} : { lastEvaluation: slot.memory.lastEvaluation }),
        ...(slot.memory.measuredCapacity === undefined ? {} : { measuredCapacity: slot.memory.measuredCapacity }),
      });
      slot.memory.lastEvaluation = evaluation.history.lastEvaluation;
      slot.memory.measuredCapacity = evaluation.history.measuredCapacity;
      const decision: Decision = raised === undefined ? evaluation.decision : { ...evaluation.decision, reasons: [raised.reason, ...evaluation.decision.reasons] };
      logger.debug('evaluated', {
        samples: collection.samples.length,
        errors: collection.errors.length,
        partial: collection.partial,
        collectionSeconds: Number(collection.durationSeconds.toFixed(3)),
        action: decision.action,
        current: decision.current,
        desired: decision.desired,
      });
      this.#decisions.inc({ target: target.name, action: decision.action });
      this.#desired.set({ target: target.name }, decision.desired);
      if (signal.aborted) return failed(logger, `${target.name}: evaluation abandoned before actuation (${abortReason(signal)})`);

      if (!leader.isLeader()) {
        logger.debug('decision not applied: this replica does not lead', { action: decision.action, current: decision.current, desired: decision.desired, leader: leader.identity });
        return { kind: 'follower', decision };
      }
      const term = leader.term;
      if (decision.action === 'none') {
        // Nothing to apply: the count read from the actuator is the count decided. Journaled
        // all the same, so `explain` shows why the group was kept as it is.
        const kept: Decision = { ...decision, leader: { identity: leader.identity, term } };
        try {
          await untilAborted(signal, () => recordEvaluation(store, target.name, engine, { decision: kept, history: evaluation.history }));
        } catch (error) {
          // Nothing changed, so no cooldown is missing; only `explain` lacks this entry.
          this.#journalFailures.inc({ target: target.name });
          return failed(logger, `${target.name}: kept ${decision.current} replicas but the journal could not record it: ${errorMessage(error)}`);
        }
        return { kind: 'kept', decision: kept };
      }
      const result = await this.#apply(target, decision);
      this.#actuations.inc({ target: target.name, status: result.status });
      if (result.status === 'failed') this.#actuationFailures.inc({ target: target.name, code: result.code });
      if (result.replicasAfter !== undefined) {
        this.#current.set({ target: target.name }, result.replicasAfter);
        seen.current = result.replicasAfter;
      }
      const actuation: JournaledActuation = { status: result.status, code: result.code, detail: result.detail };
      const journaled: Decision = { ...decision, actuation, leader: { identity: leader.identity, term } };
      let write: Promise<void> | undefined;
      // The change is made whether or not the evaluation's time ran out while the actuator
      // worked (stopping workers gracefully can outlast it): the journal then gets a time limit
      // of its own, so the change is recorded now rather than at the next evaluation.
      const journalSignal = withinTimeLimit(signal, target.evaluationTimeoutMillis);
      try {
        await untilAborted(journalSignal, () => (write = recordEvaluation(store, target.name, engine, { decision: journaled, history: evaluation.history })));
      } catch (error) {
        // The change is made and the actuator reports it next time, so it is not applied twice.
        // It is journaled before the next evaluation reads the history, so its cooldown holds.
        this.#journalFailures.inc({ target: target.name });
        if (result.status !== 'failed') slot.memory.unjournaled.push(journaled);
        if (write !== undefined) slot.memory.lateWrite = write.catch(() => undefined);
        return failed(logger, `${target.name}: ${result.status} (${result.detail}) but the journal could not record it: ${errorMessage(error)}; it is journaled once the store answers, before the next decision`);
      }
      const fields = {
        action: decision.action,
        current: decision.current,
        desired: decision.desired,
        reasons: decision.reasons.map((entry) => entry.code),
        actuation: `${result.status} ${result.code}`,
        detail: result.detail,
      };
      if (result.status === 'failed') logger.error('actuation failed', fields);
      else logger.info('decision', fields);
      return { kind: 'actuated', decision: journaled, result };
    } catch (error) {
      return failed(logger, `${target.name}: evaluation failed: ${errorMessage(error)}`);
    } finally {
      this.#loopDuration.observe({ target: target.name }, (clock.now() - startedAt) / 1000);
    }
  }

  /**
   * One catch-up of the journal at a time per target: an evaluation that gave up on one (its time
   * limit passed) leaves it running, and the next joins it rather than writing the same entries.
   */
  #catchUpJournal(slot: TargetSlot, store: StateStore): Promise<void> {
    slot.memory.catchUp ??= this.#journalUnjournaled(slot, store).finally(() => { slot.memory.catchUp = undefined; });
    return slot.memory.catchUp;
  }

  /**
   * Journals the changes an earlier evaluation applied but could not record, oldest first. One
   * whose write reached Redis though its reply was lost is already there: it is not written twice.
   */
  async #journalUnjournaled(slot: TargetSlot, store: StateStore): Promise<void> {
    if (slot.memory.lateWrite !== undefined) {
      await slot.memory.lateWrite;
      slot.memory.lateWrite = undefined;
    }
    const pending = slot.memory.unjournaled;
    if (pending.length === 0) return;
    const recent = await store.recentDecisions(slot.target.name, pending.length + unjournaledLookback);
    while (pending.length > 0) {
      const [oldest] = pending;
      if (oldest === undefined) break;
      if (!recent.some((entry) => sameDecision(entry, oldest))) await store.appendDecision(slot.target.name, oldest);
      pending.shift();
      this.#options.logger.info('journaled a change recorded late', { target: slot.target.name, time: oldest.time, action: oldest.action, current: oldest.current, desired: oldest.desired });
    }
  }

  async #apply(target: ReconciledTarget, decision: Decision): Promise<ActuationResult> {
    try {
      return await target.actuator.apply({ target: { name: target.name }, decision });
    } catch (error) {
      // The contract says apply() reports failures as values; one that throws is a bug, and
      // still must not take the loop down.
      return { status: 'failed', code: 'ActuatorThrew', detail: `${target.name}: the ${target.actuator.kind} actuator threw: ${describeError(error)}` };
    }
  }
}

/** `signal` while it runs; once it was aborted, a fresh time limit of `millis` for the work that must still be done. */
function withinTimeLimit(signal: AbortSignal, millis: number): AbortSignal {
  return signal.aborted ? AbortSignal.timeout(millis) : signal;
}

/** Journal entries read back to find a late change already written: more than any outage writes. */
const unjournaledLookback = 50;

function sameDecision(left: Decision, right: Decision): boolean {
  return left.time === right.time && left.action === right.action && left.current === right.current && left.desired === right.desired
    && left.leader?.identity === right.leader?.identity && left.leader?.term === right.leader?.term;
}

/**
 * The state store's answer, or a rejection when the evaluation's time limit passes first: a
 * store that stops answering (a frozen Redis holds the connection open) must not hold the
 * target's evaluations forever. What the store answers later is dropped. Once the time is up,
 * the store is not asked at all.
 */
async function untilAborted<T>(signal: AbortSignal, ask: () => Promise<T>): Promise<T> {
  if (signal.aborted) throw new Error(`the state store was not asked: ${abortReason(signal)}`);
  const work = ask();
  let onAbort: (() => void) | undefined;
  const abandoned = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(new Error(`the state store did not answer within the evaluation's time limit (${abortReason(signal)})`)); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, abandoned]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    work.catch(() => undefined);
    abandoned.catch(() => undefined);
  }
}

function failed(logger: Logger, reason: string): ReconcileOutcome {
  logger.error('target evaluation failed', { reason });
  return { kind: 'failed', reason };
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason);
}
