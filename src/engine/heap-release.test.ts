import { expect } from 'chai';
import { Registry } from 'prom-client';
import { silentLogger } from '../logging/logger.ts';
import { ManualClock } from './clock.ts';
import { exposedMemoryReducingCollection, HeapRelease } from './heap-release.ts';

interface Harness {
  clock: ManualClock;
  registry: Registry;
  release: HeapRelease;
  /** Clock times at which a collection ran. */
  collections: number[];
}

function harness(options: { quietMillis?: number; minIntervalMillis?: number; collect?: 'none' | 'counting' | 'throwing' } = {}): Harness {
  const clock = new ManualClock(1_000_000);
  const registry = new Registry();
  const collections: number[] = [];
  const mode = options.collect ?? 'counting';
  const collect = mode === 'none' ? undefined : () => {
    collections.push(clock.now());
    if (mode === 'throwing') throw new Error('no collection today');
  };
  const release = new HeapRelease({ collect, quietMillis: options.quietMillis ?? 1_000, minIntervalMillis: options.minIntervalMillis ?? 10_000, clock, registry, logger: silentLogger });
  return { clock, registry, release, collections };
}

async function releases(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('lagpilot_heap_releases_total')?.get();
  return metric?.values[0]?.value ?? 0;
}

describe('HeapRelease', () => {
  it('releases once after a burst of work goes quiet, and counts it', async () => {
    const h = harness();
    for (let step = 0; step < 5; step += 1) {
      h.release.noteActivity();
      await h.clock.advance(200);
    }
    expect(h.collections, 'not while work keeps coming').to.deep.equal([]);
    await h.clock.advance(1_000);
    expect(h.collections).to.deep.equal([1_000_000 + 5 * 200 - 200 + 1_000]);
    expect(await releases(h.registry)).to.equal(1);
    await h.clock.advance(60_000);
    expect(h.collections, 'nothing more without new work').to.have.length(1);
  });

  it('waits for the minimum interval between two releases', async () => {
    const h = harness({ quietMillis: 1_000, minIntervalMillis: 10_000 });
    h.release.noteActivity();
    await h.clock.advance(1_000);
    h.release.noteActivity();
    await h.clock.advance(1_000);
    expect(h.collections, 'the second waits').to.have.length(1);
    await h.clock.advance(8_999);
    expect(h.collections, 'not before 10 s after the first').to.have.length(1);
    await h.clock.advance(1);
    expect(h.collections).to.deep.equal([1_001_000, 1_011_000]);
  });

  it('still releases when work never goes quiet, at the minimum interval after the first unreleased work', async () => {
    const h = harness({ quietMillis: 1_000, minIntervalMillis: 5_000 });
    for (let step = 0; step < 60; step += 1) {
      h.release.noteActivity();
      await h.clock.advance(500);
    }
    expect(h.collections.length).to.be.within(5, 6);
    h.collections.slice(1).forEach((at, index) => {
      expect(at - (h.collections[index] ?? 0)).to.be.at.least(5_000);
    });
  });

  it('waits 100 times as long as the last release took when that is longer than the minimum interval', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry();
    const collections: number[] = [];
    // A release that holds the main thread for a few milliseconds of real time.
    const slowCollect = (): void => {
      collections.push(clock.now());
      const until = performance.now() + 5;
      while (performance.now() < until) { /* the collection's work */ }
    };
    const release = new HeapRelease({ collect: slowCollect, quietMillis: 10, minIntervalMillis: 20, clock, registry, logger: silentLogger });
    release.noteActivity();
    await clock.advance(10);
    const metric = await registry.getSingleMetric('lagpilot_heap_release_duration_seconds')?.get();
    const tookMillis = (metric?.values.find((value) => (value as { metricName?: string }).metricName === 'lagpilot_heap_release_duration_seconds_sum')?.value ?? Number.NaN) * 1000;
    expect(tookMillis).to.be.at.least(5);
    release.noteActivity();
    await clock.advance(Math.floor(100 * tookMillis) - 1);
    expect(collections, 'not before 100 times its duration').to.have.length(1);
    await clock.advance(20);
    expect(collections).to.have.length(2);
  });

  it('does nothing without a collection (Node started without --expose-gc)', async () => {
    const h = harness({ collect: 'none' });
    h.release.noteActivity();
    await h.clock.advance(30_000);
    expect(h.clock.pendingTimers).to.equal(0);
    expect(await releases(h.registry)).to.equal(0);
  });

  it('goes on after a collection that throws, without counting it', async () => {
    const h = harness({ collect: 'throwing', minIntervalMillis: 2_000 });
    h.release.noteActivity();
    await h.clock.advance(1_000);
    h.release.noteActivity();
    await h.clock.advance(5_000);
    expect(h.collections).to.have.length(2);
    expect(await releases(h.registry)).to.equal(0);
  });

  it('releases nothing once stopped', async () => {
    const h = harness();
    h.release.noteActivity();
    h.release.stop();
    h.release.noteActivity();
    await h.clock.advance(30_000);
    expect(h.collections).to.deep.equal([]);
    expect(h.clock.pendingTimers).to.equal(0);
  });

  it('finds Node\'s gc only when it is exposed', () => {
    const exposed: unknown = Reflect.get(globalThis, 'gc');
    expect(exposedMemoryReducingCollection() === undefined).to.equal(typeof exposed !== 'function');
  });
});
