// Offset histories of the estimated lag-seconds mode in Redis: one hash per cluster, one field
// per partition holding the compact history, so a sweep reads and writes a cluster's histories
// in one command each and a restarted (or another) lagpilot replica continues the same curves.
import type { Redis } from 'ioredis';
import { decodeHistory, encodeHistory, type OffsetHistoryStore, type OffsetPoint } from './lag-seconds.ts';

export interface RedisOffsetHistoryOptions {
  /** Prepended to the key; "" when the client prefixes keys itself (ioredis keyPrefix). */
  keyPrefix?: string;
  /** The hash expires when no sweep wrote it for this long (a cluster removed from the config). Default 7 days. */
  idleExpirySeconds?: number;
  ownsClient?: boolean;
}

export class RedisOffsetHistoryStore implements OffsetHistoryStore {
  readonly #client: Redis;
  readonly #keyPrefix: string;
  readonly #idleExpirySeconds: number;
  readonly #ownsClient: boolean;
  #closed = false;

  constructor(client: Redis, options: RedisOffsetHistoryOptions = {}) {
    this.#client = client;
    this.#keyPrefix = options.keyPrefix ?? '';
    this.#idleExpirySeconds = options.idleExpirySeconds ?? 7 * 24 * 3600;
    this.#ownsClient = options.ownsClient ?? false;
  }

  #key(cluster: string): string {
    return `${this.#keyPrefix}offset-history:${cluster}`;
  }

  async load(cluster: string, keys: readonly string[]): Promise<Map<string, OffsetPoint[]>> {
    const found = new Map<string, OffsetPoint[]>();
    if (keys.length === 0) return found;
    const values = await this.#client.hmget(this.#key(cluster), ...keys);
    keys.forEach((key, index) => {
      const text = values[index];
      if (text === null || text === undefined) return;
      try {
        found.set(key, decodeHistory(text));
      } catch {
        // A damaged entry only costs that partition its history: it starts over.
      }
    });
    return found;
  }

  async save(cluster: string, histories: ReadonlyMap<string, readonly OffsetPoint[]>): Promise<void> {
    if (histories.size === 0) return;
    const fields: string[] = [];
    for (const [key, history] of histories) fields.push(key, encodeHistory(history));
    await this.#client.multi().hset(this.#key(cluster), ...fields).expire(this.#key(cluster), this.#idleExpirySeconds).exec();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsClient) await this.#client.quit();
  }
}
