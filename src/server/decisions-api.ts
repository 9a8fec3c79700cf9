// GET /api/decisions?target=NAME[&limit=N]: the newest decisions of one target from the
// journal, newest first, as JSON. A target without journaled decisions (or one lagpilot does
// not know) gets an empty list that names it, so a typo is visible in the answer itself.
import type { Decision } from '../policies/types.ts';
import { defaultJournalLength, type StateStore } from '../state/store.ts';

export const defaultDecisionLimit = 20;
export const maxDecisionLimit = defaultJournalLength;

export interface DecisionsSource {
  store: StateStore;
  /** The configured targets, to tell an unknown target from a quiet one. */
  targets: readonly string[];
}

export interface DecisionsAnswer {
  target: string;
  /** Whether the target is in the configuration. */
  configured: boolean;
  limit: number;
  decisions: Decision[];
}

export type DecisionsReply =
  | { status: 200; body: DecisionsAnswer }
  | { status: 400 | 503; body: { error: string } };

export async function queryDecisions(query: URLSearchParams, source: DecisionsSource): Promise<DecisionsReply> {
  const target = query.get('target');
  if (target === null || target === '') {
    return { status: 400, body: { error: 'the target parameter is missing: use /api/decisions?target=NAME[&limit=N]' } };
  }
  const limitText = query.get('limit');
  let limit = defaultDecisionLimit;
  if (limitText !== null) {
    limit = /^[0-9]{1,7}$/.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= 1 && limit <= maxDecisionLimit)) {
      return { status: 400, body: { error: `the limit parameter must be a whole number from 1 to ${maxDecisionLimit}, got ${JSON.stringify(limitText)}` } };
    }
  }
  let decisions: Decision[];
  try {
    decisions = await source.store.recentDecisions(target, limit);
  } catch (error) {
    // The journal's store (Redis) is down or not yet connected: a condition to retry, not a bug.
    const cause = error instanceof Error ? error.message : String(error);
    return { status: 503, body: { error: `the decision journal could not be read: ${cause}` } };
  }
  return { status: 200, body: { target, configured: source.targets.includes(target), limit, decisions } };
}
