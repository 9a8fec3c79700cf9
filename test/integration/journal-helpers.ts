// Reading a running daemon's decision journal over HTTP, and waiting on a condition, for the
// end-to-end tests: one place for the request, its error and the one-line form of a decision
// that failure messages print.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Decision } from '../../src/policies/types.ts';

/** The journal of one target from GET /api/decisions at `baseUrl` (http://HOST:PORT), oldest first. */
export async function readJournal(baseUrl: string, target: string, limit = 1000): Promise<Decision[]> {
  const path = `/api/decisions?target=${encodeURIComponent(target)}&limit=${String(limit)}`;
  const response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${path} answered ${String(response.status)}: ${await response.text()}`);
  // The API answers newest first; a test reads the story in the order it happened.
  return ((await response.json()) as { decisions: Decision[] }).decisions.reverse();
}

/** One decision on one line for a failure message: action, replicas, reason codes, actuation. */
export function describeDecision(decision: Decision): string {
  const reasons = decision.reasons.map((entry) => entry.code).join(' ');
  return `${decision.action} ${String(decision.current)}->${String(decision.desired)} [${reasons}] ${decision.actuation?.status ?? ''} ${decision.actuation?.detail ?? ''}`;
}

/**
 * Reads `read()` every `intervalMs` until `done` accepts a value or `timeoutMs` passed; returns
 * the last value read and whether it was accepted, so the caller words its own failure.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, intervalMs = 250): Promise<{ value: T; accepted: boolean }> {
  const giveUpAt = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < giveUpAt) {
    await sleep(intervalMs);
    value = await read();
  }
  return { value, accepted: done(value) };
}
