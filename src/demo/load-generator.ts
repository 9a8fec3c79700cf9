// The demo's producer: writes what a trace replay says is due, spread evenly over the topic's
// partitions (as the scaling model assumes), catching up after a slow send instead of falling
// behind the trace. It uses lagpilot's own Kafka client.
import { Producer } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TraceReplay } from './replay.ts';

export interface LoadGeneratorOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  replay: TraceReplay;
  /** How often the due messages are sent; each send carries what came due since the last. */
  tickMillis?: number;
  /** Called with the error of a failed send; the generator retries the same messages next tick. */
  onSendError?: (error: unknown) => void;
}

export interface LoadGeneratorStats {
  sent: number;
  failedSends: number;
  /** Real seconds since the replay started. */
  elapsedSeconds: number;
}

/** One send carries at most this many messages, so a catch-up after a stall stays a few requests. */
const maxMessagesPerSend = 2_000;

export class LoadGenerator {
  private readonly options: LoadGeneratorOptions;
  private readonly producer: Producer;
  private readonly stopped = new AbortController();
  private startedAt = 0;
  private sent = 0;
  private failedSends = 0;
  private loop: Promise<void> | undefined;

  constructor(options: LoadGeneratorOptions) {
    this.options = options;
    // acks 1: the leader's write is enough for a demo's load, and keeps sends short.
    this.producer = new Producer({ clientId: 'lagpilot-demo-load', bootstrapBrokers: [options.bootstrap], acks: 1 });
  }

  /** Starts producing; the replay's clock starts now. */
  start(): void {
    if (this.loop !== undefined) throw new Error('the load generator is already running');
    this.startedAt = performance.now();
    this.loop = this.run();
  }

  stats(): LoadGeneratorStats {
    return { sent: this.sent, failedSends: this.failedSends, elapsedSeconds: this.elapsedSeconds() };
  }

  elapsedSeconds(): number {
    return this.loop === undefined ? 0 : (performance.now() - this.startedAt) / 1000;
  }

  /** Stops producing, waits for the send in flight and closes the producer. */
  async stop(): Promise<LoadGeneratorStats> {
    this.stopped.abort();
    await this.loop;
    await this.producer.close();
    return this.stats();
  }

  private async run(): Promise<void> {
    const tickMillis = this.options.tickMillis ?? 100;
    const { topic, partitions, replay } = this.options;
    while (!this.stopped.signal.aborted) {
      const due = Math.min(maxMessagesPerSend, replay.messagesDueBy(this.elapsedSeconds()) - this.sent);
      if (due > 0) {
        const first = this.sent;
        const messages = Array.from({ length: due }, (_, index) => ({
          topic,
          partition: (first + index) % partitions,
          value: Buffer.from(`demo-${first + index}`),
        }));
        try {
          await this.producer.send({ messages });
          this.sent += due;
        } catch (error) {
          this.failedSends += 1;
          this.options.onSendError?.(error);
        }
      }
      await sleep(tickMillis, undefined, { signal: this.stopped.signal }).catch(() => undefined);
    }
  }
}
