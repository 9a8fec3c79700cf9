// A lock between processes of one checkout (several test runs share the environment): creating
// a directory is atomic, so whoever creates it holds the lock until it removes it.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DirectoryLockOptions {
  /** Give up waiting after this long. */
  waitMs?: number;
  /** A lock older than this was left by a holder that died; it is broken. */
  staleMs?: number;
}

export async function withDirectoryLock<T>(lockDir: string, action: () => Promise<T>, options: DirectoryLockOptions = {}): Promise<T> {
  const waitMs = options.waitMs ?? 60_000;
  const staleMs = options.staleMs ?? 30_000;
  const giveUpAt = Date.now() + waitMs;
  mkdirSync(dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > staleMs) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // released meanwhile
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
