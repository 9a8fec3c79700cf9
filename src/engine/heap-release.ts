// Gives the heap's freed pages back to the system once the daemon's work goes quiet.
//
// A sweep of 2,000 groups decodes megabytes of Kafka answers that are garbage a moment later.
// V8 collects them, but keeps the emptied pages mapped for reuse and returns them only on a
// memory-reducing collection, which its own heuristics rarely start in a process that wakes every
// few seconds: measured on the 2,000-group monitor, the V8 pages stayed at 80-93 MiB resident for
// a live heap of 30-35 MiB. One memory-reducing collection after the sweeps and evaluations go
// quiet brings them back to the live size (docs/benchmarks/daemon-rss.md, decision 0024).
//
// The collection needs Node's --expose-gc, which `lagpilot run` (bin/lagpilot.js) and the image
// start with. Without it (the daemon embedded in another process, the tests) nothing is released
// and nothing else changes.
import { Counter, Histogram, type Registry } from 'prom-client';
import { errorMessage, type Logger } from '../logging/logger.ts';
import type { Clock, TimerHandle } from './clock.ts';

/** Releases take at most 1 / this of the time. */
const maxTimeShareInverse = 100;

export interface HeapReleaseOptions {
  /** Runs one memory-reducing collection; undefined when this Node cannot (no --expose-gc). */
  collect: (() => void) | undefined;
  /** Time without new work before releasing: a burst of evaluations is released once, after it. */
  quietMillis: number;
  /**
   * Least time between two releases: bounds their cost when work never stops for long. A release
   * that took d ms also makes the next wait at least 100 × d, so releases never take more than
   * 1 % of the time (at 2,000 targets one takes about 300 ms: one per 30 s).
   */
  minIntervalMillis: number;
  clock: Clock;
  registry: Registry;
  logger: Logger;
}

/** Node's global `gc` (present with --expose-gc) as a memory-reducing collection, or undefined. */
export function exposedMemoryReducingCollection(): (() => void) | undefined {
  const exposed: unknown = Reflect.get(globalThis, 'gc');
  if (typeof exposed !== 'function') return undefined;
  // 'last-resort' is the flavour that compacts and returns emptied pages; a plain major
  // collection frees the objects but keeps the pages.
  return () => { Reflect.apply(exposed, globalThis, [{ type: 'major', execution: 'sync', flavor: 'last-resort' }]); };
}

export class HeapRelease {
  readonly #options: HeapReleaseOptions;
  readonly #releases: Counter;
  readonly #duration: Histogram;
  #timer: TimerHandle | undefined;
  /** Earliest time of the next release: the minimum interval, or longer after a slow release. */
  #nextAllowedAt = Number.NEGATIVE_INFINITY;
  /** When the first work not yet followed by a release finished. */
  #pendingSince: number | undefined;
  #stopped = false;

  constructor(options: HeapReleaseOptions) {
    this.#options = options;
    this.#releases = new Counter({
      name: 'lagpilot_heap_releases_total',
      help: 'Memory-reducing garbage collections run after sweeps and evaluations went quiet (freed heap pages returned to the system).',
      registers: [options.registry],
    });
    this.#duration = new Histogram({
      name: 'lagpilot_heap_release_duration_seconds',
      help: 'Time one heap release held the event loop.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [options.registry],
    });
    if (options.collect === undefined) {
      options.logger.info('heap release off: Node was started without --expose-gc (lagpilot run through bin/lagpilot.js or the image sets it)');
    }
  }

  /**
   * Work just finished (a sweep, an evaluation, a /metrics answer): release once none follows for the quiet time,
   * or at the latest the minimum interval after the first unreleased work, so that work that
   * never pauses (many targets on staggered intervals) still gets its releases.
   */
  noteActivity(): void {
    if (this.#stopped || this.#options.collect === undefined) return;
    const { clock, quietMillis, minIntervalMillis } = this.#options;
    const now = clock.now();
    this.#pendingSince ??= now;
    this.#timer?.cancel();
    const dueAt = Math.min(now + quietMillis, this.#pendingSince + minIntervalMillis);
    this.#timer = clock.setTimer(() => { this.#releaseWhenAllowed(); }, dueAt - now);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #releaseWhenAllowed(): void {
    this.#timer = undefined;
    const collect = this.#options.collect;
    if (this.#stopped || collect === undefined) return;
    const { clock, minIntervalMillis } = this.#options;
    const wait = this.#nextAllowedAt - clock.now();
    if (wait > 0) {
      this.#timer = clock.setTimer(() => { this.#releaseWhenAllowed(); }, wait);
      return;
    }
    this.#pendingSince = undefined;
    const startedAt = performance.now();
    let failure: unknown;
    try {
      collect();
    } catch (error) {
      failure = error;
    }
    const tookMillis = performance.now() - startedAt;
    this.#nextAllowedAt = clock.now() + Math.max(minIntervalMillis, tookMillis * maxTimeShareInverse);
    if (failure !== undefined) {
      // A collection cannot fail in practice; if it ever does, the daemon goes on without it.
      this.#options.logger.warn('heap release failed', { error: errorMessage(failure) });
      return;
    }
    this.#releases.inc();
    this.#duration.observe(tookMillis / 1000);
  }
}
