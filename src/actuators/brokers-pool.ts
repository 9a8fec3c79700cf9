// Broker pools: how the brokers actuator adds and removes Kafka brokers. The actuator decides
// which brokers go (the last added first) and moves the partitions; a pool only starts and
// stops brokers: the replicas of a StatefulSet or KafkaNodePool, or processes on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokersActuatorConfig } from '../config/schema/actuators.ts';
import type { LocalProcessBrokerPoolConfig } from '../config/schema/brokers-actuator.ts';
import type { Decision } from '../policies/types.ts';
import { KubernetesScaleActuator, type KubernetesScaleOptions } from './kubernetes-scale.ts';

export interface BrokerPool {
  /** What the pool is, for result details (e.g. "StatefulSet kafka/brokers"). */
  readonly description: string;
  /** Node ids of a pool of `count` brokers, in the order brokers are added. */
  nodeIds(count: number): number[];
  /** The broker count the pool is set to run. */
  size(): Promise<number>;
  /**
   * Starts or stops brokers until `count` run (the last added stop first). Resolves once the
   * change is made (a started broker may not have registered yet); rejects naming what failed.
   */
  resize(count: number, why: Decision): Promise<void>;
  close(): Promise<void>;
}

/** The replicas of a StatefulSet or a KafkaNodePool, through the kubernetesScale actuator. */
export class KubernetesBrokerPool implements BrokerPool {
  readonly description: string;
  private readonly scale: KubernetesScaleActuator;
  private readonly firstNodeId: number;
  private readonly targetName: string;

  constructor(pool: Extract<BrokersActuatorConfig['pool'], { kind: 'kubernetes' }>, targetName: string, options: KubernetesScaleOptions = {}) {
    this.scale = new KubernetesScaleActuator(pool.scale, options);
    this.firstNodeId = pool.firstNodeId;
    this.targetName = targetName;
    this.description = `${pool.scale.workload.kind} ${pool.scale.workload.name}`;
  }

  nodeIds(count: number): number[] {
    return Array.from({ length: count }, (_, ordinal) => this.firstNodeId + ordinal);
  }

  async size(): Promise<number> {
    return (await this.scale.current()).replicas;
  }

  async resize(count: number, why: Decision): Promise<void> {
    const result = await this.scale.apply({ target: { name: this.targetName }, decision: { ...why, desired: count } });
    // A paused workload answers noop: the brokers did not change, and the caller must not go on
    // as if they had (a drained broker would be unregistered while it still runs).
    const unchanged = result.status === 'noop' && result.code !== 'AlreadyAtDesired';
    if (result.status === 'failed' || unchanged) throw new Error(`could not set ${this.description} to ${String(count)} replicas: ${result.detail}`);
  }

  close(): Promise<void> {
    return this.scale.close();
  }
}

interface RunningBroker {
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * Brokers as processes on this machine. Nodes without a command run already (started by someone
 * else): they count as running and are never stopped by the pool.
 */
export class LocalProcessBrokerPool implements BrokerPool {
  readonly description: string;
  private readonly config: LocalProcessBrokerPoolConfig;
  private readonly running = new Map<number, RunningBroker>();
  private readonly registeredBrokers: () => Promise<number[]>;

  /** `registeredBrokers` lists the node ids the cluster serves with (some may run outside the pool). */
  constructor(config: LocalProcessBrokerPoolConfig, registeredBrokers: () => Promise<number[]>) {
    this.config = config;
    this.registeredBrokers = registeredBrokers;
    this.description = `local brokers ${config.nodes.map((node) => node.nodeId).join(', ')}`;
  }

  nodeIds(count: number): number[] {
    return this.config.nodes.slice(0, count).map((node) => node.nodeId);
  }

  async size(): Promise<number> {
    const registered = await this.registeredBrokers();
    let count = 0;
    for (const node of this.config.nodes) {
      if (!this.running.has(node.nodeId) && !registered.includes(node.nodeId)) break;
      count++;
    }
    return count;
  }

  async resize(count: number): Promise<void> {
    if (count > this.config.nodes.length) {
      throw new Error(`${this.description}: ${String(count)} brokers asked for, the pool lists ${String(this.config.nodes.length)}`);
    }
    const registered = await this.registeredBrokers();
    for (const [index, node] of this.config.nodes.entries()) {
      if (index < count && !this.running.has(node.nodeId) && !registered.includes(node.nodeId)) this.start(node);
    }
    const stopping = this.config.nodes.slice(count).reverse();
    for (const node of stopping) {
      const broker = this.running.get(node.nodeId);
      if (broker !== undefined) {
        await this.stop(broker);
        this.running.delete(node.nodeId);
      } else if (registered.includes(node.nodeId)) {
        throw new Error(`broker ${String(node.nodeId)} was not started by lagpilot (no command, or started before): stop it yourself`);
      }
    }
  }

  async close(): Promise<void> {
    // Brokers outlive the actuator: a daemon restart must not take the cluster down.
    this.running.clear();
    return Promise.resolve();
  }

  private start(node: LocalProcessBrokerPoolConfig['nodes'][number]): void {
    if (node.command === undefined) throw new Error(`broker ${String(node.nodeId)} has no command: lagpilot cannot start it`);
    let output: number | undefined;
    if (this.config.logDir !== undefined) {
      mkdirSync(this.config.logDir, { recursive: true });
      output = openSync(join(this.config.logDir, `broker-${String(node.nodeId)}.log`), 'a');
    }
    try {
      const child = spawn(node.command, node.args, {
        cwd: node.cwd,
        env: { ...process.env, ...node.env },
        stdio: ['ignore', output ?? 'ignore', output ?? 'ignore'],
        detached: true,
      });
      child.unref();
      const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
      child.once('error', () => undefined);
      this.running.set(node.nodeId, { child, exited });
    } finally {
      if (output !== undefined) closeSync(output);
    }
  }

  private async stop(broker: RunningBroker): Promise<void> {
    if (broker.child.exitCode !== null || broker.child.signalCode !== null) return;
    broker.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => { resolve('deadline'); }, this.config.stopTimeout);
    });
    const outcome = await Promise.race([broker.exited.then(() => 'exited' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'deadline') {
      broker.child.kill('SIGKILL');
      await broker.exited;
    }
  }
}
