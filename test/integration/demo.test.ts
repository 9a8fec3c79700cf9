// The README's first command, run for real: `node scripts/local-run.ts` (what `npm run local`
// runs) against the environment's Kafka. It must make its first decision within 60 s, serve the
// status page at the URL it prints, and on Ctrl-C (SIGINT to its process group, as a terminal
// sends it) exit 0 with no process of its own left: not lagpilot, not a worker.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureService } from '../env/environment.ts';
import { repoRoot } from '../env/paths.ts';
import { freeLoopbackPort } from '../env/ports.ts';
import { isAlive } from '../env/processes.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { readEnvState } from '../env/state.ts';

/** Parent pid of every process, from /proc. */
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ")" ends it.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // Exited while we looked.
    }
  }
  return parents;
}

function descendantsOf(root: number): number[] {
  const parents = parentPids();
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = [...parents].filter(([, parent]) => frontier.includes(parent)).map(([pid]) => pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

interface DemoRun {
  child: ChildProcess;
  output: string[];
  waitForLine(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDemo(args: string[]): DemoRun {
  // Its own process group, as a shell gives a foreground job: SIGINT to the group is Ctrl-C.
  const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'local-run.ts'), ...args], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const listeners: (() => void)[] = [];
  let partial = '';
  const take = (chunk: Buffer): void => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    output.push(...lines);
    for (const listener of listeners.slice()) listener();
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => {
      resolveExit({ code, signal });
      for (const listener of listeners.slice()) listener();
    });
  });
  const waitForLine = (pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray> =>
    new Promise((resolveLine, reject) => {
      const check = (): void => {
        for (const line of output) {
          const match = pattern.exec(line);
          if (match !== null) {
            done();
            resolveLine(match);
            return;
          }
        }
        if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`the demo exited (${child.exitCode ?? child.signalCode ?? ''}) before ${what}; it printed:\n${output.join('\n')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs / 1000} s; the demo printed:\n${output.join('\n')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        const index = listeners.indexOf(check);
        if (index >= 0) listeners.splice(index, 1);
      };
      listeners.push(check);
      check();
    });
  return { child, output, waitForLine, exited };
}

describe('the demo (npm run local)', function () {
  let demo: DemoRun | undefined;

  before(async function () {
    this.timeout(180_000);
    // The 60 s promise holds on a warm cache: Kafka's own start is not part of it here.
    await ensureService<KafkaDetails>('kafka');
  });

  after(function () {
    // Only when the test failed half-way: never leave the demo's processes behind.
    const pid = demo?.child.pid;
    if (pid !== undefined && demo?.child.exitCode === null) process.kill(-pid, 'SIGKILL');
  });

  it('decides within 60 s, serves the status page, and stops everything on Ctrl-C', async function () {
    this.timeout(180_000);
    const port = await freeLoopbackPort();
    const startedAt = Date.now();
    demo = startDemo(['--port', String(port), '--progress-every', '2']);
    const demoPid = demo.child.pid;
    if (demoPid === undefined) throw new Error('the demo did not start');

    const [, firstDecisionSeconds] = await demo.waitForLine(/^first decision after ([\d.]+) s$/, 60_000, 'first decision line');
    const seenAfter = (Date.now() - startedAt) / 1000;
    expect(Number(firstDecisionSeconds), 'first decision as the demo measured it').to.be.below(60);
    expect(seenAfter, 'first decision as this test saw it').to.be.below(60);

    const [, statusUrl] = await demo.waitForLine(/^status page: (http:\/\/127\.0\.0\.1:\d+\/) /, 1_000, 'status page line');
    expect(statusUrl).to.equal(`http://127.0.0.1:${port}/`);
    const page = await fetch(statusUrl ?? '', { signal: AbortSignal.timeout(5_000) });
    expect(page.status, 'the status page answers').to.equal(200);
    const journal = await fetch(`${statusUrl ?? ''}api/decisions?target=demo`, { signal: AbortSignal.timeout(5_000) });
    const body = (await journal.json()) as { decisions: unknown[] };
    expect(body.decisions.length, 'decisions journaled').to.be.at.least(1);

    // A scale-up for the load (beyond the minimum of one worker), and every worker started so far.
    await demo.waitForLine(/decision: SCALE UP [1-9]\d* -> \d+ workers \[applied: started \d+ workers of demo/, 60_000, 'scale-up beyond the first worker');
    const workerPids = demo.output
      .flatMap((line) => /\[applied: started \d+ workers of demo \(pids ([\d, ]+)\)/.exec(line)?.[1]?.split(', ') ?? [])
      .map(Number);
    expect(workerPids.length, 'workers started').to.be.at.least(2);
    // Services of the environment stay up by design; they are not the demo's to stop.
    const servicePids = new Set(Object.values(readEnvState()).flatMap((record) => record.pids));
    const processes = descendantsOf(demoPid).filter((pid) => !servicePids.has(pid));
    expect(processes, 'lagpilot and its workers run under the demo').to.include.members(workerPids.filter(isAlive));
    expect(processes.length, 'lagpilot and at least two workers').to.be.at.least(3);

    process.kill(-demoPid, 'SIGINT');
    const exit = await Promise.race([
      demo.exited,
      new Promise<never>((_resolve, reject) => setTimeout(() => { reject(new Error(`the demo did not exit within 60 s of SIGINT; it printed:\n${demo?.output.join('\n') ?? ''}`)); }, 60_000)),
    ]);
    const printed = demo.output.join('\n');
    expect(exit, printed).to.deep.equal({ code: 0, signal: null });
    expect(printed).to.match(/lagpilot stopped cleanly/);
    expect(printed).to.match(/^first decision after [\d.]+ s \(kafka ready after [\d.]+ s, lagpilot answering after [\d.]+ s; \d+ decisions in all\)$/m);
    const left = [...processes, ...workerPids].filter(isAlive);
    expect(left, `processes of the demo still alive after it exited: ${left.join(', ')}`).to.deep.equal([]);
    console.log(`      demo: first decision after ${firstDecisionSeconds ?? '?'} s (seen by the test after ${seenAfter.toFixed(1)} s); ${processes.length} processes stopped on Ctrl-C`);
  });
});
