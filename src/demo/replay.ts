// How the demo replays a workload trace in real time. Two knobs turn the trace's model into
// something a laptop runs: `speed` compresses time (60: one real second plays one trace minute)
// and the rate is scaled by workerCapacity / traceCapacity, so that the trace needs the same
// number of workers as the model needs replicas (scaling-model.md: one replica handles 1000
// messages per second; one demo worker handles far fewer).
import type { Trace } from '../sim/trace.ts';

/** Messages per second one replica processes in the scaling model the public traces are made for. */
export const modelReplicaCapacity = 1000;

export interface ReplaySettings {
  trace: Trace;
  /** Trace seconds played per real second. */
  speed: number;
  /** Messages per second one demo worker processes. */
  workerCapacity: number;
  /** Messages per second one replica processes in the trace's model. */
  traceCapacity: number;
  /** Start again at the trace's beginning after its end, rather than stop producing. */
  loop: boolean;
}

export interface ReplayPosition {
  /** Seconds into the trace (fractional); at or past the end when the replay is over. */
  traceSecond: number;
  /** How many times the trace has been played through (0 during the first play). */
  round: number;
  /** Messages per second to produce now (scaled); 0 once a non-looping replay is over. */
  rate: number;
  /** The trace's own rate at this point, before scaling. */
  traceRate: number;
  finished: boolean;
}

export class TraceReplay {
  readonly settings: ReplaySettings;
  readonly traceSeconds: number;
  /** Scaled messages produced by the end of each trace second: cumulative[s] covers seconds 0 … s−1. */
  private readonly cumulative: number[];

  constructor(settings: ReplaySettings) {
    if (!(settings.speed > 0)) throw new Error(`the replay speed must be a positive number, got ${settings.speed}`);
    if (!(settings.workerCapacity > 0)) throw new Error(`the worker capacity must be a positive number of messages per second, got ${settings.workerCapacity}`);
    if (!(settings.traceCapacity > 0)) throw new Error(`the trace's replica capacity must be a positive number, got ${settings.traceCapacity}`);
    this.settings = settings;
    this.traceSeconds = settings.trace.ratePerSecond.length;
    const cumulative = [0];
    let total = 0;
    // Trace rates are per trace second; one trace second lasts 1/speed real seconds, so it
    // holds rate/speed messages of the real-time replay.
    for (const rate of settings.trace.ratePerSecond) {
      total += (this.scale(rate)) / settings.speed;
      cumulative.push(total);
    }
    this.cumulative = cumulative;
  }

  /** Real seconds one play of the trace lasts. */
  get realSeconds(): number {
    return this.traceSeconds / this.settings.speed;
  }

  /** The trace's rate converted to the demo's messages per second. */
  scale(traceRate: number): number {
    return (traceRate * this.settings.workerCapacity) / this.settings.traceCapacity;
  }

  /** Where the replay is `elapsedSeconds` real seconds after it started. */
  position(elapsedSeconds: number): ReplayPosition {
    const played = Math.max(0, elapsedSeconds) * this.settings.speed;
    const round = Math.floor(played / this.traceSeconds);
    if (!this.settings.loop && round >= 1) {
      return { traceSecond: this.traceSeconds, round: 1, rate: 0, traceRate: 0, finished: true };
    }
    const traceSecond = played - round * this.traceSeconds;
    const traceRate = this.settings.trace.ratePerSecond[Math.floor(traceSecond)] ?? 0;
    return { traceSecond, round, rate: this.scale(traceRate), traceRate, finished: false };
  }

  /**
   * Messages the replay should have produced by `elapsedSeconds` (whole messages, rounded
   * down): a producer that sends the difference to what it sent keeps the trace's rate even
   * when a send is slow, and never sends ahead of it.
   */
  messagesDueBy(elapsedSeconds: number): number {
    const played = Math.max(0, elapsedSeconds) * this.settings.speed;
    const perRound = this.cumulative[this.traceSeconds] ?? 0;
    let rounds = Math.floor(played / this.traceSeconds);
    let within = played - rounds * this.traceSeconds;
    if (!this.settings.loop && rounds >= 1) {
      rounds = 1;
      within = 0;
    }
    const whole = Math.floor(within);
    const before = this.cumulative[whole] ?? perRound;
    const next = this.cumulative[whole + 1] ?? perRound;
    return Math.floor(rounds * perRound + before + (next - before) * (within - whole));
  }
}

/** 754 s → "12:34"; 3754 s → "1:02:34". */
export function formatTraceClock(seconds: number): string {
  const whole = Math.floor(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = whole % 60;
  const two = (value: number): string => String(value).padStart(2, '0');
  return hours > 0 ? `${hours}:${two(minutes)}:${two(secs)}` : `${two(minutes)}:${two(secs)}`;
}
