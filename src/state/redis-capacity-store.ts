// Learned per-replica capacities in Redis: one hash per target (perReplica, measurements,
// updatedAtMs), so a restarted lagpilot, or another replica of it, continues from what was
// learned instead of waiting for the group to be saturated again.
import type { Redis } from 'ioredis';
import type { CapacityStore, LearnedCapacity } from '../collectors/capacity.ts';

export interface RedisCapacityStoreOptions {
  /** Prepended to every key; "" when the client prefixes keys itself (ioredis keyPrefix). */
  keyPrefix?: string;
  /** A capacity no evaluation updated for this long is dropped (a target removed from the config). Default 30 days. */
  idleExpirySeconds?: number;
  /** Close the client on close() (true when the store created it). */
  ownsClient?: boolean;
}

export class RedisCapacityStore implements CapacityStore {
  readonly #client: Redis;
  readonly #keyPrefix: string;
  readonly #idleExpirySeconds: number;
  readonly #ownsClient: boolean;
  #closed = false;

  constructor(client: Redis, options: RedisCapacityStoreOptions = {}) {
    this.#client = client;
    this.#keyPrefix = options.keyPrefix ?? '';
    this.#idleExpirySeconds = options.idleExpirySeconds ?? 30 * 24 * 3600;
    this.#ownsClient = options.ownsClient ?? false;
  }

  #key(target: string): string {
    return `${this.#keyPrefix}capacity:${target}`;
  }

  async load(target: string): Promise<LearnedCapacity | null> {
    const fields = await this.#client.hgetall(this.#key(target));
    const perReplica = Number(fields.perReplica);
    const measurements = Number(fields.measurements);
    const updatedAtMs = Number(fields.updatedAtMs);
    // A hash written by something else (or half written) is not a capacity to scale on.
    if (![perReplica, measurements, updatedAtMs].every(Number.isFinite) || perReplica <= 0 || measurements < 1) return null;
    return { perReplica, measurements, updatedAtMs };
  }

  async save(target: string, learned: LearnedCapacity): Promise<void> {
    const key = this.#key(target);
    await this.#client
      .multi()
      .hset(key, { perReplica: String(learned.perReplica), measurements: String(learned.measurements), updatedAtMs: String(learned.updatedAtMs) })
      .expire(key, this.#idleExpirySeconds)
      .exec();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsClient) await this.#client.quit();
  }
}
