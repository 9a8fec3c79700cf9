// What the demo prints: one progress line every few seconds and a few lines per decision, plain
// text for a terminal or a CI log (no cursor tricks), so that a run can be read afterwards too.
import type { Decision, Reason } from '../policies/types.ts';
import { formatTraceClock } from './replay.ts';

export interface ProgressSnapshot {
  /** Real seconds since the demo command started. */
  elapsedSeconds: number;
  traceSecond: number;
  traceSeconds: number;
  round: number;
  /** Messages per second the load generator is asked to produce now, and the trace's own figure. */
  produceRate: number;
  traceRate: number;
  /** As lagpilot's last collection saw them (/metrics); undefined before the first. */
  lagMessages?: number;
  lagSeconds?: number;
  currentWorkers?: number;
  desiredWorkers?: number;
  /** Workers the load needs at the trace's rate: produce rate / worker capacity. */
  neededWorkers: number;
}

function orDash(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

export function formatProgress(snapshot: ProgressSnapshot): string {
  const lap = snapshot.round > 0 ? ` (round ${snapshot.round + 1})` : '';
  const workers = snapshot.currentWorkers === undefined
    ? '-'
    : snapshot.desiredWorkers !== undefined && snapshot.desiredWorkers !== snapshot.currentWorkers
      ? `${snapshot.currentWorkers} -> ${snapshot.desiredWorkers}`
      : String(snapshot.currentWorkers);
  return [
    `${seconds(snapshot.elapsedSeconds)}  trace ${formatTraceClock(snapshot.traceSecond)}/${formatTraceClock(snapshot.traceSeconds)}${lap}`,
    `produce ${snapshot.produceRate.toFixed(0)} msg/s (trace ${snapshot.traceRate.toFixed(0)})`,
    `lag ${orDash(snapshot.lagMessages)} msgs, ${orDash(snapshot.lagSeconds, 1)} s`,
    `workers ${workers} (load needs ${snapshot.neededWorkers.toFixed(1)})`,
  ].join(' | ');
}

const actionWords: Record<Decision['action'], string> = { scaleUp: 'SCALE UP', scaleDown: 'SCALE DOWN', none: 'keep' };

/**
 * The reasons worth reading: the engine lists one per policy, abstentions included ("no cpu
 * utilization measured"); the demo shows those of the policies that voted, the capacity the
 * vote assumed, and every safety stage that changed the number.
 */
export function readableReasons(decision: Decision): Reason[] {
  const abstained = new Set(decision.recommendations.filter((recommendation) => recommendation.replicas === null).map((recommendation) => recommendation.policy));
  return decision.reasons.filter((entry) => !abstained.has(entry.source));
}

/** Reasons of the safety stages (not a policy, the vote or the capacity estimate): what changed the number. */
function safetyReasons(decision: Decision): Reason[] {
  const voters = new Set([...decision.recommendations.map((recommendation) => recommendation.policy), 'combine', 'capacity']);
  return decision.reasons.filter((entry) => !voters.has(entry.source));
}

/**
 * A decision as the terminal shows it: when, what (with what applying it did), then each reason
 * on its own line, code first, in the engine's order (policies, then the safety stages).
 */
export function formatDecision(decision: Decision, commandStartedAtMillis: number, traceSecond?: number): string[] {
  const at = seconds(decision.time - commandStartedAtMillis / 1000);
  const when = traceSecond === undefined ? at : `${at}  trace ${formatTraceClock(traceSecond)}`;
  const change = decision.action === 'none' ? `${decision.current} workers` : `${decision.current} -> ${decision.desired} workers`;
  const actuation = decision.actuation === undefined ? '' : ` [${decision.actuation.status}: ${decision.actuation.detail}]`;
  const lines = [`${when}  decision: ${actionWords[decision.action]} ${change}${actuation}`];
  for (const entry of readableReasons(decision)) lines.push(`${' '.repeat(at.length + 2)}${entry.code}: ${entry.message}`);
  return lines;
}

/**
 * Whether a decision is worth lines of its own: every change is; a "keep" only when a safety
 * stage held back a change the policies asked for (a cooldown, a stabilization window, the
 * bounds), and not twice in a row for the same holds. The progress line shows the rest.
 */
export function isNewsworthy(decision: Decision, lastShown: Decision | undefined): boolean {
  if (decision.action !== 'none') return true;
  const holds = safetyReasons(decision);
  if (holds.length === 0) return false;
  if (lastShown?.action !== 'none') return true;
  const codes = (reasons: Reason[]): string => reasons.map((item) => item.code).join(' ');
  return codes(safetyReasons(lastShown)) !== codes(holds);
}

function seconds(value: number): string {
  return `+${value.toFixed(1).padStart(5)} s`;
}
