// `lagpilot simulate`: replays a trace through the scaling model (scaling-model.md) with
// lagpilot's policy engine or the keda baseline, prints the model's outputs and can draw them.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
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

export function scenarioFromOptions(options: SimulateOptions): Scenario {
  const scenario: Scenario = {
    partitions: numberOption('partitions', options.partitions, defaultScenario.partitions),
    capacity: numberOption('capacity', options.capacity, defaultScenario.capacity),
    startup: numberOption('startup', options.startup, defaultScenario.startup),
    rebalancePause: numberOption('rebalance-pause', options.rebalancePause, defaultScenario.rebalancePause),
    slo: numberOption('slo', options.slo, defaultScenario.slo),
    minReplicas: numberOption('min', options.min, defaultScenario.minReplicas),
    maxReplicas: numberOption('max', options.max, defaultScenario.maxReplicas),
    initialReplicas: numberOption('initial', options.initial, defaultScenario.initialReplicas),
    interval: numberOption('interval', options.interval, defaultScenario.interval),
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

export function runSimulate(options: SimulateOptions, write: (text: string) => void): void {
  const scenario = scenarioFromOptions(options);
  const trace = loadTrace(options.trace);
  if (options.policy !== 'lagpilot' && options.policy !== 'keda') {
    throw new Error(`--policy must be lagpilot or keda, got "${options.policy}"`);
  }
  const lagThreshold = options.lagThreshold === undefined ? undefined : numberOption('lag-threshold', options.lagThreshold, 0);
  if (lagThreshold !== undefined && !(lagThreshold > 0)) throw new Error(`--lag-threshold must be > 0, got ${lagThreshold}`);
  const configuredCapacity = numberOption('configured-capacity', options.configuredCapacity, scenario.capacity);

  let runs: LabelledRun[];
  if (options.frontier === true) {
    runs = runKedaFrontier(trace, scenario);
  } else if (options.policy === 'keda') {
    if (lagThreshold === undefined) {
      throw new Error(`--policy keda needs --lag-threshold N (or --frontier for the grid ${kedaThresholdGrid.join(', ')})`);
    }
    runs = [runKeda(trace, scenario, lagThreshold)];
  } else {
    runs = [runLagpilot(trace, scenario, configuredCapacity)];
  }

  if (options.json === true) {
    for (const run of runs) write(`${JSON.stringify(resultObject(run.result))}\n`);
  } else {
    write(`${trace.name}: ${trace.ratePerSecond.length} s\n${table(runs)}\n`);
  }

  if (options.plot !== undefined) {
    // lagpilot beside the baseline: the given threshold, or the frontier's lowest-violation point.
    const lagpilot = runs.find((run) => run.policy === 'lagpilot') ?? runLagpilot(trace, scenario, configuredCapacity);
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
    .action((options: SimulateOptions) => {
      try {
        runSimulate(options, (text) => process.stdout.write(text));
      } catch (error) {
        process.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}
