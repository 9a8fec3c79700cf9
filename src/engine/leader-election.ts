// Leader election: of several lagpilot replicas exactly one actuates. Every replica collects and
// evaluates (so a follower takes over warm); the control loop asks the elector right before it
// applies a decision, and only the leader goes on.
//
// The safety rule every elector keeps: a leader that has not renewed its lease for the renew
// deadline stops acting at once (isLeader() turns false on the clock, without waiting for a
// timer or a hung request), and the renew deadline is shorter than the lease, so a leader has
// stopped before any other replica may take the lease over.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { errorMessage, type Logger } from '../logging/logger.ts';
import type { Clock, TimerHandle } from './clock.ts';

export interface LeadershipChange {
  leading: boolean;
  identity: string;
  /** The fencing term: larger for every new leadership of the election. */
  term: number;
  /** Why leadership changed, for the log. */
  reason: string;
}

export type LeadershipListener = (change: LeadershipChange) => void;

export interface LeaderElector {
  /** This replica's name in the election; unique per process. */
  readonly identity: string;
  /** The term of this replica's current (or last) leadership; 0 before it ever led. */
  readonly term: number;
  /** Begins campaigning in the background; returns at once. */
  start(): void;
  /** Stops campaigning and, when leading, releases the lease so a successor takes over at once. */
  stop(): Promise<void>;
  /** The gate before every actuation: true only while the lease is held and fresh. */
  isLeader(): boolean;
  /** Calls `listener` on every gain or loss of leadership; returns the unsubscribe. */
  onChange(listener: LeadershipListener): () => void;
}

export interface ElectionTimings {
  /** How long others wait after the last renewal they saw before they may take over. */
  leaseDurationMillis: number;
  /** A leader that could not renew for this long stops leading. Shorter than the lease. */
  renewDeadlineMillis: number;
  /** Pause between attempts to acquire or renew. Shorter than the renew deadline. */
  retryPeriodMillis: number;
}

/** Kubernetes' own defaults for its controllers. */
export const defaultElectionTimings: ElectionTimings = {
  leaseDurationMillis: 15_000,
  renewDeadlineMillis: 10_000,
  retryPeriodMillis: 2_000,
};

export function validateTimings(timings: ElectionTimings): void {
  const { leaseDurationMillis, renewDeadlineMillis, retryPeriodMillis } = timings;
  for (const [name, value] of Object.entries(timings)) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`leader election: ${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  if (renewDeadlineMillis >= leaseDurationMillis) {
    throw new Error(`leader election: the renew deadline (${renewDeadlineMillis} ms) must be shorter than the lease duration (${leaseDurationMillis} ms), or a leader could still act after others took over`);
  }
  if (retryPeriodMillis >= renewDeadlineMillis) {
    throw new Error(`leader election: the retry period (${retryPeriodMillis} ms) must be shorter than the renew deadline (${renewDeadlineMillis} ms), or a leader loses its lease between two attempts`);
  }
}

/** host-pid-random: two processes on one host, or a restarted one, never share an identity. */
export function defaultIdentity(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** What one attempt against the lease store found. */
export type CampaignOutcome =
  | { leading: true; term: number }
  | { leading: false; holder: string };

export interface CampaignOptions {
  identity?: string;
  timings?: Partial<ElectionTimings>;
  clock: Clock;
  logger?: Logger;
}

/**
 * The loop both electors share: one attempt per retry period (never two at once), leadership
 * kept only while attempts succeed within the renew deadline. Subclasses say how an attempt and
 * a release talk to their store.
 */
export abstract class CampaigningElector implements LeaderElector {
  readonly identity: string;
  protected readonly timings: ElectionTimings;
  protected readonly clock: Clock;
  protected readonly logger: Logger | undefined;
  #term = 0;
  #leading = false;
  /** When the last successful renewal was sent: the lease is fresh from then on, not from the answer. */
  #renewedFrom = 0;
  #started = false;
  #stopped = false;
  #nextAttempt: TimerHandle | undefined;
  #deadlineTimer: TimerHandle | undefined;
  #attemptInFlight: Promise<void> | undefined;
  readonly #listeners = new Set<LeadershipListener>();

  constructor(options: CampaignOptions) {
    this.identity = options.identity ?? defaultIdentity();
    if (this.identity === '') throw new Error('leader election: the identity must not be empty');
    this.timings = { ...defaultElectionTimings, ...options.timings };
    validateTimings(this.timings);
    this.clock = options.clock;
    this.logger = options.logger;
  }

  get term(): number {
    return this.#term;
  }

  /** Whether this replica believes it leads, whatever the clock says (for the stores' bookkeeping). */
  protected get believesLeading(): boolean {
    return this.#leading;
  }

  /** One attempt to acquire the lease or, when leading, to renew it. Throws when the store cannot answer. */
  protected abstract campaign(now: number): Promise<CampaignOutcome>;
  /** Gives the lease up if this replica holds it. */
  protected abstract release(): Promise<void>;

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#nextAttempt?.cancel();
    this.#deadlineTimer?.cancel();
    await this.#attemptInFlight;
    if (!this.#started) return;
    const wasLeading = this.#leading;
    // Stop acting before the release is sent: once the lease is free a successor may act.
    this.#leading = false;
    if (wasLeading) this.#emit({ leading: false, identity: this.identity, term: this.#term, reason: 'stopped; lease released' });
    await this.release();
  }

  isLeader(): boolean {
    return this.#leading && this.clock.now() - this.#renewedFrom < this.timings.renewDeadlineMillis;
  }

  onChange(listener: LeadershipListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  #schedule(delayMillis: number): void {
    if (this.#stopped) return;
    this.#nextAttempt = this.clock.setTimer(() => {
      this.#attemptInFlight = this.#attempt().finally(() => { this.#attemptInFlight = undefined; });
    }, delayMillis);
  }

  async #attempt(): Promise<void> {
    const sentAt = this.clock.now();
    let giveUp: TimerHandle | undefined;
    // An answer after the renew deadline would not count anyway; waiting longer for a hung
    // request would only delay the next attempt (and stop()).
    const timedOut = new Promise<never>((_resolve, reject) => {
      giveUp = this.clock.setTimer(() => { reject(new Error(`no answer within the renew deadline of ${this.timings.renewDeadlineMillis} ms`)); }, this.timings.renewDeadlineMillis);
    });
    try {
      const outcome = await Promise.race([this.campaign(sentAt), timedOut]);
      // stop() waits for this attempt and then releases whatever it acquired.
      if (this.#stopped) return;
      if (outcome.leading) this.#renewed(sentAt, outcome.term);
      else if (this.#leading) this.#drop(`the lease is held by ${outcome.holder}`);
    } catch (error) {
      this.logger?.warn('leader election attempt failed', { identity: this.identity, error: errorMessage(error) });
      if (this.#leading && this.clock.now() - this.#renewedFrom >= this.timings.renewDeadlineMillis) {
        this.#drop(`could not renew within the renew deadline: ${errorMessage(error)}`);
      }
    } finally {
      giveUp?.cancel();
    }
    this.#schedule(this.timings.retryPeriodMillis);
  }

  #renewed(sentAt: number, term: number): void {
    if (this.clock.now() - sentAt >= this.timings.renewDeadlineMillis) {
      // The answer came too late to count: the lease may be stale by now. The next attempt renews.
      if (this.#leading) this.#drop('the renewal answered after the renew deadline');
      return;
    }
    const gained = !this.#leading || term !== this.#term;
    this.#leading = true;
    this.#renewedFrom = sentAt;
    this.#term = term;
    this.#deadlineTimer?.cancel();
    // Fires when no renewal succeeds in time, even while a request hangs.
    this.#deadlineTimer = this.clock.setTimer(() => {
      if (this.#leading && this.clock.now() - this.#renewedFrom >= this.timings.renewDeadlineMillis) {
        this.#drop(`no renewal within the renew deadline of ${this.timings.renewDeadlineMillis} ms`);
      }
    }, sentAt + this.timings.renewDeadlineMillis - this.clock.now());
    if (gained) this.#emit({ leading: true, identity: this.identity, term, reason: 'acquired the lease' });
  }

  #drop(reason: string): void {
    this.#leading = false;
    this.#deadlineTimer?.cancel();
    this.#emit({ leading: false, identity: this.identity, term: this.#term, reason });
  }

  #emit(change: LeadershipChange): void {
    this.logger?.info(change.leading ? 'leading' : 'not leading', { ...change });
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.logger?.error('leadership listener failed', { error: errorMessage(error) });
      }
    }
  }
}

/** The elector of a single replica (no election configured): always the leader, term 1. */
export class SoleReplicaElector implements LeaderElector {
  readonly identity: string;
  #running = false;
  readonly #listeners = new Set<LeadershipListener>();

  constructor(identity: string = defaultIdentity()) {
    this.identity = identity;
  }

  readonly term = 1;

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const listener of this.#listeners) listener({ leading: true, identity: this.identity, term: 1, reason: 'no leader election configured' });
  }

  stop(): Promise<void> {
    if (this.#running) {
      this.#running = false;
      for (const listener of this.#listeners) listener({ leading: false, identity: this.identity, term: 1, reason: 'stopped' });
    }
    return Promise.resolve();
  }

  isLeader(): boolean {
    return this.#running;
  }

  onChange(listener: LeadershipListener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }
}
