// What the demo reads from the lagpilot it runs, through the daemon's own HTTP API: the journal
// (/api/decisions) and the last collection (/metrics). The demo shows what lagpilot saw, not a
// second measurement of its own.
import type { Decision } from '../policies/types.ts';

export interface DaemonReading {
  lagMessages?: number;
  lagSeconds?: number;
  currentWorkers?: number;
  desiredWorkers?: number;
}

/**
 * The value of the first sample of `metric` whose labels include all of `labels` (in any order,
 * others allowed), from Prometheus' text format; undefined when there is none.
 */
export function sampleValue(metricsText: string, metric: string, labels: Readonly<Record<string, string>>): number | undefined {
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const labelsEnd = line.lastIndexOf('}');
    const labelText = labelsEnd < 0 ? '' : line.slice(metric.length + 1, labelsEnd);
    const found = new Map<string, string>();
    for (const match of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found.set(match[1] ?? '', match[2] ?? '');
    if (!Object.entries(labels).every(([name, value]) => found.get(name) === value)) continue;
    const value = Number(line.slice((labelsEnd < 0 ? metric.length : labelsEnd + 1)).trim());
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

export function readDaemonMetrics(metricsText: string, target: string, group: string): DaemonReading {
  const reading: DaemonReading = {};
  const lagMessages = sampleValue(metricsText, 'lagpilot_consumergroup_lag_messages', { target, group });
  const lagSeconds = sampleValue(metricsText, 'lagpilot_consumergroup_lag_seconds', { target, group });
  const currentWorkers = sampleValue(metricsText, 'lagpilot_current_replicas', { target });
  const desiredWorkers = sampleValue(metricsText, 'lagpilot_desired_replicas', { target });
  if (lagMessages !== undefined) reading.lagMessages = lagMessages;
  if (lagSeconds !== undefined) reading.lagSeconds = lagSeconds;
  if (currentWorkers !== undefined) reading.currentWorkers = currentWorkers;
  if (desiredWorkers !== undefined) reading.desiredWorkers = desiredWorkers;
  return reading;
}

export class DaemonView {
  readonly baseUrl: string;
  private readonly target: string;

  constructor(baseUrl: string, target: string) {
    this.baseUrl = baseUrl;
    this.target = target;
  }

  async metrics(group: string): Promise<DaemonReading> {
    const response = await fetch(`${this.baseUrl}/metrics`, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
    return readDaemonMetrics(await response.text(), this.target, group);
  }

  /** The journal's decisions, oldest first. */
  async decisions(limit: number): Promise<Decision[]> {
    const response = await fetch(`${this.baseUrl}/api/decisions?target=${encodeURIComponent(this.target)}&limit=${limit}`, { signal: AbortSignal.timeout(3_000) });
    if (!response.ok) throw new Error(`GET /api/decisions answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { decisions: Decision[] };
    return body.decisions.slice().reverse();
  }

  /** True once the daemon answers /healthz. */
  async answers(): Promise<boolean> {
    try {
      const response = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
      return response.ok;
    } catch {
      return false;
    }
  }
}
