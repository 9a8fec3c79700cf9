// `lagpilot simulate`: replays a trace through the scaling model (scaling-model.md) with
// lagpilot's policy engine or the keda baseline, prints the model's outputs and can draw them.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { loadConfigFile } from '../config/loader.ts';
import type { EngineConfig } from '../policies/config.ts';
import { engineConfigForTarget } from '../policies/target-config.ts';
import { kedaThresholdGrid } from './keda.ts';
import { defaultScenario, validateScenario } from './model.ts';
import type { Scenario, SimulationResult } from './model.ts';
import { renderRunsSvg } from './plot.ts';
import { lowestViolationPoint, runKeda, runKedaFrontier, runLagpilot } from './runs.ts';
import type { LabelledRun } from './runs.ts';
import { loadTrace } from './trace.ts';

interface SimulateOptions {
  trace: string;
  policy: string;
  lagThreshold?: string;
  frontier?: boolean;
  partitions?: string;
  capacity?: string;
  configuredCapacity?: string;
  startup?: string;
  rebalancePause?: string;
  slo?: string;
  min?: string;
  max?: string;
  initial?: string;
  interval?: string;
  json?: boolean;
  plot?: string;
  config?: string;
  target?: string;
}

/** A target of a daemon config file: its engine settings and what it says about the scenario. */
export interface TargetSettings {
  name: string;
  engine: EngineConfig;
  minReplicas: number;
  maxReplicas: number;
  intervalSeconds: number;
}

export async function loadTargetSettings(configPath: string, targetName: string | undefined): Promise<TargetSettings> {
  const loaded = await loadConfigFile(configPath);
  if (!loaded.ok) throw new Error(`${configPath} is not a valid config:\n  ${loaded.problems.join('\n  ')}`);
  const names = loaded.config.targets.map((target) => target.name);
  if (targetName === undefined) throw new Error(`--config needs --target NAME (targets in ${configPath}: ${names.join(', ')})`);
  const target = loaded.config.targets.find((candidate) => candidate.name === targetName);
  if (target === undefined) throw new Error(`${configPath} has no target "${targetName}" (it has: ${names.join(', ')})`);
  return {
    name: target.name,
    engine: engineConfigForTarget(target),
    minReplicas: target.replicas.min,
    maxReplicas: target.replicas.max,
    intervalSeconds: target.interval / 1000,
  };
}

/** The model's output fields, in the order of its table. */
export const resultFields: readonly (keyof SimulationResult)[] = [
  'sloViolationSeconds',
  'maxLagSeconds',
  'p99LagSeconds',
  'maxLagMessages',
  'replicaSeconds',
  'lowerBoundReplicaSeconds',
  'efficiency',
  'scaleEvents',
  'pausedSeconds',
  'finalBacklog',
];

function numberOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`--${name} must be a number, got "${text}"`);
  return value;
}

export function scenarioFromOptions(options: SimulateOptions, target?: TargetSettings): Scenario {
  const scenario: Scenario = {
    partitions: numberOption('partitions', options.partitions, defaultScenario.partitions),
    capacity: numberOption('capacity', options.capacity, defaultScenario.capacity),
    startup: numberOption('startup', options.startup, defaultScenario.startup),
    rebalancePause: numberOption('rebalance-pause', options.rebalancePause, defaultScenario.rebalancePause),
    slo: numberOption('slo', options.slo, defaultScenario.slo),
    minReplicas: numberOption('min', options.min, target?.minReplicas ?? defaultScenario.minReplicas),
    maxReplicas: numberOption('max', options.max, target?.maxReplicas ?? defaultScenario.maxReplicas),
    initialReplicas: numberOption('initial', options.initial, defaultScenario.initialReplicas),
    interval: numberOption('interval', options.interval, target?.intervalSeconds ?? defaultScenario.interval),
  };
  validateScenario(scenario);
  return scenario;
}

export function resultObject(result: SimulationResult): Record<string, number> {
  return Object.fromEntries(resultFields.map((field) => [field, result[field]]));
}

function table(runs: readonly LabelledRun[]): string {
  const header = ['run', 'violations s', 'max lag s', 'p99 lag s', 'max lag msgs', 'replica-s', 'floor', 'efficiency', 'events', 'paused s', 'final backlog'];
  const rows = runs.map((run) => {
    const r = run.result;
    return [run.label, r.sloViolationSeconds, r.maxLagSeconds, r.p99LagSeconds, r.maxLagMessages, r.replicaSeconds, r.lowerBoundReplicaSeconds, r.efficiency.toFixed(3), r.scaleEvents, r.pausedSeconds, r.finalBacklog].map(String);
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function runSimulate(options: SimulateOptions, write: (text: string) => void, target?: TargetSettings): void {
  const scenario = scenarioFromOptions(options, target);
  const trace = loadTrace(options.trace);
  if (options.policy !== 'lagpilot' && options.policy !== 'keda') {
    throw new Error(`--policy must be lagpilot or keda, got "${options.policy}"`);
  }
  const lagThreshold = options.lagThreshold === undefined ? undefined : numberOption('lag-threshold', options.lagThreshold, 0);
  if (lagThreshold !== undefined && !(lagThreshold > 0)) throw new Error(`--lag-threshold must be > 0, got ${lagThreshold}`);
  const configuredCapacity = numberOption('configured-capacity', options.configuredCapacity, scenario.capacity);
  const lagpilotRun = (): LabelledRun => {
    if (target === undefined) return runLagpilot(trace, scenario, configuredCapacity);
    // The target's settings, with the capacity the operator would configure and the scenario's
    // bounds (the flags may override the target's).
    const engine = structuredClone(target.engine);
    engine.throughput.capacityPerReplica = configuredCapacity;
    engine.safety.minReplicas = scenario.minReplicas;
    engine.safety.maxReplicas = scenario.maxReplicas;
    return { ...runLagpilot(trace, scenario, configuredCapacity, engine), label: `lagpilot (target ${target.name})` };
  };

  let runs: LabelledRun[];
  if (options.frontier === true) {
    runs = runKedaFrontier(trace, scenario);
  } else if (options.policy === 'keda') {
    if (lagThreshold === undefined) {
      throw new Error(`--policy keda needs --lag-threshold N (or --frontier for the grid ${kedaThresholdGrid.join(', ')})`);
    }
    runs = [runKeda(trace, scenario, lagThreshold)];
  } else {
    runs = [lagpilotRun()];
  }

  if (options.json === true) {
    for (const run of runs) write(`${JSON.stringify(resultObject(run.result))}\n`);
  } else {
    write(`${trace.name}: ${trace.ratePerSecond.length} s\n${table(runs)}\n`);
  }

  if (options.plot !== undefined) {
    // lagpilot beside the baseline: the given threshold, or the frontier's lowest-violation point.
    const lagpilot = runs.find((run) => run.policy === 'lagpilot') ?? lagpilotRun();
    const baseline = lagThreshold !== undefined ? runKeda(trace, scenario, lagThreshold) : lowestViolationPoint(runKedaFrontier(trace, scenario));
    writeFileSync(options.plot, renderRunsSvg(`${trace.name}: lagpilot and the keda baseline`, [lagpilot, baseline], scenario));
    if (options.json !== true) write(`plot written to ${options.plot}\n`);
  }
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('replay a workload trace through the scaling model with lagpilot or the keda baseline')
    .requiredOption('--trace <file>', 'trace CSV (header t,rate; a row every 10 s)')
    .option('--policy <name>', 'lagpilot or keda', 'lagpilot')
    .option('--lag-threshold <n>', 'keda lagThreshold (messages per replica)')
    .option('--frontier', `run the keda baseline over lagThreshold ${kedaThresholdGrid.join(', ')}`)
    .option('--partitions <n>', `partitions of the topic (default ${defaultScenario.partitions})`)
    .option('--capacity <n>', `messages per second one ready replica processes (default ${defaultScenario.capacity})`)
    .option('--configured-capacity <n>', 'per-replica capacity lagpilot is configured with (default: --capacity)')
    .option('--startup <s>', `seconds until a new replica is ready (default ${defaultScenario.startup})`)
    .option('--rebalance-pause <s>', `seconds the group stops after its members change (default ${defaultScenario.rebalancePause})`)
    .option('--slo <s>', `lag target in seconds (default ${defaultScenario.slo})`)
    .option('--min <n>', `minimum replicas (default ${defaultScenario.minReplicas})`)
    .option('--max <n>', `maximum replicas (default ${defaultScenario.maxReplicas})`)
    .option('--initial <n>', `replicas ready at t = 0 (default ${defaultScenario.initialReplicas})`)
    .option('--interval <s>', `seconds between evaluations (default ${defaultScenario.interval})`)
    .option('--json', "print one JSON object per run with the model's output fields")
    .option('--plot <file.svg>', 'draw produce rate, replicas and lag over time, lagpilot beside the baseline')
    .option('--config <file>', "a daemon config file: simulate its target's policy, bounds and interval")
    .option('--target <name>', 'the target of --config to simulate')
    .action(async (options: SimulateOptions) => {
      try {
        const target = options.config === undefined ? undefined : await loadTargetSettings(options.config, options.target);
        runSimulate(options, (text) => process.stdout.write(text), target);
      } catch (error) {
        process.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}
