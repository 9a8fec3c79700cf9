// The Redis state store (ioredis). Cooldowns are keys set atomically with SET NX PX inside a
// Lua script that also reports the current holder; recommendation history is a sorted set per
// target scored by time, trimmed on write and expiring when idle; the decision journal is a
// stream per target capped at `journalLength` entries. Every key starts with the prefix, so
// several lagpilot installations can share one Redis.
import type { Redis } from 'ioredis';
import { asError } from '../logging/logger.ts';
import type { Decision } from '../policies/types.ts';
import type { TimedRecommendation } from '../policies/safety/stage.ts';
import { defaultJournalLength, validateTtl } from './store.ts';
import type { CooldownAcquisition, CooldownKind, CooldownState, JournalRead, StateStore } from './store.ts';
import { answered, describeRedisFailure } from './redis-errors.ts';

export interface RedisStoreOptions {
  /**
   * Prepended to every key, e.g. "lagpilot:prod:". Pass "" when the client already prefixes
   * keys itself (ioredis's own keyPrefix option, as the daemon's client does).
   */
  keyPrefix?: string;
  journalLength?: number;
  /** Close the client on close() (true when the store created it). */
  ownsClient?: boolean;
}

const acquireScript = `
local taken = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if taken then return {1, ARGV[1], tonumber(ARGV[2])} end
return {0, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
`;

const readScript = `
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
`;

const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

// Adds a recommendation and drops those older than the window, in one step; the key expires
// once no recommendation was written for a whole window.
const recordScript = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

export class RedisStateStore implements StateStore {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #journalLength: number;
  readonly #ownsClient: boolean;
  #closed = false;

  constructor(client: Redis, options: RedisStoreOptions = {}) {
    this.#client = client;
    this.#prefix = options.keyPrefix ?? 'lagpilot:';
    this.#journalLength = options.journalLength ?? defaultJournalLength;
    this.#ownsClient = options.ownsClient ?? false;
  }

  async acquireCooldown(target: string, kind: CooldownKind, holder: string, ttlMillis: number): Promise<CooldownAcquisition> {
    validateTtl(ttlMillis);
    const reply = await answered(this.#client, this.#client.eval(acquireScript, 1, this.#key('cooldown', target, kind), holder, String(ttlMillis)));
    const [acquired, currentHolder, remaining] = asTuple(reply, 'cooldown acquisition');
    if (Number(acquired) === 1) return { acquired: true, holder, remainingMillis: ttlMillis };
    if (typeof currentHolder !== 'string') throw new Error(`unexpected holder in the cooldown acquisition reply: ${JSON.stringify(currentHolder)}`);
    return { acquired: false, holder: currentHolder, remainingMillis: Math.max(0, Number(remaining)) };
  }

  async cooldown(target: string, kind: CooldownKind): Promise<CooldownState | null> {
    const [holder, remaining] = asPair(await answered(this.#client, this.#client.eval(readScript, 1, this.#key('cooldown', target, kind))), 'cooldown read');
    if (typeof holder !== 'string' || Number(remaining) < 0) return null;
    return { holder, remainingMillis: Number(remaining) };
  }

  async releaseCooldown(target: string, kind: CooldownKind, holder: string): Promise<boolean> {
    return Number(await answered(this.#client, this.#client.eval(releaseScript, 1, this.#key('cooldown', target, kind), holder))) === 1;
  }

  async recordRecommendation(target: string, recommendation: TimedRecommendation, keepSeconds: number): Promise<void> {
    // The member carries the time too, so equal counts at different times are distinct entries.
    const member = JSON.stringify(recommendation);
    const oldestKept = recommendation.time - keepSeconds;
    const idleExpirySeconds = Math.max(1, Math.ceil(keepSeconds));
    await answered(this.#client, this.#client.eval(recordScript, 1, this.#key('recommendations', target), String(recommendation.time), member, String(oldestKept), String(idleExpirySeconds)));
  }

  async recommendations(target: string, sinceTime: number): Promise<TimedRecommendation[]> {
    const members = await answered(this.#client, this.#client.zrangebyscore(this.#key('recommendations', target), sinceTime, '+inf'));
    return members.map((member) => JSON.parse(member) as TimedRecommendation);
  }

  async appendDecision(target: string, decision: Decision): Promise<void> {
    await answered(this.#client, this.#client.xadd(this.#key('journal', target), 'MAXLEN', String(this.#journalLength), '*', 'decision', JSON.stringify(decision)));
  }

  async recentDecisions(target: string, count: number): Promise<Decision[]> {
    if (count <= 0) return [];
    const entries = await answered(this.#client, this.#client.xrevrange(this.#key('journal', target), '+', '-', 'COUNT', count));
    return decodeJournal(target, entries);
  }

  async recentDecisionsOfTargets(targets: readonly string[], count: number): Promise<Map<string, JournalRead>> {
    const reads = new Map<string, JournalRead>();
    if (count <= 0 || targets.length === 0) {
      for (const target of targets) reads.set(target, { ok: true, decisions: [] });
      return reads;
    }
    // One pipeline: every XREVRANGE goes out at once and the answers come back together.
    const pipeline = this.#client.pipeline();
    for (const target of targets) pipeline.xrevrange(this.#key('journal', target), '+', '-', 'COUNT', count);
    const replies = await answered(this.#client, pipeline.exec());
    targets.forEach((target, index) => {
      const [failure, entries] = replies?.[index] ?? [new Error('Redis gave no answer for this journal'), undefined];
      if (failure !== null) {
        reads.set(target, { ok: false, error: new Error(describeRedisFailure(this.#client, failure), { cause: failure }) });
        return;
      }
      try {
        reads.set(target, { ok: true, decisions: decodeJournal(target, entries as [string, string[]][]) });
      } catch (error) {
        reads.set(target, { ok: false, error: asError(error) });
      }
    });
    return reads;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsClient) await this.#client.quit();
  }

  #key(...parts: string[]): string {
    // Targets are names from the config; braces keep one target's keys in one Redis Cluster slot.
    const [kind, target, ...rest] = parts;
    return `${this.#prefix}${kind ?? ''}:{${target ?? ''}}${rest.length > 0 ? `:${rest.join(':')}` : ''}`;
  }
}

/** XREVRANGE's entries as decisions; one entry without a decision field, or not JSON, fails the target's read. */
function decodeJournal(target: string, entries: [id: string, fields: string[]][]): Decision[] {
  return entries.map(([id, fields]) => {
    const index = fields.indexOf('decision');
    const json = index >= 0 ? fields[index + 1] : undefined;
    if (json === undefined) throw new Error(`journal entry ${id} of ${target} has no decision field`);
    return JSON.parse(json) as Decision;
  });
}

function asTuple(reply: unknown, what: string): [unknown, unknown, unknown] {
  if (!Array.isArray(reply) || reply.length !== 3) throw new Error(`unexpected Redis reply to the ${what}: ${JSON.stringify(reply)}`);
  return [reply[0], reply[1], reply[2]];
}

function asPair(reply: unknown, what: string): [unknown, unknown] {
  if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`unexpected Redis reply to the ${what}: ${JSON.stringify(reply)}`);
  return [reply[0], reply[1]];
}
