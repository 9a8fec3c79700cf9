// Schedule policy: cron windows that raise the minimum (be ready for business hours) or the
// maximum for a while. It never asks for fewer replicas: outside its windows it abstains.
import type { SchedulePolicyConfig } from './config.ts';
import { lastStartWithin, parseCron } from './cron.ts';
import { reason } from './types.ts';
import type { Reason, Recommendation, ScalingSignals } from './types.ts';

const policy = 'schedule';

export function evaluateSchedulePolicy(config: SchedulePolicyConfig, signals: ScalingSignals): Recommendation {
  const reasons: Reason[] = [];
  let minReplicas: number | undefined;
  let maxReplicas: number | undefined;
  for (const window of config.windows) {
    const start = lastStartWithin(parseCron(window.cron), signals.time, window.durationSeconds);
    if (start === null) continue;
    if (window.minReplicas !== undefined) minReplicas = Math.max(minReplicas ?? 0, window.minReplicas);
    if (window.maxReplicas !== undefined) maxReplicas = Math.max(maxReplicas ?? 0, window.maxReplicas);
    reasons.push(reason(policy, 'ScheduleWindowActive', `window "${window.cron}" active since ${new Date(start * 1000).toISOString()} for ${window.durationSeconds} s`, {
      cron: window.cron,
      startedAt: start,
      durationSeconds: window.durationSeconds,
      minReplicas: window.minReplicas ?? null,
      maxReplicas: window.maxReplicas ?? null,
    }));
  }
  const recommendation: Recommendation = { policy, replicas: minReplicas ?? null, dataComplete: true, reasons, evidence: {} };
  if (minReplicas !== undefined) recommendation.minReplicas = minReplicas;
  if (maxReplicas !== undefined) recommendation.maxReplicas = maxReplicas;
  return recommendation;
}
