// The engine's collection runner: runs a target's collectors for one evaluation and measures
// every one of them the same way (lagpilot_collector_duration_seconds,
// lagpilot_collector_errors_total), so no collector times or counts itself. Collectors are
// meant never to throw, but a runner that trusts that lets one bug stop the loop: a rejection,
// a collector that hangs past its time limit, and the tick's abort all become error values here,
// and the evaluation goes on with what the others read.
//
// Two phases: readers ask the outside world (Kafka, Prometheus) in parallel; derivations then
// compute from what the readers saw (throughput from offsets, capacity from rates), in order.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { CollectionContext, CollectionError, CollectionErrorCode, CollectionResult, Sample } from '../collectors/collector.ts';
import type { Logger } from '../logging/logger.ts';

/** One collector bound to one target: reads the world. */
export interface ReadStep {
  /** The collector's kind: the `collector` label of its metrics. */
  source: string;
  collect(context: CollectionContext): Promise<CollectionResult>;
}

/** One computation over what the readers of the same evaluation saw. */
export interface DeriveStep {
  source: string;
  derive(samples: readonly Sample[], context: CollectionContext): Promise<CollectionResult>;
}

export interface CollectionPlan {
  target: string;
  readers: readonly ReadStep[];
  derivations: readonly DeriveStep[];
}

/** What one evaluation of a target collected. */
export interface TargetCollection extends CollectionResult {
  target: string;
  /** The evaluation's time (epoch milliseconds). */
  collectedAtMs: number;
  durationSeconds: number;
}

export interface CollectionRunnerOptions {
  registry: Registry;
  /** Limit of each step, also when the tick's own signal allows longer. */
  stepTimeoutMillis: number;
  now?: () => number;
}

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** How every collector is measured: its time per evaluation and its errors by code. */
export interface CollectorMeasures {
  duration: Histogram<'collector'>;
  errors: Counter<'collector' | 'code'>;
}

/**
 * The collector measures of `registry`, created by whichever of the collection runner and the
 * group monitor asks first and shared by both, so that a monitor's sweeps are counted beside the
 * targets' collections.
 */
export function collectorMeasures(registry: Registry): CollectorMeasures {
  const existingDuration = registry.getSingleMetric('lagpilot_collector_duration_seconds');
  const existingErrors = registry.getSingleMetric('lagpilot_collector_errors_total');
  const duration = existingDuration ?? new Histogram({
    name: 'lagpilot_collector_duration_seconds',
    help: 'Time one collector took for one target evaluation, timeouts included.',
    labelNames: ['collector'],
    buckets: durationBuckets,
    registers: [registry],
  });
  const errors = existingErrors ?? new Counter({
    name: 'lagpilot_collector_errors_total',
    help: 'Errors collectors reported (or the runner reported for them: TIMEOUT, INTERNAL), by stable code.',
    labelNames: ['collector', 'code'],
    registers: [registry],
  });
  if (!(duration instanceof Histogram) || !(errors instanceof Counter)) {
    throw new Error('lagpilot_collector_duration_seconds or lagpilot_collector_errors_total is already registered with another type');
  }
  return { duration, errors };
}

export class CollectionRunner {
  readonly #stepTimeoutMillis: number;
  readonly #now: () => number;
  readonly #duration: Histogram<'collector'>;
  readonly #errors: Counter<'collector' | 'code'>;

  constructor(options: CollectionRunnerOptions) {
    this.#stepTimeoutMillis = options.stepTimeoutMillis;
    this.#now = options.now ?? Date.now;
    ({ duration: this.#duration, errors: this.#errors } = collectorMeasures(options.registry));
  }

  /** Runs the plan; never rejects. */
  async run(plan: CollectionPlan, signal: AbortSignal): Promise<TargetCollection> {
    const startedAt = performance.now();
    const collectedAtMs = this.#now();
    const samples: Sample[] = [];
    const errors: CollectionError[] = [];
    let partial = false;
    const take = (result: CollectionResult): void => {
      samples.push(...result.samples);
      errors.push(...result.errors);
      partial ||= result.partial || result.errors.length > 0;
    };

    const readResults = await Promise.all(
      plan.readers.map((step) => this.#measured(step.source, signal, collectedAtMs, (context) => step.collect(context))),
    );
    readResults.forEach(take);
    for (const step of plan.derivations) {
      const seen: readonly Sample[] = [...samples];
      take(await this.#measured(step.source, signal, collectedAtMs, (context) => step.derive(seen, context)));
    }
    return { target: plan.target, samples, errors, partial, collectedAtMs, durationSeconds: (performance.now() - startedAt) / 1000 };
  }

  async #measured(source: string, tickSignal: AbortSignal, nowMs: number, work: (context: CollectionContext) => Promise<CollectionResult>): Promise<CollectionResult> {
    const startedAt = performance.now();
    const stepAbort = new AbortController();
    const failure = (code: CollectionErrorCode, message: string): CollectionResult => ({ samples: [], errors: [{ code, source, message }], partial: true });
    let timer: NodeJS.Timeout | undefined;
    let onTickAbort: (() => void) | undefined;
    // Settles when the step must be given up: its time limit passed or the tick was aborted.
    // Either way the step's own signal is aborted, so a collector that honours it stops working.
    const givenUp = new Promise<CollectionResult>((resolve) => {
      timer = setTimeout(() => {
        stepAbort.abort(new Error(`collector ${source} exceeded ${this.#stepTimeoutMillis} ms`));
        resolve(failure('TIMEOUT', `collector ${source} gave no result within ${this.#stepTimeoutMillis} ms; abandoned`));
      }, this.#stepTimeoutMillis);
      onTickAbort = (): void => {
        stepAbort.abort(tickSignal.reason);
        resolve(failure('TIMEOUT', `collector ${source} abandoned: the evaluation was aborted (${abortReason(tickSignal)})`));
      };
      if (tickSignal.aborted) onTickAbort();
      else tickSignal.addEventListener('abort', onTickAbort, { once: true });
    });
    let result: CollectionResult;
    try {
      const running = Promise.resolve()
        .then(() => work({ nowMs, signal: stepAbort.signal }))
        .then(
          (value) => (isCollectionResult(value) ? value : failure('INTERNAL', `collector ${source} returned something that is not a collection result`)),
          (error: unknown) => failure('INTERNAL', `collector ${source} threw: ${error instanceof Error ? error.message : String(error)}`),
        );
      result = await Promise.race([running, givenUp]);
    } finally {
      clearTimeout(timer);
      if (onTickAbort !== undefined) tickSignal.removeEventListener('abort', onTickAbort);
    }
    this.#duration.observe({ collector: source }, (performance.now() - startedAt) / 1000);
    for (const error of result.errors) this.#errors.inc({ collector: source, code: error.code });
    return result;
  }
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason);
}

function isCollectionResult(value: unknown): value is CollectionResult {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<CollectionResult>;
  return Array.isArray(candidate.samples) && Array.isArray(candidate.errors) && typeof candidate.partial === 'boolean';
}

/** The last collection of each target, for /metrics and the policies. */
export class LastCollections {
  readonly #byTarget = new Map<string, TargetCollection>();
  readonly #keepSample: ((name: string) => boolean) | undefined;
  #version = 0;

  /**
   * `keepSample` names the samples worth keeping past the evaluation (what /metrics exports):
   * without per-partition series, a target's per-partition samples (about 60 of its 70 at 10
   * partitions) would otherwise stay alive until its next collection, 17.7 MiB at 2,000 targets.
   * By default every sample is kept.
   */
  constructor(keepSample?: (name: string) => boolean) {
    this.#keepSample = keepSample;
  }

  /** Grows with every change, so readers can tell whether what they derived is current. */
  get version(): number {
    return this.#version;
  }

  record(collection: TargetCollection): void {
    const keep = this.#keepSample;
    this.#byTarget.set(collection.target, keep === undefined ? collection : { ...collection, samples: collection.samples.filter((sample) => keep(sample.name)) });
    this.#version += 1;
  }

  get(target: string): TargetCollection | undefined {
    return this.#byTarget.get(target);
  }

  all(): TargetCollection[] {
    return [...this.#byTarget.values()];
  }

  /** Forgets targets no longer configured. */
  retain(targets: ReadonlySet<string>): void {
    for (const name of this.#byTarget.keys()) {
      if (targets.has(name)) continue;
      this.#byTarget.delete(name);
      this.#version += 1;
    }
  }
}

export interface CollectionTickOptions {
  plans: ReadonlyMap<string, CollectionPlan>;
  runner: CollectionRunner;
  last: LastCollections;
  logger: Logger;
  /** Fields logged with each visit, by target (its group and cluster). */
  describe?: (target: string) => Record<string, unknown>;
}

/** The scheduler's tick: collect the target through the runner and keep the result for /metrics. */
export function collectionTick(options: CollectionTickOptions): (target: string, signal: AbortSignal) => Promise<void> {
  return async (target, signal) => {
    const plan = options.plans.get(target);
    if (plan === undefined) throw new Error(`no collection plan for target ${target}`);
    const collection = await options.runner.run(plan, signal);
    options.last.record(collection);
    const fields = {
      target,
      ...options.describe?.(target),
      samples: collection.samples.length,
      errors: collection.errors.length,
      partial: collection.partial,
      durationSeconds: Number(collection.durationSeconds.toFixed(3)),
    };
    options.logger.debug('tick', fields);
    if (collection.errors.length > 0) {
      options.logger.warn('collection incomplete', { target, errors: collection.errors.map((error) => `${error.source} ${error.code}: ${error.message}`) });
    }
  };
}
