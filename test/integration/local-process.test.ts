// The local-process actuator with real worker processes: small node scripts that note their
// start and their SIGTERM in a folder, one of which ignores SIGTERM to prove the SIGKILL after
// the deadline.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalProcessActuator } from '../../src/actuators/local-process.ts';
import { localProcessActuatorSchema } from '../../src/config/schema/actuators.ts';
import type { Decision } from '../../src/policies/types.ts';

const target = { name: 'orders' };

// Notes `started-<pid>` (holding an env variable it was given) once its SIGTERM handler is in
// place, and `terminated-<pid>` when SIGTERM arrives; then exits 50 ms later, unless told to
// ignore SIGTERM.
const workerScript = `
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const dir = process.env.MARKER_DIR;
process.on('SIGTERM', () => {
  writeFileSync(join(dir, 'terminated-' + process.pid), '');
  if (process.env.IGNORE_SIGTERM !== 'yes') setTimeout(() => process.exit(0), 50);
});
writeFileSync(join(dir, 'started-' + process.pid), process.env.GREETING + ' ' + process.env.LAGPILOT_TARGET);
console.log('worker ' + process.env.LAGPILOT_WORKER_ID + ' up');
console.error('worker ' + process.env.LAGPILOT_WORKER_ID + ' warming');
setInterval(() => {}, 60000);
`;

function decision(current: number, desired: number): Decision {
  return { time: Date.now() / 1000, current, desired, action: desired > current ? 'scaleUp' : 'scaleDown', reasons: [], recommendations: [] };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(25);
  }
}

describe('local-process actuator (real worker processes)', function () {
  let markerDir: string;
  const actuators: LocalProcessActuator[] = [];

  function actuator(
    options: { ignoreSigterm?: boolean; stopTimeout?: string; dryRun?: boolean; command?: string; logDir?: string } = {},
  ): LocalProcessActuator {
    const created = new LocalProcessActuator(
      localProcessActuatorSchema.parse({
        kind: 'localProcess',
        command: options.command ?? process.execPath,
        args: ['-e', workerScript],
        env: { MARKER_DIR: markerDir, GREETING: 'hello', IGNORE_SIGTERM: options.ignoreSigterm === true ? 'yes' : 'no' },
        stopTimeout: options.stopTimeout ?? '5s',
        dryRun: options.dryRun ?? false,
        logDir: options.logDir,
      }),
    );
    actuators.push(created);
    return created;
  }

  const started = (pid: number): boolean => existsSync(join(markerDir, `started-${pid}`));
  const terminated = (pid: number): boolean => existsSync(join(markerDir, `terminated-${pid}`));

  beforeEach(function () {
    markerDir = mkdtempSync(join(tmpdir(), 'lagpilot-workers-'));
  });

  afterEach(async function () {
    await Promise.all(actuators.splice(0).map((each) => each.close()));
    rmSync(markerDir, { recursive: true, force: true });
  });

  it('starts workers with the configured command and env, counts them, and does nothing the second time', async function () {
    const workers = actuator();
    expect(await workers.current()).to.deep.equal({ replicas: 0, notices: [] });
    const result = await workers.apply({ target, decision: decision(0, 3) });
    expect(result, result.detail).to.include({ status: 'applied', code: 'Scaled', replicasBefore: 0, replicasAfter: 3 });
    const pids = workers.livePids();
    expect(pids).to.have.length(3);
    await until('every worker noted its start', () => pids.every(started));
    for (const pid of pids) {
      expect(isRunning(pid), `worker ${pid} runs`).to.equal(true);
      expect(readFileSync(join(markerDir, `started-${pid}`), 'utf8')).to.equal('hello orders');
    }
    expect((await workers.current()).replicas).to.equal(3);

    const again = await workers.apply({ target, decision: decision(0, 3) });
    expect(again).to.include({ status: 'noop', code: 'AlreadyAtDesired' });
    expect(workers.livePids()).to.deep.equal(pids);
  });

  it('scales down by SIGTERM to the newest workers, keeping the oldest', async function () {
    const workers = actuator();
    await workers.apply({ target, decision: decision(0, 3) });
    const [oldest, middle, newest] = workers.livePids() as [number, number, number];
    await until('every worker noted its start', () => [oldest, middle, newest].every(started));

    const result = await workers.apply({ target, decision: decision(3, 1) });
    expect(result, result.detail).to.include({ status: 'applied', replicasBefore: 3, replicasAfter: 1 });
    expect(result.detail).to.not.contain('SIGKILL');
    expect(workers.livePids()).to.deep.equal([oldest]);
    expect(terminated(middle) && terminated(newest), 'the two newest got SIGTERM').to.equal(true);
    expect(terminated(oldest)).to.equal(false);
    expect(isRunning(middle) || isRunning(newest)).to.equal(false);
    expect(isRunning(oldest)).to.equal(true);
    expect((await workers.current()).notices, 'a requested stop is not an unexpected exit').to.deep.equal([]);
  });

  it('sends SIGKILL to a worker that ignores SIGTERM, once the deadline has passed', async function () {
    const workers = actuator({ ignoreSigterm: true, stopTimeout: '600ms' });
    await workers.apply({ target, decision: decision(0, 1) });
    const [pid] = workers.livePids() as [number];
    await until('the worker noted its start', () => started(pid));

    const startedAt = Date.now();
    const result = await workers.apply({ target, decision: decision(1, 0) });
    const elapsed = Date.now() - startedAt;
    expect(result, result.detail).to.include({ status: 'applied', replicasAfter: 0 });
    expect(result.detail).to.contain(`SIGKILL after 600 ms for pids ${pid}`);
    expect(terminated(pid), 'it was sent SIGTERM first').to.equal(true);
    expect(isRunning(pid)).to.equal(false);
    expect(elapsed).to.be.at.least(600).and.below(3_000);
  });

  it('notices a worker that dies, reports it once, and the next decision replaces it', async function () {
    const workers = actuator();
    await workers.apply({ target, decision: decision(0, 2) });
    const [survivor, victim] = workers.livePids() as [number, number];
    process.kill(victim, 'SIGKILL');
    await until('the dead worker is no longer counted', () => workers.livePids().length === 1);

    const state = await workers.current();
    expect(state.replicas).to.equal(1);
    expect(state.notices).to.have.length(1);
    expect(state.notices[0]).to.match(new RegExp(`^worker 2 \\(pid ${victim}\\) exited unexpectedly on SIGKILL after [0-9.]+ s$`));
    expect((await workers.current()).notices).to.deep.equal([]);

    const replaced = await workers.apply({ target, decision: decision(1, 2) });
    expect(replaced).to.include({ status: 'applied', replicasBefore: 1, replicasAfter: 2 });
    expect(workers.livePids()[0]).to.equal(survivor);
  });

  it('dry run starts and stops nothing', async function () {
    const workers = actuator({ dryRun: true });
    const result = await workers.apply({ target, decision: decision(0, 2) });
    expect(result).to.deep.include({ status: 'dryRun', code: 'WouldScale', detail: "would start 2 of orders's workers (0 -> 2)" });
    expect(workers.livePids()).to.deep.equal([]);
  });

  it('fails with the reason when the command cannot be started', async function () {
    const workers = actuator({ command: join(markerDir, 'no-such-worker') });
    const result = await workers.apply({ target, decision: decision(0, 2) });
    expect(result).to.include({ status: 'failed', code: 'SpawnFailed', replicasAfter: 0 });
    expect(result.detail).to.contain('started 0 of 2 workers; could not start').and.to.contain('ENOENT');
  });

  it('writes each worker\'s stdout and stderr to its own file in logDir', async function () {
    const logDir = join(markerDir, 'logs');
    const workers = actuator({ logDir });
    await workers.apply({ target, decision: decision(0, 2) });
    const logOf = (id: number): string => {
      const file = join(logDir, `orders-worker-${id}.log`);
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    };
    await until('both workers logged', () => logOf(1).includes('warming') && logOf(2).includes('warming'));
    expect(logOf(1)).to.equal('worker 1 up\nworker 1 warming\n');
    expect(logOf(2)).to.equal('worker 2 up\nworker 2 warming\n');
  });

  it('close() stops every worker', async function () {
    const workers = actuator();
    await workers.apply({ target, decision: decision(0, 2) });
    const pids = workers.livePids();
    await workers.close();
    expect(pids.some(isRunning)).to.equal(false);
    expect(await workers.apply({ target, decision: decision(0, 1) })).to.include({ status: 'failed', code: 'Closed' });
  });
});
