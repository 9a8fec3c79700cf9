import { expect } from 'chai';
import { ManualClock, systemClock } from './clock.ts';

describe('ManualClock', () => {
  it('fires due timers in time order, then in the order they were set, and only when due', async () => {
    const clock = new ManualClock(100);
    const fired: string[] = [];
    clock.setTimer(() => fired.push('b@50'), 50);
    clock.setTimer(() => fired.push('a@10'), 10);
    clock.setTimer(() => fired.push('c@50'), 50);
    clock.setTimer(() => fired.push('late@500'), 500);
    await clock.advance(49);
    expect(fired).to.deep.equal(['a@10']);
    expect(clock.now()).to.equal(149);
    await clock.advance(1);
    expect(fired).to.deep.equal(['a@10', 'b@50', 'c@50']);
    expect(clock.pendingTimers).to.equal(1);
  });

  it('fires timers set by timers within the same advance, at their own time', async () => {
    const clock = new ManualClock();
    const firedAt: number[] = [];
    const every100 = (): void => {
      firedAt.push(clock.now());
      clock.setTimer(every100, 100);
    };
    clock.setTimer(every100, 100);
    await clock.advance(350);
    expect(firedAt).to.deep.equal([100, 200, 300]);
  });

  it('does not fire a cancelled timer', async () => {
    const clock = new ManualClock();
    let fired = false;
    clock.setTimer(() => { fired = true; }, 10).cancel();
    await clock.advance(100);
    expect(fired).to.equal(false);
  });
});

describe('systemClock', () => {
  it('fires after the delay and can be cancelled', async () => {
    const startedAt = systemClock.now();
    const firedAt = await new Promise<number>((resolveFired) => { systemClock.setTimer(() => { resolveFired(systemClock.now()); }, 30); });
    expect(firedAt - startedAt).to.be.at.least(29);
    let cancelledFired = false;
    systemClock.setTimer(() => { cancelledFired = true; }, 5).cancel();
    await new Promise((resolveWait) => setTimeout(resolveWait, 30));
    expect(cancelledFired).to.equal(false);
  });
});
