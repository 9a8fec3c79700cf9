// A real `lagpilot run --config FILE` for integration tests: written config, free loopback port,
// the project's own Node 24 (process.execPath of the test run), its JSON log lines collected as
// they arrive, and a SIGTERM stop that reports how the process ended.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { repoRoot } from '../env/paths.ts';
import { freeLoopbackPort } from '../env/ports.ts';

export interface DaemonOptions {
  /** Config sections, e.g. { redis: { url } }; `server.host` and `server.port` are filled in here. */
  config?: Record<string, unknown>;
  /** Time allowed from spawn until /healthz answers 200. */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * What this Node runs before `run --config FILE`: Node flags and the entry file. By default
   * the TypeScript sources (src/cli.ts); e.g. ['--max-old-space-size=64', 'dist/lagpilot.mjs'].
   */
  entryArgs?: string[];
  /** The daemon's working directory; the repository by default. */
  cwd?: string;
}

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One log line: JSON when the daemon wrote JSON, else `{ raw }`. */
export type DaemonLogLine = Record<string, unknown> & { raw?: string };

export interface DaemonProcess {
  readonly pid: number;
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** HOST:PORT, what a Prometheus scrape target is. */
  readonly address: string;
  readonly configFile: string;
  /** Every stdout line so far, parsed. */
  readonly logLines: DaemonLogLine[];
  /** stderr so far, for error messages. */
  stderr(): string;
  /** Resolves with the first log line that matches, or throws (with the log tail) at the deadline. */
  waitForLogLine(matches: (line: DaemonLogLine) => boolean, timeoutMs: number, what: string): Promise<DaemonLogLine>;
  /** The text of /metrics. */
  metrics(): Promise<string>;
  /** SIGTERM, then waits for the exit (SIGKILL after the deadline). Idempotent. */
  stop(deadlineMs?: number): Promise<DaemonExit>;
}

const cliPath = join(repoRoot, 'src', 'cli.ts');

function parseLogLine(text: string): DaemonLogLine {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as DaemonLogLine;
  } catch {
    // not JSON: kept as raw text below
  }
  return { raw: text };
}

function describeOutput(logLines: DaemonLogLine[], stderr: string): string {
  const stdoutTail = logLines.slice(-30).map((line) => line.raw ?? JSON.stringify(line)).join('\n');
  const stderrTail = stderr.trimEnd().split('\n').slice(-30).join('\n');
  return `--- stdout (last lines) ---\n${stdoutTail || '(empty)'}\n--- stderr (last lines) ---\n${stderrTail || '(empty)'}`;
}

/** The text of GET /metrics from a daemon at `baseUrl` (http://HOST:PORT); throws on a non-2xx answer. */
export async function scrapeMetrics(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${baseUrl}/metrics answered ${String(response.status)}: ${await response.text()}`);
  return response.text();
}

/** Value of one sample of a Prometheus text exposition, e.g. sampleValue(text, 'x_total'). */
export function sampleValue(metricsText: string, nameWithLabels: string): number | undefined {
  for (const line of metricsText.split('\n')) {
    if (line.startsWith('#')) continue;
    const separator = line.lastIndexOf(' ');
    if (separator < 0) continue;
    if (line.slice(0, separator) === nameWithLabels) return Number(line.slice(separator + 1));
  }
  return undefined;
}

/**
 * Value of the first sample of `name` that carries every one of `labels` (others may be there
 * too), e.g. labelledSampleValue(text, 'lagpilot_kafka_brokers_online', { cluster: 'local' }).
 */
export function labelledSampleValue(metricsText: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Sum of every sample of a metric, whatever its labels. */
export function sampleSum(metricsText: string, name: string): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    if (line.startsWith('#')) continue;
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

export async function startDaemon(options: DaemonOptions = {}): Promise<DaemonProcess> {
  const port = await freeLoopbackPort();
  const host = '127.0.0.1';
  const url = `http://${host}:${port}`;
  const workDir = mkdtempSync(join(tmpdir(), 'lagpilot-daemon-'));
  const configFile = join(workDir, 'lagpilot.yaml');
  const serverSection = options.config?.server as Record<string, unknown> | undefined;
  writeFileSync(configFile, stringify({ ...options.config, server: { ...serverSection, host, port } }));

  const entryArgs = options.entryArgs ?? [cliPath];
  const child: ChildProcess = spawn(process.execPath, [...entryArgs, 'run', '--config', configFile], {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${process.execPath} ${entryArgs.join(' ')}`);

  const logLines: DaemonLogLine[] = [];
  let stderrText = '';
  let exit: DaemonExit | undefined;
  const exited = new Promise<DaemonExit>((resolveExit) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolveExit(exit);
    });
  });
  if (child.stdout === null || child.stderr === null) throw new Error('the daemon was spawned without pipes');
  createInterface({ input: child.stdout }).on('line', (text) => { logLines.push(parseLogLine(text)); });
  child.stderr.on('data', (chunk: Buffer) => { stderrText += chunk.toString(); });

  const stop = async (deadlineMs = 30_000): Promise<DaemonExit> => {
    if (exit === undefined) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => { child.kill('SIGKILL'); }, deadlineMs);
      await exited;
      clearTimeout(killTimer);
    }
    rmSync(workDir, { recursive: true, force: true });
    return exit ?? (await exited);
  };

  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const giveUpAt = Date.now() + startTimeoutMs;
  for (;;) {
    if (exit !== undefined) {
      await stop();
      throw new Error(
        `lagpilot run --config ${configFile} exited (${exit.signal ?? `code ${exit.code}`}) before /healthz answered\n${describeOutput(logLines, stderrText)}`,
      );
    }
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > giveUpAt) {
      await stop(5_000);
      throw new Error(`lagpilot run did not answer ${url}/healthz within ${startTimeoutMs} ms\n${describeOutput(logLines, stderrText)}`);
    }
    await sleep(100);
  }

  return {
    pid,
    port,
    url,
    address: `${host}:${port}`,
    configFile,
    logLines,
    stderr: () => stderrText,
    async waitForLogLine(matches, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logLines.find(matches);
        if (found !== undefined) return found;
        if (Date.now() > deadline) {
          throw new Error(`lagpilot did not log ${what} within ${timeoutMs} ms\n${describeOutput(logLines, stderrText)}`);
        }
        await sleep(100);
      }
    },
    metrics: () => scrapeMetrics(url),
    stop,
  };
}
