import { expect } from 'chai';
import {
  appendOffsetPoint,
  decodeHistory,
  encodeHistory,
  estimateLagSeconds,
  MemoryOffsetHistoryStore,
  readResumeTimestamps,
  type OffsetPoint,
} from './lag-seconds.ts';
import type { FetchedRecord, KafkaAdminPort, RecordPosition } from '../kafka/admin-port.ts';

function history(points: [offset: number, seconds: number][]): OffsetPoint[] {
  return points.map(([offset, seconds]) => ({ offset: BigInt(offset), timeMs: seconds * 1000 }));
}

describe('estimateLagSeconds', () => {
  // 10 messages per second from t=0 to t=100 s: offset o was appended at o/10 s.
  const steady = history([[0, 0], [500, 50], [1000, 100]]);

  it('interpolates the append time of the resume offset between the two points around it', () => {
    const estimate = estimateLagSeconds(steady, 249n, 1000n, 100_000);
    expect(estimate.quality).to.equal('interpolated');
    expect(estimate.seconds).to.be.closeTo(75.05, 0.001);
  });

  it('is 0 when the group is caught up', () => {
    expect(estimateLagSeconds(steady, 1000n, 1000n, 200_000)).to.deep.equal({ seconds: 0, quality: 'caught-up' });
  });

  it('is a lower bound when the resume offset is older than the history', () => {
    const estimate = estimateLagSeconds(history([[500, 50], [1000, 100]]), 100n, 1000n, 100_000);
    expect(estimate).to.deep.equal({ seconds: 50, quality: 'lower-bound' });
  });

  it('says so when the history does not reach the resume offset yet', () => {
    expect(estimateLagSeconds(history([[500, 50]]), 600n, 700n, 60_000)).to.deep.equal({ seconds: null, quality: 'no-history' });
  });

  it('puts a message produced after a quiet spell after the spell', () => {
    // Nothing was produced from t=10 s to t=90 s, then 100 messages by t=100 s.
    const quiet = history([[100, 10], [100, 90], [200, 100]]);
    const estimate = estimateLagSeconds(quiet, 100n, 200n, 100_000);
    expect(estimate.seconds).to.be.closeTo(9.95, 0.001);
  });
});

describe('appendOffsetPoint', () => {
  it('keeps at most maxPoints, dropping the points a straight line already explains', () => {
    let points: OffsetPoint[] = [];
    // Steady 10/s for 100 s, a pause of 100 s, then 50/s for 100 s, one point per second.
    for (let second = 0; second <= 300; second += 1) {
      const offset = second <= 100 ? second * 10 : second <= 200 ? 1000 : 1000 + (second - 200) * 50;
      points = appendOffsetPoint(points, { offset: BigInt(offset), timeMs: second * 1000 }, 8);
    }
    expect(points).to.have.length(8);
    expect(points[0]).to.deep.equal({ offset: 0n, timeMs: 0 });
    expect(points.at(-1)).to.deep.equal({ offset: 6000n, timeMs: 300_000 });
    // The bends at t=100 s and t=200 s survive, so estimates across the whole range stay exact.
    expect(points).to.deep.include({ offset: 1000n, timeMs: 100_000 });
    expect(points).to.deep.include({ offset: 1000n, timeMs: 200_000 });
    expect(estimateLagSeconds(points, 499n, 6000n, 300_000).seconds).to.be.closeTo(250, 0.2);
    expect(estimateLagSeconds(points, 3499n, 6000n, 300_000).seconds).to.be.closeTo(50, 0.05);
  });

  it('starts over when the log end goes down (topic recreated) and ignores points out of time order', () => {
    const points = history([[100, 1], [200, 2]]);
    expect(appendOffsetPoint(points, { offset: 5n, timeMs: 3000 })).to.deep.equal([{ offset: 5n, timeMs: 3000 }]);
    expect(appendOffsetPoint(points, { offset: 300n, timeMs: 2000 })).to.deep.equal(points);
  });
});

describe('history encoding and the memory store', () => {
  it('round-trips and refuses damaged text with a clear error', async () => {
    const points = history([[1, 1], [99, 2]]);
    expect(decodeHistory(encodeHistory(points))).to.deep.equal(points);
    expect(() => decodeHistory('12:x')).to.throw('"12:x" is not "offset:timeMs"');
    const store = new MemoryOffsetHistoryStore();
    await store.save('c1', new Map([['t/0', points]]));
    expect(await store.load('c1', ['t/0', 't/1'])).to.deep.equal(new Map([['t/0', points]]));
    expect((await store.load('c2', ['t/0'])).size).to.equal(0);
  });
});

describe('readResumeTimestamps', () => {
  it('reads in batches with bounded concurrency and keeps the other batches when one fails', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const calls: number[] = [];
    const admin = {
      async fetchRecords(positions: RecordPosition[]): Promise<(FetchedRecord | null)[]> {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        calls.push(positions.length);
        await new Promise((resolveWait) => setTimeout(resolveWait, 5));
        inFlight -= 1;
        if (positions.some((p) => p.offset === 13n)) throw new Error('broker 2 unreachable');
        return positions.map((p) => (p.offset === 7n ? null : { ...p, timestampMs: Number(p.offset) * 1000, key: null, valueBytes: 1 }));
      },
    } as unknown as KafkaAdminPort;
    const positions = Array.from({ length: 20 }, (_, index) => ({ topic: 't', partition: index, offset: BigInt(index) }));
    const { timestamps, failures } = await readResumeTimestamps(admin, positions, { batchSize: 3, concurrency: 2 });
    expect(calls).to.have.length(7);
    expect(maxInFlight).to.equal(2);
    expect(failures).to.have.length(1);
    expect(timestamps[0]).to.equal(0);
    expect(timestamps[7]).to.equal(null);
    expect(timestamps[12]).to.equal(undefined);
    expect(timestamps[19]).to.equal(19_000);
  });
});
