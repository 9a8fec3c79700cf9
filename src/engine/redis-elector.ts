// Leader election on a Redis lock, for lagpilot outside Kubernetes. The lock is a key set with
// SET NX PX (it lapses on Redis's clock, whatever the replicas' clocks say); renewing and
// releasing compare the holder first, inside Lua scripts, so a replica never extends or deletes
// a lock another one took after its own lapsed. Every new leadership takes the next number of a
// counter that never expires: the fencing term.
import type { Redis } from 'ioredis';
import { redisCommandFailure } from '../state/redis-errors.ts';
import { CampaigningElector, type CampaignOptions, type CampaignOutcome } from './leader-election.ts';

export interface RedisElectorOptions extends CampaignOptions {
  client: Redis;
  /** Replicas with the same election name compete. */
  electionName: string;
  /** Prepended to both keys; "" when the client prefixes keys itself. */
  keyPrefix?: string;
}

// KEYS: lock, term counter. ARGV: identity, lease ms.
// Free: take it with a new term. Ours (left from a leadership this replica gave up): take it
// again with a new term too, since the replica stopped acting in between.
const acquireScript = `
local taken = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if not taken and redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  taken = true
end
if taken then return {1, redis.call('INCR', KEYS[2])} end
return {0, redis.call('GET', KEYS[1]) or ''}
`;

const renewScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, tonumber(redis.call('GET', KEYS[2]) or '0')}
end
return {0, redis.call('GET', KEYS[1]) or ''}
`;

const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class RedisElector extends CampaigningElector {
  readonly #client: Redis;
  readonly #lockKey: string;
  readonly #termKey: string;

  constructor(options: RedisElectorOptions) {
    super(options);
    this.#client = options.client;
    const prefix = options.keyPrefix ?? 'lagpilot:';
    // Braces keep both keys in one Redis Cluster slot, as the scripts need.
    this.#lockKey = `${prefix}leader:{${options.electionName}}`;
    this.#termKey = `${prefix}leader:{${options.electionName}}:term`;
  }

  protected async campaign(): Promise<CampaignOutcome> {
    const renewing = this.believesLeading;
    let reply: unknown;
    try {
      reply = await this.#client.eval(renewing ? renewScript : acquireScript, 2, this.#lockKey, this.#termKey, this.identity, String(this.timings.leaseDurationMillis));
    } catch (error) {
      throw redisCommandFailure(this.#client, `${renewing ? 'renewing' : 'acquiring'} the leader lock ${this.#lockKey} in Redis`, error);
    }
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`unexpected Redis reply to the leader lock script: ${JSON.stringify(reply)}`);
    const [won, detail] = reply as [unknown, unknown];
    if (Number(won) === 1) {
      const term = Number(detail);
      if (!Number.isInteger(term) || term < 1) throw new Error(`the leader term counter ${this.#termKey} holds ${JSON.stringify(detail)}, not a positive whole number`);
      return { leading: true, term };
    }
    return { leading: false, holder: typeof detail === 'string' && detail !== '' ? detail : 'nobody (the lock lapsed)' };
  }

  protected async release(): Promise<void> {
    try {
      await this.#client.eval(releaseScript, 1, this.#lockKey, this.identity);
    } catch (error) {
      throw redisCommandFailure(this.#client, `releasing the leader lock ${this.#lockKey} in Redis`, error);
    }
  }
}
