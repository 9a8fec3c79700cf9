// Debian packages for the local environment (Redis, Prometheus, Alertmanager). A package is
// installed only when the binary it provides is missing, so a warm start never touches apt; the
// package index is refreshed at most once per process, because `apt-get update` takes seconds.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runToCompletion } from './processes.ts';

export interface DebianBinary {
  /** The command the service runs, e.g. `redis-server`. */
  binary: string;
  /** The Debian package that provides it, e.g. `redis-server`. */
  debianPackage: string;
}

// Debian's packaged daemons live in /usr/sbin or /usr/bin, which a non-login PATH may lack.
const systemDirectories = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of an executable found on PATH or in the system directories, if any. */
export function findExecutable(binary: string): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(delimiter).filter((entry) => entry !== ''), ...systemDirectories];
  for (const directory of directories) {
    const candidate = join(directory, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

let packageIndexRefreshed: Promise<void> | undefined;

// Another apt run (a parallel install, unattended upgrades) holds the dpkg lock; wait for it
// instead of failing at once.
const lockTimeoutSeconds = '600';

function aptEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
}

/**
 * apt-get with the dpkg lock timeout; other apt locks (the package lists of `update`) are not
 * covered by it, so a run that failed only because a lock was held is tried again.
 */
async function runAptGet(args: string[], timeoutMs: number): Promise<string> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await runToCompletion('apt-get', ['-o', `DPkg::Lock::Timeout=${lockTimeoutSeconds}`, ...args], {
        env: aptEnvironment(),
        timeoutMs: Math.max(giveUpAt - Date.now(), 1_000),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!/Could not get lock|is held by process/.test(message) || Date.now() > giveUpAt) throw error;
      await sleep(2_000);
    }
  }
}

async function refreshPackageIndexOnce(): Promise<void> {
  packageIndexRefreshed ??= runAptGet(['update'], 10 * 60_000).then(
    () => undefined,
    (error: unknown) => {
      packageIndexRefreshed = undefined;
      throw error;
    },
  );
  return packageIndexRefreshed;
}

/**
 * Returns the absolute path of each binary, installing the packages of the missing ones first.
 * Throws with apt's output when the install fails, or when a package did not bring its binary.
 */
export async function ensureDebianBinaries(wanted: DebianBinary[]): Promise<Map<string, string>> {
  const missing = wanted.filter((entry) => findExecutable(entry.binary) === undefined);
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      const names = missing.map((entry) => entry.debianPackage).join(' ');
      throw new Error(
        `${missing.map((entry) => entry.binary).join(', ')} not found and this user cannot install packages: ` +
          `run "sudo apt-get install -y --no-install-recommends ${names}" once`,
      );
    }
    const packages = [...new Set(missing.map((entry) => entry.debianPackage))];
    await refreshPackageIndexOnce();
    try {
      await runAptGet(['install', '-y', '--no-install-recommends', ...packages], 20 * 60_000);
    } catch (error) {
      throw new Error(`installing Debian packages ${packages.join(', ')} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const paths = new Map<string, string>();
  for (const entry of wanted) {
    const path = findExecutable(entry.binary);
    if (path === undefined) {
      throw new Error(`the Debian package ${entry.debianPackage} is installed but ${entry.binary} is not on PATH or in ${systemDirectories.join(', ')}`);
    }
    paths.set(entry.binary, path);
  }
  return paths;
}

/**
 * The paths of binaries that one Debian package provides (a server and its tool, say), in the
 * order asked, installing the package when one of them is missing.
 */
export async function ensurePackageBinaries<const Binaries extends readonly string[]>(
  debianPackage: string,
  binaries: Binaries,
): Promise<{ -readonly [Index in keyof Binaries]: string }> {
  const paths = await ensureDebianBinaries(binaries.map((binary) => ({ binary, debianPackage })));
  return binaries.map((binary) => {
    const path = paths.get(binary);
    if (path === undefined) throw new Error(`${binary} was not resolved`);
    return path;
  }) as { -readonly [Index in keyof Binaries]: string };
}

/** The path of one binary, installing its package when it is missing. */
export async function ensureDebianBinary(binary: string, debianPackage: string): Promise<string> {
  const [path] = await ensurePackageBinaries(debianPackage, [binary]);
  return path;
}
