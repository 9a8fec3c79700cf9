// Where the local test environment keeps things: downloads and builds are cached per user and
// keyed by version (shared by every checkout), runtime data lives in the checkout.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Downloads and builds, keyed by version: ~/.cache/lagpilot (or $LAGPILOT_CACHE_DIR). */
export const cacheRoot = process.env.LAGPILOT_CACHE_DIR ?? join(homedir(), '.cache', 'lagpilot');

/** Data directories and logs of running services, per checkout. */
export const runRoot = join(repoRoot, '.lagpilot-env');

/** Connection details of the started services, read by tests, benchmarks and the demo. */
export const envFile = join(repoRoot, '.lagpilot-env.json');

export function serviceRunDir(service: string): string {
  return join(runRoot, service);
}
