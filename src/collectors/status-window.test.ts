import { expect } from 'chai';
import { StatusWindow } from './status-window.ts';

const partitions = [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }];

function observe(window: StatusWindow, timeMs: number, committed: readonly number[], lag: readonly number[]): void {
  window.record(timeMs, 2, (index) => committed[index] ?? Number.NaN, (index) => lag[index] ?? Number.NaN);
}

describe('StatusWindow', () => {
  it('keeps each partition\'s observations oldest first, unknown values as null', () => {
    const window = new StatusWindow(partitions, 5);
    observe(window, 1_000, [10, Number.NaN], [5, 7]);
    observe(window, 2_000, [12, 3], [4, Number.NaN]);
    expect(window.keys).to.deep.equal(['orders/0', 'orders/1']);
    expect(window.size).to.equal(2);
    expect(window.series(0)).to.deep.equal([{ timeMs: 1_000, committedOffset: 10, lag: 5 }, { timeMs: 2_000, committedOffset: 12, lag: 4 }]);
    expect(window.series(1)).to.deep.equal([{ timeMs: 1_000, committedOffset: null, lag: 7 }, { timeMs: 2_000, committedOffset: 3, lag: null }]);
  });

  it('drops the oldest observation once full, and keeps the order across the wrap', () => {
    const window = new StatusWindow(partitions, 3);
    for (let step = 1; step <= 7; step += 1) observe(window, step * 1_000, [step, step * 10], [0, 0]);
    expect(window.size).to.equal(3);
    expect(window.series(0).map((o) => o.committedOffset)).to.deep.equal([5, 6, 7]);
    expect(window.series(1).map((o) => o.timeMs)).to.deep.equal([5_000, 6_000, 7_000]);
  });

  it('forgets observations older than a time, after a wrap too', () => {
    const window = new StatusWindow(partitions, 3);
    for (let step = 1; step <= 5; step += 1) observe(window, step * 1_000, [step, step], [1, 1]);
    window.dropBefore(4_500);
    expect(window.series(0).map((o) => o.timeMs)).to.deep.equal([5_000]);
    window.dropBefore(10_000);
    expect(window.size).to.equal(0);
    expect(window.series(0)).to.deep.equal([]);
    observe(window, 11_000, [9, 9], [0, 0]);
    expect(window.series(1)).to.deep.equal([{ timeMs: 11_000, committedOffset: 9, lag: 0 }]);
  });

  it('covers only the same partitions in the same order', () => {
    const window = new StatusWindow(partitions, 2);
    expect(window.covers([{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }])).to.equal(true);
    expect(window.covers([{ topic: 'orders', partition: 1 }, { topic: 'orders', partition: 0 }])).to.equal(false);
    expect(window.covers([{ topic: 'orders', partition: 0 }])).to.equal(false);
    expect(window.covers([{ topic: 'orders', partition: 0 }, { topic: 'payments', partition: 1 }])).to.equal(false);
  });

  it('refuses a capacity that holds no observation', () => {
    expect(() => new StatusWindow(partitions, 0)).to.throw(RangeError, 'a status window holds at least one observation, got capacity 0');
  });
});
