// What the services that run as one process on one loopback port (Redis, Prometheus,
// Alertmanager) have in common: the details they record, the record of a process just started,
// the EnvService around a start function, and for the Prometheus-style HTTP servers the
// readiness probe, the reload call and config files that their own tool has checked.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { startServiceOnce } from './lock.ts';
import { stopProcess, type StartedProcess } from './processes.ts';
import type { EnvService, ServiceRecord } from './service.ts';

export interface LoopbackServiceDetails extends ServiceRecord {
  host: string;
  port: number;
  /** What clients are given: redis://127.0.0.1:PORT, http://127.0.0.1:PORT. */
  url: string;
  dataDir: string;
  logFile: string;
}

/** The ServiceRecord of a process that became healthy just now, `startMillisFrom` being when its start began. */
export function startedRecord(started: StartedProcess, runDir: string, startMillisFrom: number): ServiceRecord {
  return {
    pids: [started.pid],
    runDir,
    startedAt: new Date().toISOString(),
    startMillis: Date.now() - startMillisFrom,
  };
}

export interface LoopbackServiceParts<Details extends LoopbackServiceDetails> {
  name: string;
  runDir: string;
  install: () => Promise<unknown>;
  isHealthy: (details: Details) => Promise<boolean>;
  /** Starts a new instance; runs only when no healthy one is recorded. */
  startFresh: () => Promise<Details>;
  /** Undoes what the service announced elsewhere when it started, after its process is gone. */
  afterStop?: () => void;
}

export function loopbackService<Details extends LoopbackServiceDetails>(parts: LoopbackServiceParts<Details>): EnvService<Details> {
  return {
    name: parts.name,

    async install(): Promise<void> {
      await parts.install();
    },

    async start(): Promise<Details> {
      return startServiceOnce<Details>(parts.name, parts.runDir, parts.isHealthy, parts.startFresh);
    },

    isHealthy: parts.isHealthy,

    async stop(details: Details): Promise<void> {
      for (const pid of details.pids) await stopProcess(pid);
      parts.afterStop?.();
    },
  };
}

/** True when GET URL/-/ready answers 2xx within two seconds. */
export async function answersReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * POSTs URL/-/reload; when the server refuses, throws `${refusal} (STATUS): its answer`, e.g.
 * refusal "Prometheus refused to reload its config".
 */
export async function requestReload(url: string, refusal: string): Promise<void> {
  const response = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  if (!response.ok) {
    throw new Error(`${refusal} (${response.status}): ${await response.text()}`);
  }
}

/**
 * Puts `text` in `file` only once `check` (the server's own validator, given the path of a
 * candidate beside the file) accepts it; a refused candidate is removed and the error reads
 * `${invalid}: what the validator said`. The rename means the server never reads half a file.
 */
export async function writeCheckedFile(file: string, text: string, check: (candidate: string) => Promise<unknown>, invalid: string): Promise<void> {
  const candidate = join(dirname(file), `.${basename(file)}.${process.pid}.candidate`);
  writeFileSync(candidate, text);
  try {
    await check(candidate);
  } catch (error) {
    rmSync(candidate, { force: true });
    throw new Error(`${invalid}: ${error instanceof Error ? error.message : String(error)}`);
  }
  renameSync(candidate, file);
}
