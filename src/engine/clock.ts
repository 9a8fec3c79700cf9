// Time, injected. Code that waits or measures takes a Clock, so tests (and the simulator) can
// drive time by hand instead of sleeping.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `delayMillis`. System timers never keep the process alive. */
  setTimer(callback: () => void, delayMillis: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMillis) {
    const timer = setTimeout(callback, Math.max(0, delayMillis));
    // The daemon lives as long as its server listens; a pending tick must not keep a stopped
    // daemon (or a finished test) alive.
    timer.unref();
    return { cancel: () => { clearTimeout(timer); } };
  },
};

interface PendingTimer {
  dueAt: number;
  sequence: number;
  callback: () => void;
}

/** A clock that moves only when told to: `advance` fires due timers in time order. */
export class ManualClock implements Clock {
  #now: number;
  #sequence = 0;
  readonly #pending = new Set<PendingTimer>();

  constructor(startMillis = 0) {
    this.#now = startMillis;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, delayMillis: number): TimerHandle {
    const timer: PendingTimer = { dueAt: this.#now + Math.max(0, delayMillis), sequence: this.#sequence++, callback };
    this.#pending.add(timer);
    return { cancel: () => { this.#pending.delete(timer); } };
  }

  get pendingTimers(): number {
    return this.#pending.size;
  }

  /**
   * Moves time forward by `millis`, firing every timer that falls due on the way (also those
   * set by the callbacks themselves), and lets promise callbacks run after each one, so async
   * work started by a timer gets as far as it can before time moves on.
   */
  async advance(millis: number): Promise<void> {
    const until = this.#now + millis;
    // Work the caller just unblocked (a resolved promise) runs before time moves.
    await settle();
    for (;;) {
      const next = this.#nextDue();
      if (next === undefined || next.dueAt > until) break;
      this.#pending.delete(next);
      this.#now = next.dueAt;
      next.callback();
      await settle();
    }
    this.#now = until;
    await settle();
  }

  #nextDue(): PendingTimer | undefined {
    let earliest: PendingTimer | undefined;
    for (const timer of this.#pending) {
      if (earliest === undefined || timer.dueAt < earliest.dueAt || (timer.dueAt === earliest.dueAt && timer.sequence < earliest.sequence)) {
        earliest = timer;
      }
    }
    return earliest;
  }
}

/** Lets queued promise callbacks run: one macrotask turn drains the microtask queue. */
async function settle(): Promise<void> {
  await new Promise<void>((resolveSettle) => { setImmediate(resolveSettle); });
}
