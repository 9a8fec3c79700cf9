// Raised minimums that last while an alert fires: a route's raiseMinReplicas action puts one in
// when its alert fires and takes it out when the alert resolves. The reconciler reads the holds
// in force at each evaluation and raises the target's minimum to the highest of them, so the
// floor goes through the same safety pipeline as a configured one (bounds, final bounds) and
// the decision says why. Every hold has an end of its own: a resolution that never arrives
// must not pin a count for ever.
//
// Alertmanager's webhook reaches one replica of several; the leader must see what it put in.
// With Redis the holds are shared (a hash per target, see RedisHoldStore); without it they live
// in the process, which is right for a single replica.
import type { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../logging/logger.ts';
import { errorMessage } from '../logging/logger.ts';
import type { EngineConfig } from '../policies/config.ts';
import { reason, type Reason } from '../policies/types.ts';
import { redisCommandFailure } from '../state/redis-errors.ts';

export interface MinimumHold {
  /** Identifies the hold within its target (the alert's fingerprint and the route). */
  key: string;
  minReplicas: number;
  /** When the hold lapses on its own, epoch milliseconds. */
  untilMillis: number;
  /** What put it in, for the decision's reason (e.g. the alert's name). */
  cause: string;
}

export interface HeldMinimum {
  minReplicas: number;
  holds: MinimumHold[];
}

/** Where holds are kept: in the process, or shared by the replicas. */
export interface HoldStore {
  put(target: string, hold: MinimumHold, nowMillis: number): Promise<void>;
  /** Removes the hold; resolves to the hold as it was, or undefined. */
  remove(target: string, key: string): Promise<MinimumHold | undefined>;
  /** The target's holds that have not lapsed; lapsed ones may be dropped on the way. */
  inForce(target: string, nowMillis: number): Promise<MinimumHold[]>;
}

export class MemoryHoldStore implements HoldStore {
  readonly #byTarget = new Map<string, Map<string, MinimumHold>>();

  put(target: string, hold: MinimumHold): Promise<void> {
    let holds = this.#byTarget.get(target);
    if (holds === undefined) {
      holds = new Map();
      this.#byTarget.set(target, holds);
    }
    holds.set(hold.key, hold);
    return Promise.resolve();
  }

  remove(target: string, key: string): Promise<MinimumHold | undefined> {
    const holds = this.#byTarget.get(target);
    const existing = holds?.get(key);
    holds?.delete(key);
    return Promise.resolve(existing);
  }

  inForce(target: string, nowMillis: number): Promise<MinimumHold[]> {
    const holds = this.#byTarget.get(target);
    if (holds === undefined) return Promise.resolve([]);
    for (const [key, hold] of holds) if (hold.untilMillis <= nowMillis) holds.delete(key);
    if (holds.size === 0) this.#byTarget.delete(target);
    return Promise.resolve([...holds.values()]);
  }
}

/**
 * One Redis hash per target (`alert-holds:<target>`, under the client's key prefix): field = the
 * hold's key, value = the hold as JSON. The hash expires with its longest hold, so a target whose
 * alerts all lapsed leaves nothing behind.
 */
export class RedisHoldStore implements HoldStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async put(target: string, hold: MinimumHold, nowMillis: number): Promise<void> {
    const key = holdsKey(target);
    try {
      const holds = await this.#read(target, nowMillis);
      const until = Math.max(hold.untilMillis, ...holds.map((entry) => entry.untilMillis));
      await this.#redis.multi().hset(key, hold.key, JSON.stringify(hold)).pexpireat(key, until).exec();
    } catch (error) {
      throw redisCommandFailure(this.#redis, `writing the alert hold ${hold.key} of ${target} to Redis`, error);
    }
  }

  async remove(target: string, key: string): Promise<MinimumHold | undefined> {
    try {
      const [[, stored], [, removed]] = (await this.#redis.multi().hget(holdsKey(target), key).hdel(holdsKey(target), key).exec()) as [[unknown, string | null], [unknown, number]];
      return removed === 1 && stored !== null ? parseHold(stored) : undefined;
    } catch (error) {
      throw redisCommandFailure(this.#redis, `removing the alert hold ${key} of ${target} from Redis`, error);
    }
  }

  async inForce(target: string, nowMillis: number): Promise<MinimumHold[]> {
    try {
      return await this.#read(target, nowMillis);
    } catch (error) {
      throw redisCommandFailure(this.#redis, `reading the alert holds of ${target} from Redis`, error);
    }
  }

  async #read(target: string, nowMillis: number): Promise<MinimumHold[]> {
    const stored = await this.#redis.hgetall(holdsKey(target));
    const inForce: MinimumHold[] = [];
    const lapsed: string[] = [];
    for (const [field, text] of Object.entries(stored)) {
      const hold = parseHold(text);
      if (hold === undefined || hold.untilMillis <= nowMillis) lapsed.push(field);
      else inForce.push(hold);
    }
    if (lapsed.length > 0) await this.#redis.hdel(holdsKey(target), ...lapsed);
    return inForce;
  }
}

function holdsKey(target: string): string {
  return `alert-holds:${target}`;
}

function parseHold(text: string): MinimumHold | undefined {
  try {
    const value = JSON.parse(text) as Partial<MinimumHold>;
    if (typeof value.key !== 'string' || typeof value.minReplicas !== 'number' || typeof value.untilMillis !== 'number' || typeof value.cause !== 'string') return undefined;
    return { key: value.key, minReplicas: value.minReplicas, untilMillis: value.untilMillis, cause: value.cause };
  } catch {
    return undefined;
  }
}

export interface MinimumHoldsOptions {
  now: () => number;
  store?: HoldStore;
  registry?: Registry;
  logger?: Logger;
}

export class MinimumHolds {
  readonly #store: HoldStore;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;
  /** What each target's holds were when last read or changed here: the gauge, and the fallback while the store cannot be read. */
  readonly #lastSeen = new Map<string, MinimumHold[]>();
  #storeFailing = false;

  constructor(options: MinimumHoldsOptions) {
    this.#store = options.store ?? new MemoryHoldStore();
    this.#now = options.now;
    this.#logger = options.logger;
    if (options.registry !== undefined) {
      const lastSeen = this.#lastSeen;
      const now = this.#now;
      new Gauge({
        name: 'lagpilot_alert_min_replicas',
        help: 'The minimum a firing alert holds a target at (raiseMinReplicas routes), as this replica last read it; absent when no alert holds it.',
        labelNames: ['target'],
        registers: [options.registry],
        collect() {
          this.reset();
          const at = now();
          for (const [target, holds] of lastSeen) {
            const inForce = holds.filter((hold) => hold.untilMillis > at);
            if (inForce.length > 0) this.set({ target }, Math.max(...inForce.map((hold) => hold.minReplicas)));
          }
        },
      });
    }
  }

  /** Puts in (or renews) a hold. */
  async raise(target: string, hold: MinimumHold): Promise<void> {
    const now = this.#now();
    await this.#store.put(target, hold, now);
    this.#remember(target, [...(this.#lastSeen.get(target) ?? []).filter((entry) => entry.key !== hold.key), hold]);
  }

  /** Takes a hold out; resolves to true when it was in force. */
  async release(target: string, key: string): Promise<boolean> {
    const removed = await this.#store.remove(target, key);
    this.#remember(target, (this.#lastSeen.get(target) ?? []).filter((entry) => entry.key !== key));
    return removed !== undefined && removed.untilMillis > this.#now();
  }

  /**
   * The highest minimum in force for the target and the holds behind it, or undefined. While
   * the store cannot be read, the holds last seen stand (an outage must not drop a floor that
   * an incident asked for); they still lapse at their time.
   */
  async heldMinimum(target: string, nowMillis: number): Promise<HeldMinimum | undefined> {
    let inForce: MinimumHold[];
    try {
      inForce = await this.#store.inForce(target, nowMillis);
      if (this.#storeFailing) this.#logger?.info('alert holds readable again');
      this.#storeFailing = false;
    } catch (error) {
      if (!this.#storeFailing) this.#logger?.warn('alert holds unreadable; keeping those last seen', { target, error: errorMessage(error) });
      this.#storeFailing = true;
      inForce = (this.#lastSeen.get(target) ?? []).filter((hold) => hold.untilMillis > nowMillis);
    }
    this.#remember(target, inForce);
    if (inForce.length === 0) return undefined;
    return { minReplicas: Math.max(...inForce.map((hold) => hold.minReplicas)), holds: inForce };
  }

  #remember(target: string, holds: MinimumHold[]): void {
    if (holds.length === 0) this.#lastSeen.delete(target);
    else this.#lastSeen.set(target, holds);
  }
}

/**
 * The engine settings with the held minimum in force (never above the target's maximum), and
 * the reason that says so in the decision.
 */
export function withHeldMinimum(engine: EngineConfig, held: HeldMinimum): { engine: EngineConfig; reason: Reason } {
  const minimum = Math.min(engine.safety.maxReplicas, Math.max(engine.safety.minReplicas, held.minReplicas));
  const causes = held.holds.map((hold) => `${hold.cause} (${hold.minReplicas}, lapses ${new Date(hold.untilMillis).toISOString()})`);
  const capped = minimum < held.minReplicas ? `, capped at the maximum ${engine.safety.maxReplicas}` : '';
  return {
    engine: { ...engine, safety: { ...engine.safety, minReplicas: minimum } },
    reason: reason('alert', 'AlertRaisedMinimum', `minimum ${minimum} while firing: ${causes.join('; ')}${capped}`, {
      minReplicas: minimum,
      configuredMinReplicas: engine.safety.minReplicas,
      holds: held.holds.length,
    }),
  };
}
