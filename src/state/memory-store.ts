// The in-memory state store, for one lagpilot process without Redis. Several stores opened on
// one MemoryBackend share their state, as lagpilot replicas share one Redis; the clock is
// injected so cooldowns lapse on the same time as everything else.
import { asError } from '../logging/logger.ts';
import type { Decision } from '../policies/types.ts';
import type { TimedRecommendation } from '../policies/safety/stage.ts';
import { defaultJournalLength, validateTtl } from './store.ts';
import type { CooldownAcquisition, CooldownKind, CooldownState, JournalRead, StateStore } from './store.ts';

export class MemoryBackend {
  readonly cooldowns = new Map<string, { holder: string; expiresAtMillis: number }>();
  readonly recommendations = new Map<string, TimedRecommendation[]>();
  readonly journals = new Map<string, Decision[]>();
}

export interface MemoryStoreOptions {
  backend?: MemoryBackend;
  journalLength?: number;
  nowMillis?: () => number;
}

export class MemoryStateStore implements StateStore {
  readonly #backend: MemoryBackend;
  readonly #journalLength: number;
  readonly #nowMillis: () => number;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#backend = options.backend ?? new MemoryBackend();
    this.#journalLength = options.journalLength ?? defaultJournalLength;
    this.#nowMillis = options.nowMillis ?? Date.now;
  }

  acquireCooldown(target: string, kind: CooldownKind, holder: string, ttlMillis: number): Promise<CooldownAcquisition> {
    this.#checkOpen();
    validateTtl(ttlMillis);
    const key = cooldownKey(target, kind);
    const now = this.#nowMillis();
    const existing = this.#live(key, now);
    if (existing !== null) return Promise.resolve({ acquired: false, ...existing });
    this.#backend.cooldowns.set(key, { holder, expiresAtMillis: now + ttlMillis });
    return Promise.resolve({ acquired: true, holder, remainingMillis: ttlMillis });
  }

  cooldown(target: string, kind: CooldownKind): Promise<CooldownState | null> {
    this.#checkOpen();
    return Promise.resolve(this.#live(cooldownKey(target, kind), this.#nowMillis()));
  }

  releaseCooldown(target: string, kind: CooldownKind, holder: string): Promise<boolean> {
    this.#checkOpen();
    const key = cooldownKey(target, kind);
    const existing = this.#live(key, this.#nowMillis());
    if (existing?.holder !== holder) return Promise.resolve(false);
    this.#backend.cooldowns.delete(key);
    return Promise.resolve(true);
  }

  recordRecommendation(target: string, recommendation: TimedRecommendation, keepSeconds: number): Promise<void> {
    this.#checkOpen();
    const kept = (this.#backend.recommendations.get(target) ?? []).filter((entry) => entry.time >= recommendation.time - keepSeconds);
    kept.push({ ...recommendation });
    kept.sort((left, right) => left.time - right.time);
    this.#backend.recommendations.set(target, kept);
    return Promise.resolve();
  }

  recommendations(target: string, sinceTime: number): Promise<TimedRecommendation[]> {
    this.#checkOpen();
    const entries = this.#backend.recommendations.get(target) ?? [];
    return Promise.resolve(entries.filter((entry) => entry.time >= sinceTime).map((entry) => ({ ...entry })));
  }

  appendDecision(target: string, decision: Decision): Promise<void> {
    this.#checkOpen();
    const journal = this.#backend.journals.get(target) ?? [];
    journal.push(structuredClone(decision));
    if (journal.length > this.#journalLength) journal.splice(0, journal.length - this.#journalLength);
    this.#backend.journals.set(target, journal);
    return Promise.resolve();
  }

  recentDecisions(target: string, count: number): Promise<Decision[]> {
    this.#checkOpen();
    // slice(-0) would be the whole journal: no count, no decisions (as the Redis store answers).
    if (count <= 0) return Promise.resolve([]);
    const journal = this.#backend.journals.get(target) ?? [];
    return Promise.resolve(journal.slice(-count).reverse().map((decision) => structuredClone(decision)));
  }

  async recentDecisionsOfTargets(targets: readonly string[], count: number): Promise<Map<string, JournalRead>> {
    this.#checkOpen();
    const reads = new Map<string, JournalRead>();
    // Nothing to batch in memory: each target is read as recentDecisions reads it, and a failure
    // stays with its target.
    for (const target of targets) {
      try {
        reads.set(target, { ok: true, decisions: await this.recentDecisions(target, count) });
      } catch (error) {
        reads.set(target, { ok: false, error: asError(error) });
      }
    }
    return reads;
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #live(key: string, now: number): CooldownState | null {
    const entry = this.#backend.cooldowns.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAtMillis <= now) {
      this.#backend.cooldowns.delete(key);
      return null;
    }
    return { holder: entry.holder, remainingMillis: entry.expiresAtMillis - now };
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('the memory state store is closed');
  }
}

function cooldownKey(target: string, kind: CooldownKind): string {
  return `${target}\u0000${kind}`;
}
