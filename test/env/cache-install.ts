// Filling a cache folder exactly once, safely: builds and downloads are written to a staging
// folder beside the final one and renamed into place only when complete. An install killed
// half-way (CI timeout, Ctrl-C) never leaves a folder that looks installed, and two concurrent
// installs never write the same file (the first complete one wins).
import { accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isAlive } from './processes.ts';

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Fills `finalDir` once: `fill` writes into a staging folder beside it. A leftover `finalDir`
 * that is not complete is replaced; afterwards `isComplete()` must hold, or this throws.
 */
export async function installOnce(finalDir: string, isComplete: () => boolean, fill: (stagingDir: string) => Promise<void>): Promise<void> {
  if (isComplete()) return;
  removeAbandonedStagingDirs(finalDir);
  const stagingDir = `${finalDir}.partial-${process.pid}-${Date.now()}`;
  mkdirSync(stagingDir, { recursive: true });
  try {
    await fill(stagingDir);
    if (existsSync(finalDir) && !isComplete()) rmSync(finalDir, { recursive: true, force: true });
    if (!existsSync(finalDir)) renameSync(stagingDir, finalDir);
  } finally {
    rmSync(stagingDir, { recursive: true, force: true });
  }
  if (!isComplete()) throw new Error(`installing into ${finalDir} finished, but what it should hold is missing`);
}

// A staging folder whose installing process is gone (some hold 130 MB of binaries) is cleared
// by the next install of the same folder.
function removeAbandonedStagingDirs(finalDir: string): void {
  const parent = dirname(finalDir);
  if (!existsSync(parent)) return;
  const prefix = `${basename(finalDir)}.partial-`;
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const ownerPid = Number.parseInt(entry.slice(prefix.length), 10);
    if (Number.isInteger(ownerPid) && isAlive(ownerPid)) continue;
    rmSync(join(parent, entry), { recursive: true, force: true });
  }
}
