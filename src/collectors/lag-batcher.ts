// Targets' ticks arrive one by one, but the lag collector is cheapest when one sweep reads many
// groups of a cluster at once (one OffsetFetch per coordinator, one ListOffsets per leader for
// all of them). The scheduler starts every target's first tick at the same moment and ticks
// targets of equal interval together, so the collections requested within a few milliseconds of
// each other are gathered here into one sweep, and each caller gets its own target's result.
import type { CollectionContext, CollectionResult } from './collector.ts';
import type { GroupReport, LagTarget, SweepReport } from './kafka-lag.ts';

/** The part of the lag collector the batcher needs. */
export interface LagSweeper {
  readonly source: string;
  sweep(targets: readonly LagTarget[], context: CollectionContext): Promise<SweepReport>;
  resultOf(report: GroupReport): CollectionResult;
}

interface Waiting {
  target: LagTarget;
  nowMs: number;
  settle: (result: CollectionResult) => void;
}

export interface LagSweepBatcherOptions {
  /** How long the first request of a batch waits for others. Default 20 ms. */
  gatherMs?: number;
}

export class LagSweepBatcher {
  readonly source: string;
  readonly #sweeper: LagSweeper;
  readonly #gatherMs: number;
  #waiting: Waiting[] = [];
  #gathering = false;
  /** Sweeps made and targets they covered, for tests and benchmarks. */
  readonly stats = { sweeps: 0, targets: 0 };

  constructor(sweeper: LagSweeper, options: LagSweepBatcherOptions = {}) {
    this.#sweeper = sweeper;
    this.source = sweeper.source;
    this.#gatherMs = options.gatherMs ?? 20;
  }

  /** The target's lag, read in a sweep shared with the targets requested around the same time. Never rejects. */
  collect(target: LagTarget, context: CollectionContext): Promise<CollectionResult> {
    return new Promise((settle) => {
      this.#waiting.push({ target, nowMs: context.nowMs, settle });
      if (this.#gathering) return;
      this.#gathering = true;
      setTimeout(() => { void this.#flush(); }, this.#gatherMs);
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#waiting;
    this.#waiting = [];
    this.#gathering = false;
    // A target asked for twice in one batch is read once.
    const targets = [...new Map(batch.map((waiting) => [waiting.target.name, waiting.target])).values()];
    const nowMs = Math.max(...batch.map((waiting) => waiting.nowMs));
    this.stats.sweeps += 1;
    this.stats.targets += targets.length;
    let report: SweepReport | undefined;
    let failure: string | undefined;
    try {
      // Each caller's tick keeps its own time limit (the runner abandons a late caller); the shared
      // sweep is not cut short by one caller's abort, so the others still get their results.
      report = await this.#sweeper.sweep(targets, { nowMs, signal: new AbortController().signal });
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    for (const waiting of batch) {
      const group = report?.groups.get(waiting.target.name);
      if (group !== undefined) {
        waiting.settle(this.#sweeper.resultOf(group));
        continue;
      }
      const message = failure === undefined ? `the lag sweep returned no report for target ${waiting.target.name}` : `lag sweep failed: ${failure}`;
      waiting.settle({ samples: [], errors: [{ code: 'INTERNAL', source: this.source, message }], partial: true });
    }
  }
}
