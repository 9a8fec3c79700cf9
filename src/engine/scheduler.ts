// The control loop's heartbeat: one scheduler runs every target's tick at its interval. Its
// guarantees, relied on by everything a tick will do later (collect, decide, actuate):
// - never two ticks of one target at once: a tick that comes due while the previous one still
//   runs is skipped and counted, not queued (queued ticks would act on stale data in a burst);
// - every tick has a time limit: at the limit its AbortSignal fires and it counts as a timeout;
// - a tick never crashes the process: a throw or rejection is logged and counted;
// - on stop, no new tick starts and running ones get until a deadline to finish.
import { Counter, Histogram, type Registry } from 'prom-client';
import { errorMessage, type Logger } from '../logging/logger.ts';
import type { Clock, TimerHandle } from './clock.ts';

/** One evaluation of one target. It must give up promptly when `signal` aborts. */
export type TickFunction = (target: string, signal: AbortSignal) => Promise<void>;

export interface ScheduledTarget {
  name: string;
  intervalMillis: number;
  tickTimeoutMillis: number;
}

export type TickOutcome = 'ok' | 'error' | 'timeout' | 'skipped';
export const tickOutcomes: readonly TickOutcome[] = ['ok', 'error', 'timeout', 'skipped'];

export interface SchedulerOptions {
  targets: readonly ScheduledTarget[];
  tick: TickFunction;
  clock: Clock;
  logger: Logger;
  registry: Registry;
}

export interface StopResult {
  /** Targets whose tick was still running at the deadline (their signal was aborted). */
  abandoned: string[];
}

/** Why a tick's signal was aborted. */
export class TickAbortedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TickAbortedError';
  }
}

interface RunningTick {
  promise?: Promise<void>;
  controller: AbortController;
}

interface TargetState {
  target: ScheduledTarget;
  nextDueAt: number;
  timer?: TimerHandle;
  running?: RunningTick;
}

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #states: TargetState[];
  readonly #ticks: Counter<'target' | 'outcome'>;
  readonly #tickDuration: Histogram<'target'>;
  #state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#states = options.targets.map((target) => ({ target, nextDueAt: 0 }));
    this.#ticks = new Counter({
      name: 'lagpilot_ticks_total',
      help: 'Ticks of each target, by outcome (ok, error, timeout, skipped: due while the previous one still ran).',
      labelNames: ['target', 'outcome'],
      registers: [options.registry],
    });
    this.#tickDuration = new Histogram({
      name: 'lagpilot_tick_duration_seconds',
      help: 'Time from the start of a tick until it settled.',
      labelNames: ['target'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [options.registry],
    });
    // Zero-valued series from the start, so rate() and alerts work before the first error.
    for (const { name } of options.targets) {
      for (const outcome of tickOutcomes) this.#ticks.inc({ target: name, outcome }, 0);
    }
  }

  /** Starts ticking; the first tick of every target runs at once. */
  start(): void {
    if (this.#state !== 'new') throw new Error(`the scheduler cannot start: it is ${this.#state}`);
    this.#state = 'running';
    const now = this.#options.clock.now();
    for (const state of this.#states) {
      state.nextDueAt = now;
      this.#arm(state);
    }
    this.#options.logger.info('scheduler started', { targets: this.#states.map((state) => state.target.name) });
  }

  /** Names of the targets whose tick is running now. */
  runningTargets(): string[] {
    return this.#states.filter((state) => state.running !== undefined).map((state) => state.target.name);
  }

  /**
   * Takes no new ticks, then waits for running ones until `deadlineMillis` has passed; ticks
   * still running then are aborted and reported, not awaited.
   */
  async stop(deadlineMillis: number): Promise<StopResult> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return { abandoned: [] };
    this.#state = 'stopping';
    for (const state of this.#states) state.timer?.cancel();
    const inFlight = this.#states.flatMap((state) => (state.running?.promise === undefined ? [] : [state.running.promise]));
    this.#options.logger.info('scheduler stopping', { runningTicks: this.runningTargets(), deadlineMillis });
    let deadlineTimer: TimerHandle | undefined;
    const deadlinePassed = new Promise<'deadline'>((resolveDeadline) => {
      deadlineTimer = this.#options.clock.setTimer(() => { resolveDeadline('deadline'); }, deadlineMillis);
    });
    const result = await Promise.race([Promise.all(inFlight).then(() => 'finished' as const), deadlinePassed]);
    deadlineTimer?.cancel();
    const abandoned = result === 'deadline' ? this.runningTargets() : [];
    for (const state of this.#states) {
      state.running?.controller.abort(new TickAbortedError('the scheduler stopped and its deadline passed'));
    }
    this.#state = 'stopped';
    if (abandoned.length > 0) {
      this.#options.logger.warn('scheduler stopped with ticks still running', { abandoned, deadlineMillis });
    } else {
      this.#options.logger.info('scheduler stopped');
    }
    return { abandoned };
  }

  #arm(state: TargetState): void {
    const delay = state.nextDueAt - this.#options.clock.now();
    state.timer = this.#options.clock.setTimer(() => { this.#onDue(state); }, delay);
  }

  #onDue(state: TargetState): void {
    if (this.#state !== 'running') return;
    // Fixed rate, not fixed delay: a slow tick does not shift the schedule. Slots missed while
    // the process was stalled are dropped, not caught up in a burst.
    const now = this.#options.clock.now();
    const { intervalMillis } = state.target;
    do state.nextDueAt += intervalMillis;
    while (state.nextDueAt <= now);
    this.#arm(state);
    this.#startTick(state);
  }

  #startTick(state: TargetState): void {
    const { name, tickTimeoutMillis } = state.target;
    const logger = this.#options.logger;
    if (state.running !== undefined) {
      this.#ticks.inc({ target: name, outcome: 'skipped' });
      logger.warn('tick skipped: the previous tick of this target is still running', { target: name });
      return;
    }
    const clock = this.#options.clock;
    const controller = new AbortController();
    const startedAt = clock.now();
    let timedOut = false;
    const timeout = clock.setTimer(() => {
      timedOut = true;
      this.#ticks.inc({ target: name, outcome: 'timeout' });
      logger.warn('tick timed out; aborting it', { target: name, tickTimeoutMillis });
      controller.abort(new TickAbortedError(`tick of ${name} exceeded its timeout of ${tickTimeoutMillis} ms`));
    }, tickTimeoutMillis);
    // Marked running before the tick starts: a tick that throws synchronously settles before
    // `run()` even returns.
    const running: RunningTick = { controller };
    state.running = running;
    const run = async (): Promise<void> => {
      try {
        await this.#options.tick(name, controller.signal);
        if (!timedOut) this.#ticks.inc({ target: name, outcome: 'ok' });
      } catch (error) {
        // After a timeout the tick's own rejection (usually the abort) is expected: counted once.
        if (!timedOut) {
          this.#ticks.inc({ target: name, outcome: 'error' });
          logger.error('tick failed', { target: name, error: errorMessage(error) });
        }
      } finally {
        timeout.cancel();
        this.#tickDuration.observe({ target: name }, (clock.now() - startedAt) / 1000);
        if (state.running === running) state.running = undefined;
      }
    };
    running.promise = run();
  }
}
