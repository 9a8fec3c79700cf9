// Decisions as a person reads them: when, what, and the ordered reasons with their numbers.
import type { Decision, Evidence } from '../policies/types.ts';
import type { StateStore } from './store.ts';

const actionWords: Record<Decision['action'], string> = { scaleUp: 'scale up', scaleDown: 'scale down', none: 'keep' };

function formatEvidence(evidence: Evidence): string {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return '';
  return entries.map(([key, value]) => `${key}=${value === null ? '-' : String(value)}`).join(' ');
}

export function formatDecision(decision: Decision): string {
  const when = Number.isFinite(decision.time) ? new Date(decision.time * 1000).toISOString() : String(decision.time);
  const change = decision.action === 'none' ? `${decision.current}` : `${decision.current} → ${decision.desired}`;
  const lines = [`${when}  ${actionWords[decision.action]} ${change}`];
  const by = decision.leader === undefined ? '' : ` (by ${decision.leader.identity}, term ${decision.leader.term})`;
  if (decision.actuation !== undefined) lines.push(`  result: ${decision.actuation.status} ${decision.actuation.code}: ${decision.actuation.detail}${by}`);
  else if (by !== '') lines.push(`  decided${by}`);
  const sourceWidth = Math.max(0, ...decision.reasons.map((reason) => reason.source.length));
  const codeWidth = Math.max(0, ...decision.reasons.map((reason) => reason.code.length));
  for (const reason of decision.reasons) {
    lines.push(`  ${reason.source.padEnd(sourceWidth)}  ${reason.code.padEnd(codeWidth)}  ${reason.message}`);
    const evidence = formatEvidence(reason.evidence);
    if (evidence !== '') lines.push(`  ${''.padEnd(sourceWidth)}  ${''.padEnd(codeWidth)}    ${evidence}`);
  }
  return lines.join('\n');
}

/** The newest `count` decisions of a target, oldest first (a log reads downwards). */
export async function explainTarget(store: StateStore, target: string, count: number): Promise<string> {
  const decisions = (await store.recentDecisions(target, count)).reverse();
  if (decisions.length === 0) return `no decisions journaled for target "${target}"`;
  return decisions.map(formatDecision).join('\n\n');
}
