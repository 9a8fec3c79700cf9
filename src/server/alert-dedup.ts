// Alertmanager sends every alert of a group again with each notification of the group (a new
// alert joins, repeat_interval passes, a retry after a failed delivery), so one firing alert
// arrives many times. Only a change matters: an alert whose fingerprint was last seen with the
// same status, within the window, is a repeat. A fingerprint that went firing → resolved →
// firing is new each time. Memory is bounded: the least recently seen fingerprints go first.

export interface AlertIdentity {
  fingerprint: string;
  status: 'firing' | 'resolved';
}

interface Seen {
  status: AlertIdentity['status'];
  atMillis: number;
}

export class AlertDeduplicator {
  readonly #windowMillis: number;
  readonly #maxEntries: number;
  // A Map iterates in insertion order; re-inserting on each sighting keeps the least recently
  // seen first, which is the one to drop.
  readonly #seen = new Map<string, Seen>();

  constructor(windowMillis: number, maxEntries: number) {
    if (!(windowMillis >= 0)) throw new Error(`dedup window must be >= 0 ms, got ${windowMillis}`);
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`dedup capacity must be a whole number >= 1, got ${maxEntries}`);
    this.#windowMillis = windowMillis;
    this.#maxEntries = maxEntries;
  }

  /** Records the sighting; true when it repeats the last one of its fingerprint within the window. */
  isRepeat(alert: AlertIdentity, nowMillis: number): boolean {
    const last = this.#seen.get(alert.fingerprint);
    const repeat = last?.status === alert.status && nowMillis - last.atMillis < this.#windowMillis;
    this.#seen.delete(alert.fingerprint);
    // A repeat does not extend the window: a firing alert still acts again once per window,
    // so an action that lapsed (a raised minimum's maxDuration) is renewed by Alertmanager's
    // repeat notifications.
    this.#seen.set(alert.fingerprint, { status: alert.status, atMillis: repeat ? last.atMillis : nowMillis });
    if (this.#seen.size > this.#maxEntries) {
      const oldest = this.#seen.keys().next();
      if (oldest.done !== true) this.#seen.delete(oldest.value);
    }
    return repeat;
  }

  get size(): number {
    return this.#seen.size;
  }
}
