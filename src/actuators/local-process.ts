// Consumer workers as processes on this machine: for the demo, VMs and bare metal. Scaling up
// spawns the configured command; scaling down stops the newest workers first (the oldest have
// the warmest caches and the longest-held partitions), with SIGTERM and, past the deadline,
// SIGKILL. A worker that exits on its own is dropped from the count and reported once through
// current(), so the next decision replaces it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalProcessActuatorConfig } from '../config/schema/actuators.ts';
import { describeError } from './actuator.ts';
import type { ActuationRequest, ActuationResult, ActuationTarget, Actuator, ActuatorState } from './actuator.ts';

interface Worker {
  id: number;
  child: ChildProcess;
  pid: number;
  startedAt: number;
  /** Set once lagpilot asked it to stop: its exit is then expected, not reported. */
  stopping: boolean;
  exited: Promise<void>;
}

export interface WorkerStop {
  pid: number;
  /** True when the worker outlived the deadline after SIGTERM. */
  killed: boolean;
}

export class LocalProcessActuator implements Actuator {
  readonly kind = 'localProcess';
  readonly dryRun: boolean;
  private readonly config: LocalProcessActuatorConfig;
  private readonly workers: Worker[] = [];
  private readonly notices: string[] = [];
  private nextWorkerId = 1;
  /** apply() and close() run one at a time, so two decisions never race on the same workers. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(config: LocalProcessActuatorConfig) {
    this.config = config;
    this.dryRun = config.dryRun;
  }

  /** Live workers, newest last. */
  livePids(): number[] {
    return this.workers.map((worker) => worker.pid);
  }

  current(): Promise<ActuatorState> {
    const notices = this.notices.splice(0);
    return Promise.resolve({ replicas: this.workers.length, notices });
  }

  apply(request: ActuationRequest): Promise<ActuationResult> {
    const run = this.queue.then(() => this.applyNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    const run = this.queue.then(async () => {
      this.closed = true;
      await Promise.all(this.workers.slice().map((worker) => this.stopWorker(worker)));
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow({ target, decision }: ActuationRequest): Promise<ActuationResult> {
    const before = this.workers.length;
    const desired = decision.desired;
    if (this.closed) return { status: 'failed', code: 'Closed', detail: `${target.name}: the local-process actuator is closed`, replicasBefore: before };
    if (desired === before) {
      return { status: 'noop', code: 'AlreadyAtDesired', detail: `${target.name} already runs ${before} workers`, replicasBefore: before, replicasAfter: before };
    }
    if (this.dryRun) {
      const change = desired > before ? `start ${desired - before}` : `stop ${before - desired}`;
      return { status: 'dryRun', code: 'WouldScale', detail: `would ${change} of ${target.name}'s workers (${before} -> ${desired})`, replicasBefore: before, replicasAfter: desired };
    }
    if (desired > before) {
      const started: number[] = [];
      for (let count = before; count < desired; count++) {
        try {
          started.push((await this.startWorker(target)).pid);
        } catch (error) {
          return {
            status: 'failed',
            code: 'SpawnFailed',
            detail: `${target.name}: started ${started.length} of ${desired - before} workers; ${describeError(error)}`,
            replicasBefore: before,
            replicasAfter: this.workers.length,
          };
        }
      }
      return { status: 'applied', code: 'Scaled', detail: `started ${started.length} workers of ${target.name} (pids ${started.join(', ')}): ${before} -> ${this.workers.length}`, replicasBefore: before, replicasAfter: this.workers.length };
    }
    const newestFirst = this.workers.slice(desired).reverse();
    const stops = await Promise.all(newestFirst.map((worker) => this.stopWorker(worker)));
    const killed = stops.filter((stop) => stop.killed).map((stop) => stop.pid);
    const killedNote = killed.length === 0 ? '' : `; SIGKILL after ${this.config.stopTimeout} ms for pids ${killed.join(', ')}`;
    return {
      status: 'applied',
      code: 'Scaled',
      detail: `stopped ${stops.length} workers of ${target.name} (pids ${stops.map((stop) => stop.pid).join(', ')})${killedNote}: ${before} -> ${this.workers.length}`,
      replicasBefore: before,
      replicasAfter: this.workers.length,
    };
  }

  private async startWorker(target: ActuationTarget): Promise<Worker> {
    const id = this.nextWorkerId++;
    const output = this.outputFor(target, id);
    let child: ChildProcess;
    try {
      child = spawn(this.config.command, this.config.args, {
        cwd: this.config.cwd,
        env: { ...process.env, ...this.config.env, LAGPILOT_TARGET: target.name, LAGPILOT_WORKER_ID: String(id) },
        stdio: ['ignore', output ?? 'ignore', output ?? 'ignore'],
      });
    } finally {
      if (output !== undefined) closeSync(output);
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => {
        reject(new Error(`could not start ${this.config.command}: ${error.message}`, { cause: error }));
      });
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${this.config.command}: no pid`);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.onExit(worker, code, signal);
        resolve();
      });
    });
    const worker: Worker = { id, child, pid, startedAt: Date.now(), stopping: false, exited };
    this.workers.push(worker);
    return worker;
  }

  private onExit(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    if (worker.stopping) return;
    const how = signal === null ? `with code ${code ?? 'unknown'}` : `on ${signal}`;
    const seconds = ((Date.now() - worker.startedAt) / 1000).toFixed(1);
    this.notices.push(`worker ${worker.id} (pid ${worker.pid}) exited unexpectedly ${how} after ${seconds} s`);
  }

  private async stopWorker(worker: Worker): Promise<WorkerStop> {
    worker.stopping = true;
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return { pid: worker.pid, killed: false };
    worker.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => {
        resolve('deadline');
      }, this.config.stopTimeout);
    });
    const outcome = await Promise.race([worker.exited.then(() => 'exited' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'exited') return { pid: worker.pid, killed: false };
    worker.child.kill('SIGKILL');
    await worker.exited;
    return { pid: worker.pid, killed: true };
  }

  private outputFor(target: ActuationTarget, id: number): number | undefined {
    if (this.config.logDir === undefined) return undefined;
    mkdirSync(this.config.logDir, { recursive: true });
    return openSync(join(this.config.logDir, `${target.name}-worker-${id}.log`), 'a');
  }
}
