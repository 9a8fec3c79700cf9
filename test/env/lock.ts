// A lock between processes of one checkout (several test runs share the environment): creating
// a directory is atomic, so whoever creates it holds the lock until it removes it. The holder
// writes its pid inside, so a lock left by a process that died is broken at once.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './processes.ts';
import { readEnvState, recordService } from './state.ts';
import type { ServiceRecord } from './service.ts';

export interface DirectoryLockOptions {
  /** Give up waiting after this long. */
  waitMs?: number;
  /** A lock without a readable holder pid that is older than this is broken. */
  staleMs?: number;
}

function holderIsGone(lockDir: string, staleMs: number): boolean {
  try {
    const holder = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    if (Number.isInteger(holder) && holder > 0) return !isAlive(holder);
  } catch {
    // no pid written yet (the holder is between mkdir and write) or the lock was just released
  }
  try {
    return Date.now() - statSync(lockDir).mtimeMs > staleMs;
  } catch {
    return false;
  }
}

export async function withDirectoryLock<T>(lockDir: string, action: () => Promise<T>, options: DirectoryLockOptions = {}): Promise<T> {
  const waitMs = options.waitMs ?? 60_000;
  const staleMs = options.staleMs ?? 30_000;
  const giveUpAt = Date.now() + waitMs;
  mkdirSync(dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (holderIsGone(lockDir, staleMs)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > giveUpAt) throw new Error(`the lock ${lockDir} stayed taken for ${waitMs} ms`);
      await sleep(50);
    }
  }
  try {
    return await action();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Runs a service's start unless another process started it meanwhile: two test runs that both
 * find the service down would otherwise start two copies in the same run directory, each wiping
 * the other's data. The result is recorded before the lock is released, so the next process in
 * line finds it.
 */
export async function startServiceOnce<Details extends ServiceRecord>(
  serviceName: string,
  runDir: string,
  isHealthy: (details: Details) => Promise<boolean>,
  start: () => Promise<Details>,
): Promise<Details> {
  // A cold start installs packages first: allow it the time an apt-get install may take.
  const options = { waitMs: 20 * 60_000, staleMs: 20 * 60_000 };
  return withDirectoryLock(join(runDir, '.start.lock'), async () => {
    const recorded = readEnvState()[serviceName] as Details | undefined;
    if (recorded !== undefined && (await isHealthy(recorded))) return recorded;
    const started = await start();
    recordService(serviceName, started);
    return started;
  }, options);
}
