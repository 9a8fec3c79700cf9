import { expect } from 'chai';
import type { CollectionResult } from './collector.ts';
import type { GroupReport, LagTarget, SweepReport } from './kafka-lag.ts';
import { LagSweepBatcher, type LagSweeper } from './lag-batcher.ts';

function target(name: string): LagTarget {
  return { name, cluster: 'main', consumerGroup: `${name}-group`, topics: ['t'], offsetReset: 'latest', lagSeconds: 'off' };
}

function fakeSweeper(behaviour: 'answer' | 'throw' | 'omit' = 'answer'): LagSweeper & { sweeps: string[][] } {
  const sweeps: string[][] = [];
  return {
    source: 'kafka-lag',
    sweeps,
    sweep(targets) {
      sweeps.push(targets.map((t) => t.name));
      if (behaviour === 'throw') return Promise.reject(new Error('boom'));
      const groups = new Map<string, GroupReport>();
      if (behaviour === 'answer') for (const t of targets) groups.set(t.name, { target: t.name } as GroupReport);
      const report: SweepReport = { groups, requests: new Map(), durationMs: 1 };
      return Promise.resolve(report);
    },
    resultOf(report): CollectionResult {
      return { samples: [{ name: 'consumergroup_lag_messages', value: 1, unit: 'messages', labels: { target: report.target }, timestampMs: 0, source: 'kafka-lag' }], errors: [], partial: false };
    },
  };
}

const context = { nowMs: 1_700_000_000_000, signal: new AbortController().signal };

describe('LagSweepBatcher', () => {
  it('reads targets requested together in one sweep and gives each its own result', async () => {
    const sweeper = fakeSweeper();
    const batcher = new LagSweepBatcher(sweeper, { gatherMs: 10 });
    const results = await Promise.all(['a', 'b', 'c', 'a'].map((name) => batcher.collect(target(name), context)));
    expect(sweeper.sweeps).to.deep.equal([['a', 'b', 'c']]);
    expect(results.map((result) => result.samples[0]?.labels.target)).to.deep.equal(['a', 'b', 'c', 'a']);
    await batcher.collect(target('d'), context);
    expect(sweeper.sweeps).to.deep.equal([['a', 'b', 'c'], ['d']]);
    expect(batcher.stats).to.deep.equal({ sweeps: 2, targets: 4 });
  });

  it('turns a failed sweep and a missing report into error values naming the target', async () => {
    const failing = new LagSweepBatcher(fakeSweeper('throw'), { gatherMs: 1 });
    const failed = await failing.collect(target('a'), context);
    expect(failed.errors[0]?.message).to.equal('lag sweep failed: boom');
    expect(failed.partial).to.be.true;
    const omitting = new LagSweepBatcher(fakeSweeper('omit'), { gatherMs: 1 });
    expect((await omitting.collect(target('x'), context)).errors[0]?.message).to.contain('no report for target x');
  });
});
