// Prometheus of the local environment scrapes a real `lagpilot run`: the target turns up through
// file-based discovery, lagpilot's own metrics are queryable, and a stopped lagpilot shows as down.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureService } from '../env/environment.ts';
import { repoRoot } from '../env/paths.ts';
import { lagpilotJobName, setScrapeTargets, type PrometheusDetails } from '../env/services/prometheus.ts';
import { startDaemon, type DaemonProcess } from './daemon-process.ts';

interface ActiveTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function prometheusApi<T>(prometheus: PrometheusDetails, path: string): Promise<T> {
  const response = await fetch(`${prometheus.url}${path}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (!response.ok || body.status !== 'success') {
    throw new Error(`Prometheus ${path} answered ${response.status}: ${body.error ?? JSON.stringify(body)}`);
  }
  return body.data;
}

async function activeTargets(prometheus: PrometheusDetails): Promise<ActiveTarget[]> {
  return (await prometheusApi<{ activeTargets: ActiveTarget[] }>(prometheus, '/api/v1/targets?state=active')).activeTargets;
}

async function instantQuery(prometheus: PrometheusDetails, promql: string): Promise<InstantSample[]> {
  const data = await prometheusApi<{ resultType: string; result: InstantSample[] }>(
    prometheus,
    `/api/v1/query?query=${encodeURIComponent(promql)}`,
  );
  return data.result;
}

/** Polls until `probe` returns a value, or throws with the last thing it saw. */
async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<{ value?: T; seen: string }>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastSeen = '(nothing yet)';
  for (;;) {
    try {
      const { value, seen } = await probe();
      lastSeen = seen;
      if (value !== undefined) return value;
    } catch (error) {
      lastSeen = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms; last seen: ${lastSeen}`);
    await sleep(250);
  }
}

describe('prometheus (local environment) scraping a running lagpilot', function () {
  let prometheus: PrometheusDetails;
  let daemon: DaemonProcess;
  // Its own file_sd file: other runs sharing this Prometheus keep theirs.
  const targetsOwner = `test-${process.pid}`;
  const packageVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

  before(async function () {
    prometheus = await ensureService<PrometheusDetails>('prometheus');
    daemon = await startDaemon();
    setScrapeTargets([daemon.address], targetsOwner);
  });

  after(async function () {
    setScrapeTargets([], targetsOwner);
    await daemon.stop();
  });

  it('discovers the lagpilot target from the file_sd file and scrapes it: health up', async function () {
    const startedAt = Date.now();
    const target = await eventually('the lagpilot target up in /api/v1/targets', 30_000, async () => {
      const targets = await activeTargets(prometheus);
      const ours = targets.find((candidate) => candidate.labels.instance === daemon.address);
      return {
        value: ours?.health === 'up' ? ours : undefined,
        seen: JSON.stringify(targets.map((candidate) => ({ instance: candidate.labels.instance, health: candidate.health, lastError: candidate.lastError }))),
      };
    });
    expect(target.labels.job).to.equal(lagpilotJobName);
    expect(target.scrapeUrl).to.equal(`http://${daemon.address}/metrics`);
    expect(target.lastError).to.equal('');
    console.log(`      target up after ${Date.now() - startedAt} ms`);
  });

  it(`answers up{job="${lagpilotJobName}"} = 1 for the daemon`, async function () {
    const samples = await eventually('up = 1 for the daemon', 15_000, async () => {
      const result = await instantQuery(prometheus, `up{job="${lagpilotJobName}",instance="${daemon.address}"}`);
      return { value: result.length === 1 && result[0]?.value[1] === '1' ? result : undefined, seen: JSON.stringify(result) };
    });
    expect(samples[0]?.metric).to.include({ job: lagpilotJobName, instance: daemon.address });
  });

  it('makes lagpilot_build_info queryable with the daemon\'s version labels', async function () {
    const samples = await eventually('lagpilot_build_info of the daemon', 15_000, async () => {
      const result = await instantQuery(prometheus, `lagpilot_build_info{instance="${daemon.address}"}`);
      return { value: result.length > 0 ? result : undefined, seen: JSON.stringify(result) };
    });
    expect(samples).to.have.length(1);
    expect(samples[0]?.metric).to.include({
      __name__: 'lagpilot_build_info',
      job: lagpilotJobName,
      version: packageVersion,
      node_version: process.version,
    });
    expect(samples[0]?.value[1]).to.equal('1');
  });

  it('sees the target go down once the daemon stops', async function () {
    const exit = await daemon.stop();
    expect(exit, `lagpilot did not exit cleanly on SIGTERM\n${daemon.stderr()}`).to.deep.equal({ code: 0, signal: null });
    await eventually('up = 0 after the daemon stopped', 15_000, async () => {
      const result = await instantQuery(prometheus, `up{job="${lagpilotJobName}",instance="${daemon.address}"}`);
      return { value: result[0]?.value[1] === '0' ? true : undefined, seen: JSON.stringify(result) };
    });
  });
});
