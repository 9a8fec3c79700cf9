import { expect } from 'chai';
import type { Sample } from './collector.ts';
import { ObservationWindow, ThroughputTracker, rateBetween, windowEnds, type OffsetObservation } from './throughput.ts';

const t0 = Date.UTC(2026, 10, 23, 12, 0, 0);

function observation(secondsAfterT0: number, offsets: Record<string, number>): OffsetObservation {
  return { timestampMs: t0 + secondsAfterT0 * 1000, offsets: new Map(Object.entries(offsets)) };
}

function offsetSample(name: string, value: number, secondsAfterT0: number, labels: Record<string, string>): Sample {
  return { name, value, unit: 'offset', labels, timestampMs: t0 + secondsAfterT0 * 1000, source: 'kafka-lag' };
}

describe('rateBetween', () => {
  it('sums the offsets moved over the partitions seen in both and divides by the time between', () => {
    const rate = rateBetween(observation(0, { 'a/0': 100, 'a/1': 50 }), observation(10, { 'a/0': 300, 'a/1': 150, 'a/2': 999 }));
    expect(rate).to.deep.equal({ messagesPerSecond: 30, fromMs: t0, toMs: t0 + 10_000, windowSeconds: 10, partitionsReset: 0, partitionsCounted: 2 });
  });

  it('counts a partition that went backwards as no movement, and says so', () => {
    const rate = rateBetween(observation(0, { 'a/0': 100, 'a/1': 500 }), observation(5, { 'a/0': 200, 'a/1': 0 }));
    expect(rate?.messagesPerSecond).to.equal(20);
    expect(rate?.partitionsReset).to.equal(1);
  });

  it('refuses observations out of time order', () => {
    expect(rateBetween(observation(5, {}), observation(5, {}))).to.be.null;
    expect(rateBetween(observation(6, {}), observation(5, {}))).to.be.null;
  });
});

describe('windowEnds', () => {
  it('takes the oldest observation within the window and the newest', () => {
    const all = [observation(0, {}), observation(30, {}), observation(45, {}), observation(90, {})];
    expect(windowEnds(all, 60_000)?.map((o) => o.timestampMs - t0)).to.deep.equal([30_000, 90_000]);
    expect(windowEnds([observation(0, {})], 60_000)).to.be.null;
  });
});

describe('ObservationWindow', () => {
  it('gives no rate for one observation, then the rate over the window, forgetting what fell out of it', () => {
    const window = new ObservationWindow(20_000);
    expect(window.observe('k', observation(0, { p: 0 }))).to.be.null;
    expect(window.observe('k', observation(10, { p: 100 }))?.messagesPerSecond).to.equal(10);
    expect(window.observe('k', observation(20, { p: 300 }))?.messagesPerSecond).to.equal(15);
    // t=0 is now out of the 20 s window: the rate is over 10..30 only.
    const rate = window.observe('k', observation(30, { p: 700 }));
    expect([rate?.fromMs, rate?.messagesPerSecond]).to.deep.equal([t0 + 10_000, 30]);
  });

  it('uses the last two observations when evaluations are further apart than the window', () => {
    const window = new ObservationWindow(5_000);
    window.observe('k', observation(0, { p: 0 }));
    const rate = window.observe('k', observation(60, { p: 600 }));
    expect([rate?.windowSeconds, rate?.messagesPerSecond]).to.deep.equal([60, 10]);
  });

  it('ignores an observation that is not newer than the last', () => {
    const window = new ObservationWindow(60_000);
    window.observe('k', observation(0, { p: 0 }));
    window.observe('k', observation(10, { p: 100 }));
    expect(window.observe('k', observation(5, { p: 9999 }))?.messagesPerSecond).to.equal(10);
  });

  it('refuses a window of zero', () => {
    expect(() => new ObservationWindow(0)).to.throw(/longer than 0 ms/);
  });
});

describe('ThroughputTracker', () => {
  it('turns log-end and committed offset samples of successive evaluations into produce and consume rates with their windows', () => {
    const tracker = new ThroughputTracker({ windowMs: 60_000 });
    const evaluation = (seconds: number, logEnds: number[], committed: number[]): Sample[] => [
      ...logEnds.map((offset, partition) => offsetSample('partition_log_end_offset', offset, seconds, { cluster: 'c', topic: 'orders', partition: String(partition) })),
      ...committed.map((offset, partition) =>
        offsetSample('consumergroup_partition_committed_offset', offset, seconds, { target: 't', cluster: 'c', group: 'g', topic: 'orders', partition: String(partition) }),
      ),
    ];
    expect(tracker.observe(evaluation(0, [100, 100], [50, 50]))).to.deep.equal([]);
    const samples = tracker.observe(evaluation(15, [400, 400], [200, 140]));
    const byName = Object.fromEntries(samples.map((sample) => [sample.name, sample]));
    expect(byName.topic_produce_rate?.value).to.equal(40);
    expect(byName.topic_produce_rate?.labels).to.deep.equal({ cluster: 'c', topic: 'orders' });
    expect(byName.topic_produce_rate?.timestampMs).to.equal(t0 + 15_000);
    expect(byName.topic_produce_rate_window_seconds?.value).to.equal(15);
    expect(byName.consumergroup_consume_rate?.value).to.equal(16);
    expect(byName.consumergroup_consume_rate?.labels).to.deep.equal({ cluster: 'c', group: 'g' });
    expect(byName.consumergroup_consume_rate?.unit).to.equal('messages_per_second');
  });
});
