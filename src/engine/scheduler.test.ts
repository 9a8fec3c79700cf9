import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { Logger } from '../logging/logger.ts';
import { ManualClock } from './clock.ts';
import { Scheduler, TickAbortedError, type TickFunction } from './scheduler.ts';

interface LoggedLine { level: string; message: string; fields: Record<string, unknown> }

function recordingLogger(lines: LoggedLine[]): Logger {
  const write = (level: string) => (message: string, fields: Record<string, unknown> = {}): void => {
    lines.push({ level, message, fields });
  };
  const logger: Logger = { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug'), child: () => logger };
  return logger;
}

/** A tick whose every run waits until the test resolves or rejects it. */
class ControlledTicks {
  readonly runs: { target: string; signal: AbortSignal; finish: () => void; fail: (error: Error) => void }[] = [];
  readonly tick: TickFunction = (target, signal) =>
    new Promise<void>((resolveTick, rejectTick) => {
      this.runs.push({ target, signal, finish: resolveTick, fail: rejectTick });
    });
}

async function tickCount(registry: Registry, target: string, outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('lagpilot_ticks_total')?.get();
  return metric?.values.find((value) => value.labels.target === target && value.labels.outcome === outcome)?.value ?? Number.NaN;
}

function build(tick: TickFunction, targets = [{ name: 'orders', intervalMillis: 1000, tickTimeoutMillis: 800 }]) {
  const clock = new ManualClock(1_000_000);
  const registry = new Registry();
  const lines: LoggedLine[] = [];
  const scheduler = new Scheduler({ targets, tick, clock, logger: recordingLogger(lines), registry });
  return { clock, registry, lines, scheduler };
}

describe('Scheduler', () => {
  it('ticks every target at its own interval, the first tick at start', async () => {
    const started: { target: string; at: number }[] = [];
    const { clock, scheduler } = build(
      async (target) => { started.push({ target, at: clock.now() - 1_000_000 }); await Promise.resolve(); },
      [
        { name: 'fast', intervalMillis: 1000, tickTimeoutMillis: 500 },
        { name: 'slow', intervalMillis: 2500, tickTimeoutMillis: 500 },
      ],
    );
    scheduler.start();
    await clock.advance(5000);
    expect(started.filter((run) => run.target === 'fast').map((run) => run.at)).to.deep.equal([0, 1000, 2000, 3000, 4000, 5000]);
    expect(started.filter((run) => run.target === 'slow').map((run) => run.at)).to.deep.equal([0, 2500, 5000]);
    await scheduler.stop(1000);
  });

  it('never runs two ticks of one target at once: a due tick is skipped and counted', async () => {
    const ticks = new ControlledTicks();
    const { clock, registry, scheduler } = build(ticks.tick, [{ name: 'orders', intervalMillis: 1000, tickTimeoutMillis: 5000 }]);
    scheduler.start();
    await clock.advance(2500);
    expect(ticks.runs).to.have.length(1);
    expect(await tickCount(registry, 'orders', 'skipped')).to.equal(2);
    ticks.runs[0]?.finish();
    await clock.advance(500);
    expect(ticks.runs).to.have.length(2);
    expect(await tickCount(registry, 'orders', 'ok')).to.equal(1);
    ticks.runs[1]?.finish();
    await scheduler.stop(1000);
  });

  it('aborts a tick at its timeout and counts it once as a timeout', async () => {
    const ticks = new ControlledTicks();
    const { clock, registry, lines, scheduler } = build(ticks.tick);
    scheduler.start();
    await clock.advance(799);
    expect(ticks.runs[0]?.signal.aborted).to.equal(false);
    await clock.advance(1);
    const signal = ticks.runs[0]?.signal;
    expect(signal?.aborted).to.equal(true);
    expect(signal?.reason).to.be.instanceOf(TickAbortedError);
    expect(await tickCount(registry, 'orders', 'timeout')).to.equal(1);
    // The tick's own rejection after the abort is not a second count.
    ticks.runs[0]?.fail(new Error('aborted'));
    await clock.advance(0);
    expect(await tickCount(registry, 'orders', 'error')).to.equal(0);
    expect(lines.some((line) => line.message === 'tick timed out; aborting it' && line.fields.target === 'orders')).to.equal(true);
    await scheduler.stop(1000);
  });

  it('counts and logs a failing tick, and keeps ticking', async () => {
    let calls = 0;
    const { clock, registry, lines, scheduler } = build(() => {
      calls += 1;
      if (calls === 1) throw new Error('synchronous failure');
      if (calls === 2) return Promise.reject(new Error('broker unreachable'));
      return Promise.resolve();
    });
    scheduler.start();
    await clock.advance(2000);
    expect(calls).to.equal(3);
    expect(await tickCount(registry, 'orders', 'error')).to.equal(2);
    expect(await tickCount(registry, 'orders', 'ok')).to.equal(1);
    expect(lines.filter((line) => line.message === 'tick failed').map((line) => line.fields.error)).to.deep.equal([
      'synchronous failure',
      'broker unreachable',
    ]);
    await scheduler.stop(1000);
  });

  it('on stop takes no new ticks and waits for the running one', async () => {
    const ticks = new ControlledTicks();
    const { clock, scheduler } = build(ticks.tick, [{ name: 'orders', intervalMillis: 1000, tickTimeoutMillis: 5000 }]);
    scheduler.start();
    await clock.advance(0);
    let stopped = false;
    const stopping = scheduler.stop(3000).then((result) => { stopped = true; return result; });
    await clock.advance(1500);
    expect(stopped).to.equal(false);
    expect(ticks.runs).to.have.length(1);
    ticks.runs[0]?.finish();
    await clock.advance(0);
    expect(await stopping).to.deep.equal({ abandoned: [] });
    expect(ticks.runs[0]?.signal.aborted).to.equal(false);
    await clock.advance(10_000);
    expect(ticks.runs).to.have.length(1);
    expect(clock.pendingTimers).to.equal(0);
  });

  it('on stop aborts and reports ticks still running at the deadline', async () => {
    const ticks = new ControlledTicks();
    const { clock, scheduler } = build(ticks.tick, [{ name: 'orders', intervalMillis: 1000, tickTimeoutMillis: 60_000 }]);
    scheduler.start();
    await clock.advance(0);
    const stopping = scheduler.stop(2000);
    await clock.advance(2000);
    expect(await stopping).to.deep.equal({ abandoned: ['orders'] });
    expect(ticks.runs[0]?.signal.aborted).to.equal(true);
  });

  it('drops the slots missed while the process stalled instead of catching up', async () => {
    const startedAt: number[] = [];
    const { clock, scheduler } = build(async () => { startedAt.push(clock.now() - 1_000_000); await Promise.resolve(); });
    scheduler.start();
    await clock.advance(0);
    // A timer that fires late, as after a long GC pause: the clock jumps past several slots.
    const late = clock.now() + 3500;
    (clock as unknown as { now: () => number }).now = () => late;
    await clock.advance(1000);
    expect(startedAt).to.deep.equal([0, 3500]);
    await scheduler.stop(100);
  });
});

describe('with the system clock', () => {
  it('does not keep the process alive and stops within its deadline', async () => {
    const { systemClock } = await import('./clock.ts');
    const registry = new Registry();
    let ticks = 0;
    const scheduler = new Scheduler({
      targets: [{ name: 'real', intervalMillis: 20, tickTimeoutMillis: 10 }],
      tick: async () => { ticks += 1; await Promise.resolve(); },
      clock: systemClock,
      logger: recordingLogger([]),
      registry,
    });
    scheduler.start();
    // Waits for ticks rather than for a fixed time: on a loaded machine timers fire late.
    const giveUpAt = Date.now() + 10_000;
    while (ticks < 3 && Date.now() < giveUpAt) await new Promise((resolveWait) => setTimeout(resolveWait, 10));
    expect(ticks).to.be.at.least(3);
    const before = performance.now();
    expect(await scheduler.stop(1000)).to.deep.equal({ abandoned: [] });
    expect(performance.now() - before).to.be.below(500);
    const ticksAtStop = ticks;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    expect(ticks).to.equal(ticksAtStop);
  });
});
