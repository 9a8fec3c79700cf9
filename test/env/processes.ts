// Starting, watching and stopping the service processes of the local environment.
// Services run detached from the command that started them (so `env up` can exit), with their
// output in a log file; their pids are recorded in the env file so `env down` can stop them.
import { spawn, type SpawnOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartedProcess {
  pid: number;
  logFile: string;
}

export interface StartOptions {
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function startDetached(options: StartOptions): StartedProcess {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const logFd = openSync(options.logFile, 'a');
  const spawnOptions: SpawnOptions = {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: options.env ?? process.env,
  };
  if (options.cwd !== undefined) spawnOptions.cwd = options.cwd;
  const child = spawn(options.command, options.args, spawnOptions);
  closeSync(logFd);
  if (child.pid === undefined) {
    throw new Error(`could not start ${options.command}: no pid (is it installed?)`);
  }
  child.unref();
  return { pid: child.pid, logFile: options.logFile };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after the deadline. Resolves when the process is gone. */
export async function stopProcess(pid: number, deadlineMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  const giveUpAt = Date.now() + deadlineMs;
  while (Date.now() < giveUpAt) {
    if (!isAlive(pid)) return;
    await sleep(100);
  }
  try { process.kill(pid, 'SIGKILL'); } catch { return; }
  while (isAlive(pid)) await sleep(50);
}

/** The last lines of a log, for the error of a failed start. */
export function tailOfLog(logFile: string, lines = 40): string {
  if (!existsSync(logFile)) return `(no log at ${logFile})`;
  const text = readFileSync(logFile, 'utf8').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
}

export class ServiceStartError extends Error {
  readonly logFile: string;
  constructor(message: string, logFile: string) {
    super(`${message}\nlog: ${logFile}\n--- last lines ---\n${tailOfLog(logFile)}`);
    this.name = 'ServiceStartError';
    this.logFile = logFile;
  }
}

/**
 * Polls `check` until it returns true. Fails early, with the log, when the process dies, and
 * at the deadline.
 */
export async function waitUntilHealthy(
  what: string,
  check: () => Promise<boolean>,
  processToWatch: StartedProcess,
  timeoutMs: number,
): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(processToWatch.pid)) {
      throw new ServiceStartError(`${what} exited before it became healthy`, processToWatch.logFile);
    }
    let healthy = false;
    try { healthy = await check(); } catch { healthy = false; }
    if (healthy) return;
    if (Date.now() > giveUpAt) {
      throw new ServiceStartError(`${what} was not healthy after ${timeoutMs} ms`, processToWatch.logFile);
    }
    await sleep(250);
  }
}

/** Runs a command to completion, capturing output; rejects with the output on failure. */
export async function runToCompletion(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; logFile?: string; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const spawnOptions: SpawnOptions = { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] };
    if (options.cwd !== undefined) spawnOptions.cwd = options.cwd;
    const child = spawn(command, args, spawnOptions);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => { child.kill('SIGKILL'); }, options.timeoutMs);
    child.on('error', (error) => { if (timer) clearTimeout(timer); reject(new Error(`${command}: ${error.message}`)); });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code === 0) { resolveRun(output); return; }
      const tail = output.trimEnd().split('\n').slice(-40).join('\n');
      reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})\n${tail}`));
    });
  });
}
