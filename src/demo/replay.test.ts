import { expect } from 'chai';
import { parseTrace } from '../sim/trace.ts';
import { formatTraceClock, TraceReplay } from './replay.ts';

// Two rows: 1000 msg/s for 10 s, then 3000 msg/s for 10 s.
const trace = parseTrace('two-rows.csv', 't,rate\n0,1000\n10,3000\n');

function replay(overrides: Partial<ConstructorParameters<typeof TraceReplay>[0]> = {}): TraceReplay {
  return new TraceReplay({ trace, speed: 10, workerCapacity: 50, traceCapacity: 1000, loop: false, ...overrides });
}

describe('demo trace replay', () => {
  it('scales the rate so the trace needs as many workers as the model needs replicas', () => {
    const position = replay().position(0.5);
    expect(position.traceRate).to.equal(1000);
    expect(position.rate).to.equal(50);
    expect(replay().position(1.5)).to.deep.include({ traceRate: 3000, rate: 150, round: 0, finished: false });
  });

  it('compresses time by the speed', () => {
    expect(replay().realSeconds).to.equal(2);
    expect(replay().position(1.5).traceSecond).to.be.closeTo(15, 1e-9);
    expect(replay({ speed: 60 }).position(0.1).traceSecond).to.be.closeTo(6, 1e-9);
  });

  it('produces at the real-time rate: the messages due follow the scaled rate within each trace second', () => {
    const played = replay();
    // First real second: 10 trace seconds at 50 msg/s.
    expect(played.messagesDueBy(0.5)).to.equal(25);
    expect(played.messagesDueBy(1)).to.equal(50);
    expect(played.messagesDueBy(2)).to.equal(200);
    // Never decreasing, whatever the sampling.
    let last = 0;
    for (let elapsed = 0; elapsed <= 2; elapsed += 0.013) {
      const due = played.messagesDueBy(elapsed);
      expect(due).to.be.at.least(last);
      last = due;
    }
  });

  it('stops producing after the end unless it loops', () => {
    expect(replay().position(2.5)).to.deep.include({ rate: 0, finished: true });
    expect(replay().messagesDueBy(5)).to.equal(200);
    const looping = replay({ loop: true });
    expect(looping.position(2.5)).to.deep.include({ round: 1, traceRate: 1000, rate: 50, finished: false });
    expect(looping.messagesDueBy(4)).to.equal(400);
    expect(looping.messagesDueBy(2.5)).to.equal(225);
  });

  it('refuses settings that cannot replay anything, naming them', () => {
    expect(() => replay({ speed: 0 })).to.throw(/speed must be a positive number, got 0/);
    expect(() => replay({ workerCapacity: -1 })).to.throw(/worker capacity/);
  });

  it('formats trace time as a clock', () => {
    expect(formatTraceClock(0)).to.equal('00:00');
    expect(formatTraceClock(754.9)).to.equal('12:34');
    expect(formatTraceClock(3754)).to.equal('1:02:34');
  });
});
