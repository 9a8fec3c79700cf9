import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, ServiceStartError, startDetached, stopProcess, waitUntilHealthy } from './processes.ts';

describe('local environment processes', () => {
  let scratch: string;
  beforeEach(() => { scratch = mkdtempSync(join(tmpdir(), 'lagpilot-processes-')); });
  afterEach(() => { rmSync(scratch, { recursive: true, force: true }); });

  it('keeps the log of a failed start and puts its last lines in the error', async () => {
    const logFile = join(scratch, 'service.log');
    const started = startDetached({
      command: process.execPath,
      args: ['-e', 'console.error("bind: address already in use"); process.exit(3)'],
      logFile,
    });
    let failure: unknown;
    try {
      await waitUntilHealthy('the service', () => Promise.resolve(false), started, 10_000);
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(ServiceStartError);
    const message = (failure as ServiceStartError).message;
    expect(message).to.contain('the service exited before it became healthy');
    expect(message).to.contain(`log: ${logFile}`);
    expect(message).to.contain('bind: address already in use');
    expect(existsSync(logFile)).to.equal(true);
    expect(readFileSync(logFile, 'utf8')).to.contain('bind: address already in use');
  });

  it('gives up at the deadline on a process that never becomes healthy, naming the wait', async () => {
    const logFile = join(scratch, 'slow.log');
    const started = startDetached({ command: process.execPath, args: ['-e', 'console.log("starting"); setTimeout(() => {}, 60_000)'], logFile });
    try {
      const failure = await waitUntilHealthy('the slow service', () => Promise.resolve(false), started, 500).then(() => undefined, (error: unknown) => error);
      expect(failure).to.be.instanceOf(ServiceStartError);
      expect((failure as Error).message).to.contain('the slow service was not healthy after 500 ms');
    } finally {
      await stopProcess(started.pid);
    }
    expect(isAlive(started.pid)).to.equal(false);
  });

  it('stops a process that ignores SIGTERM with SIGKILL after the deadline', async () => {
    const started = startDetached({
      command: process.execPath,
      args: ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'],
      logFile: join(scratch, 'stubborn.log'),
    });
    await new Promise((resolveWait) => setTimeout(resolveWait, 300));
    const stoppingAt = Date.now();
    await stopProcess(started.pid, 500);
    expect(isAlive(started.pid)).to.equal(false);
    expect(Date.now() - stoppingAt).to.be.at.least(450);
  });
});
