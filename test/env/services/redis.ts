// Redis from Debian's redis-server, on a free loopback port, with the append-only file on and
// fsync'd on every write, so a test can kill the process and find its data again: lagpilot keeps
// its cooldowns and decision history in Redis and must find them after a restart.
import { mkdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { ensureDebianBinary } from '../apt.ts';
import { withDirectoryLock } from '../lock.ts';
import { loopbackService, startedRecord, type LoopbackServiceDetails } from '../loopback-service.ts';
import { serviceRunDir } from '../paths.ts';
import { freeLoopbackPort } from '../ports.ts';
import { startDetached, stopProcess, waitUntilHealthy } from '../processes.ts';
import { readEnvState, recordService } from '../state.ts';
import type { EnvService } from '../service.ts';

export interface RedisDetails extends LoopbackServiceDetails {
  /** redis://127.0.0.1:PORT, what ioredis and lagpilot's config take. */
  url: string;
  /** Where the append-only file lives; kept across restartRedis(). */
  dataDir: string;
}

const serviceName = 'redis';
const host = '127.0.0.1';
const startTimeoutMs = 30_000;

async function redisServerBinary(): Promise<string> {
  return ensureDebianBinary('redis-server', 'redis-server');
}

function redisArguments(port: number, dataDir: string): string[] {
  return [
    '--port', String(port),
    '--bind', host,
    // Bound to loopback only; protected mode would otherwise refuse clients that are not on
    // 127.0.0.1/::1 by name, which surprises nobody here but costs nothing to rule out.
    '--protected-mode', 'no',
    '--dir', dataDir,
    '--appendonly', 'yes',
    // Every write reaches the disk before the reply, so even a SIGKILL loses nothing.
    '--appendfsync', 'always',
    // No RDB snapshots: what survives a restart survives through the AOF alone.
    '--save', '',
    '--daemonize', 'no',
    '--logfile', '',
  ];
}

/** True when a RESP PING to the address answers +PONG within the timeout. */
export async function pingRedis(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolvePing) => {
    const socket = createConnection({ host, port });
    let reply = '';
    const finish = (healthy: boolean): void => {
      socket.destroy();
      resolvePing(healthy);
    };
    socket.setTimeout(timeoutMs, () => { finish(false); });
    socket.on('error', () => { finish(false); });
    socket.on('connect', () => { socket.write('PING\r\n'); });
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

async function launch(binary: string, port: number, runDir: string, dataDir: string): Promise<{ pid: number; logFile: string }> {
  const logFile = join(runDir, 'redis.log');
  const started = startDetached({ command: binary, args: redisArguments(port, dataDir), logFile, cwd: dataDir });
  await waitUntilHealthy(`redis-server on ${host}:${port}`, () => pingRedis(port), started, startTimeoutMs);
  return started;
}

/** Starts a new instance with an empty data directory under `runDir`. */
async function startFresh(runDir = serviceRunDir(serviceName)): Promise<RedisDetails> {
  const startMillisFrom = Date.now();
  const binary = await redisServerBinary();
  const dataDir = join(runDir, 'data');
  // A fresh environment starts with an empty Redis; only restartRedis() keeps the data.
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const port = await freeLoopbackPort();
  const started = await launch(binary, port, runDir, dataDir);
  return {
    ...startedRecord(started, runDir, startMillisFrom),
    host,
    port,
    url: `redis://${host}:${port}`,
    dataDir,
    logFile: started.logFile,
  };
}

export const service: EnvService<RedisDetails> = loopbackService<RedisDetails>({
  name: serviceName,
  runDir: serviceRunDir(serviceName),
  install: redisServerBinary,
  isHealthy: (details) => pingRedis(details.port),
  startFresh: () => startFresh(),
});

/**
 * A Redis of the caller's own, for a test that stops it while the shared one serves other
 * suites: same settings, its own free port and an empty data directory under the run directory
 * `name`. It is not recorded in the env file; the caller stops it (`service.stop`), and
 * `restartRedis` brings it back on the same port and data.
 */
export async function startPrivateRedis(name: string): Promise<RedisDetails> {
  if (name === serviceName) throw new Error(`a private Redis needs a run directory name other than "${serviceName}"`);
  return startFresh(serviceRunDir(name));
}

export interface RestartOptions {
  /**
   * SIGTERM lets Redis shut down cleanly; SIGKILL is a crash, after which only what the AOF
   * already holds comes back.
   */
  signal: 'SIGTERM' | 'SIGKILL';
}

/**
 * Stops the running Redis and starts it again on the same port and data directory, then records
 * the new pid in the env file so that `env down` and other suites find the live process.
 * Resolves once the new process answers PING. Restarts by several test runs at once take turns,
 * and each stops the process the env file names then, not the one its caller last saw.
 */
export async function restartRedis(details: RedisDetails, options: RestartOptions = { signal: 'SIGTERM' }): Promise<RedisDetails> {
  return withDirectoryLock(join(details.runDir, '.restart.lock'), async () => {
    const startMillisFrom = Date.now();
    const recorded = readEnvState()[serviceName];
    const isShared = recorded?.port === details.port;
    const running = isShared ? recorded.pids : details.pids;
    for (const pid of running) {
      if (options.signal === 'SIGKILL') {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
      await stopProcess(pid);
    }
    const binary = await redisServerBinary();
    const started = await launch(binary, details.port, details.runDir, details.dataDir);
    const restarted: RedisDetails = {
      ...details,
      pids: [started.pid],
      startedAt: new Date().toISOString(),
      startMillis: Date.now() - startMillisFrom,
      logFile: started.logFile,
    };
    // A private instance (another port) is not the shared one: its record stays as it is.
    if (isShared || recorded === undefined) recordService(serviceName, restarted);
    return restarted;
  });
}
