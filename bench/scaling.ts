// The scaling benchmark (docs/benchmarks/scaling.md): lagpilot against the keda baseline's
// frontier on every trace in ../shared/traces, default scenario, one configuration for all
// traces; then the same with the configured capacity off by ±30 % and with slower replicas
// (startup 60 s, rebalance pause 30 s, configured as an operator would), and, reported only,
// with slower replicas the configuration does not know of.
//
//   node bench/scaling.ts [--traces DIR] [--plots DIR]
//
// --plots writes DIR/<trace>.svg: lagpilot beside the keda frontier's lowest-violation point.
// Exits 1 when a goal is missed: in the default scenario 0 violation seconds; in it and in each
// robustness variant (violations aside) mean efficiency >= 0.65 and, per trace, scale events at
// most half of the default scenario's baseline point.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/env/paths.ts';
import { defaultScenario } from '../src/sim/model.ts';
import { renderRunsSvg } from '../src/sim/plot.ts';
import type { Scenario, SimulationResult } from '../src/sim/model.ts';
import { engineConfigForScenario } from '../src/sim/lagpilot.ts';
import type { ConfiguredFigures } from '../src/sim/lagpilot.ts';
import { lowestViolationPoint, runKedaFrontier, runLagpilot } from '../src/sim/runs.ts';
import { loadTrace, parseTrace } from '../src/sim/trace.ts';
import type { Trace } from '../src/sim/trace.ts';

const efficiencyGoal = 0.65;

function flagValue(argv: readonly string[], flag: string): string | undefined {
  const index = argv.indexOf(flag);
  if (index < 0) return undefined;
  const value = argv[index + 1];
  if (value === undefined) throw new Error(`${flag} needs a directory`);
  return value;
}

function pad(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells.map((cell, column) => (column === 0 ? String(cell).padEnd(widths[column] ?? 0) : String(cell).padStart(widths[column] ?? 0))).join('  ');
}

function printTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => String(row[column] ?? '').length)));
  console.log(pad(header, widths));
  for (const row of rows) console.log(pad(row, widths));
}

/**
 * Shapes the public traces do not have, to see how the one configuration generalises. Flap
 * damping (safety/cooldown.ts) was added after seeing the oscillating ones, with settings that
 * leave the public traces' results as they were; nothing else was chosen on them. Two hours
 * each, a row every 10 s; `row` is the row index.
 */
const syntheticShapes: Record<string, (row: number) => number> = {
  'oscillating 3000/9000, 1 min': (row) => (Math.floor(row / 6) % 2 === 0 ? 3000 : 9000),
  'oscillating 3000/9000, 3 min': (row) => (Math.floor(row / 18) % 2 === 0 ? 3000 : 9000),
  'sawtooth 1000→12000 over 10 min': (row) => 1000 + ((row % 60) / 60) * 11000,
  'noise 5000 ±40 %': (row) => 5000 * (0.6 + 0.8 * pseudoRandom(row)),
  'spike 1000→20000 for 1 min, every 20 min': (row) => (row % 120 >= 60 && row % 120 < 66 ? 20000 : 1000),
  'growth 1000 +2 msg/s per s': (row) => 1000 + row * 20,
};

/** Deterministic noise in [0, 1): the benchmark prints the same numbers on every run. */
function pseudoRandom(row: number): number {
  const x = Math.sin(row * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
}

function syntheticTrace(name: string, shape: (row: number) => number): Trace {
  const rows = Array.from({ length: 720 }, (_, row) => `${row * 10},${Math.round(shape(row))}`);
  return parseTrace(name, ['t,rate', ...rows].join('\n'));
}

interface Variant {
  name: string;
  scenario: Scenario;
  /** What the target's configuration says where it differs from the scenario. */
  configured: ConfiguredFigures;
  /** False: reported only, the goals are not checked. */
  goal: boolean;
}

function main(): number {
  const argv = process.argv.slice(2);
  const directory = flagValue(argv, '--traces') ?? join(repoRoot, '..', 'shared', 'traces');
  const plotDirectory = flagValue(argv, '--plots');
  if (plotDirectory !== undefined) mkdirSync(plotDirectory, { recursive: true });
  const files = readdirSync(directory).filter((file) => file.endsWith('.csv')).sort();
  if (files.length === 0) throw new Error(`no .csv traces in ${directory}`);
  const traces: Trace[] = files.map((file) => loadTrace(join(directory, file)));
  const scenario = { ...defaultScenario };

  console.log(`scaling benchmark: ${traces.length} traces from ${directory}`);
  console.log('default scenario: ' + JSON.stringify(scenario));
  console.log('');

  const failures: string[] = [];
  const defaultRows: (string | number)[][] = [];
  const budgets = new Map<string, number>();
  let lagpilotEfficiencySum = 0;
  let baselineEfficiencySum = 0;
  for (const trace of traces) {
    const lagpilotRun = runLagpilot(trace, scenario);
    const lagpilot = lagpilotRun.result;
    const baseline = lowestViolationPoint(runKedaFrontier(trace, scenario));
    if (plotDirectory !== undefined) {
      const title = `${trace.name}: lagpilot and the keda baseline's lowest-violation point`;
      writeFileSync(join(plotDirectory, trace.name.replace(/\.csv$/, '.svg')), renderRunsSvg(title, [lagpilotRun, baseline], scenario));
    }
    const budget = Math.floor(baseline.result.scaleEvents / 2);
    budgets.set(trace.name, budget);
    lagpilotEfficiencySum += lagpilot.efficiency;
    baselineEfficiencySum += baseline.result.efficiency;
    if (lagpilot.sloViolationSeconds > 0) failures.push(`${trace.name}: ${lagpilot.sloViolationSeconds} SLO-violation seconds (goal 0)`);
    if (lagpilot.scaleEvents > budget) failures.push(`${trace.name}: ${lagpilot.scaleEvents} scale events (goal <= ${budget})`);
    defaultRows.push([
      trace.name,
      lagpilot.sloViolationSeconds,
      lagpilot.maxLagSeconds,
      lagpilot.efficiency.toFixed(3),
      `${lagpilot.scaleEvents} / ${budget}`,
      lagpilot.pausedSeconds,
      baseline.lagThreshold ?? '',
      baseline.result.sloViolationSeconds,
      baseline.result.maxLagSeconds,
      baseline.result.efficiency.toFixed(3),
      baseline.result.scaleEvents,
    ]);
  }
  const lagpilotEfficiency = lagpilotEfficiencySum / traces.length;
  if (lagpilotEfficiency < efficiencyGoal) failures.push(`mean efficiency ${lagpilotEfficiency.toFixed(3)} (goal >= ${efficiencyGoal})`);
  console.log('default scenario: lagpilot against the keda frontier point with the fewest violation seconds');
  printTable(
    ['trace', 'violations s', 'max lag s', 'efficiency', 'events / budget', 'paused s', 'keda threshold', 'keda violations s', 'keda max lag s', 'keda efficiency', 'keda events'],
    [...defaultRows, ['mean', '', '', lagpilotEfficiency.toFixed(3), '', '', '', '', '', (baselineEfficiencySum / traces.length).toFixed(3), '']],
  );
  console.log('');

  const slower = { ...scenario, startup: 60, rebalancePause: 30 };
  const variants: Variant[] = [
    { name: 'capacity configured -30 %', scenario, configured: { capacityPerReplica: scenario.capacity * 0.7 }, goal: true },
    { name: 'capacity configured +30 %', scenario, configured: { capacityPerReplica: scenario.capacity * 1.3 }, goal: true },
    { name: 'startup 60 s, rebalance pause 30 s', scenario: slower, configured: {}, goal: true },
    {
      name: 'startup 60 s, pause 30 s, configured 30 s / 10 s',
      scenario: slower,
      configured: { replicaStartupSeconds: scenario.startup, rebalancePauseSeconds: scenario.rebalancePause },
      goal: false,
    },
  ];
  console.log('robustness (same configuration; capacity: the configured figure is off and the policy must find out; startup and pause: configured as they are, and, not a goal, left at the defaults)');
  const variantRows: (string | number)[][] = [];
  for (const variant of variants) {
    let efficiencySum = 0;
    for (const trace of traces) {
      const engineConfig = engineConfigForScenario(variant.scenario, variant.configured);
      const result: SimulationResult = runLagpilot(trace, variant.scenario, variant.scenario.capacity, engineConfig).result;
      efficiencySum += result.efficiency;
      const budget = budgets.get(trace.name) ?? 0;
      if (variant.goal && result.scaleEvents > budget) failures.push(`${variant.name}, ${trace.name}: ${result.scaleEvents} scale events (goal <= ${budget})`);
      variantRows.push([variant.name, trace.name, result.sloViolationSeconds, result.maxLagSeconds, result.efficiency.toFixed(3), `${result.scaleEvents} / ${budget}`, result.pausedSeconds]);
    }
    const meanEfficiency = efficiencySum / traces.length;
    if (variant.goal && meanEfficiency < efficiencyGoal) failures.push(`${variant.name}: mean efficiency ${meanEfficiency.toFixed(3)} (goal >= ${efficiencyGoal})`);
    variantRows.push([variant.name, variant.goal ? 'mean' : 'mean (not a goal)', '', '', meanEfficiency.toFixed(3), '', '']);
  }
  printTable(['variant', 'trace', 'violations s', 'max lag s', 'efficiency', 'events / budget', 'paused s'], variantRows);
  console.log('');

  console.log('synthetic shapes (reported, not goals): flap damping was added after seeing the oscillating ones; nothing else was chosen on them');
  const syntheticRows: (string | number)[][] = [];
  for (const [name, shape] of Object.entries(syntheticShapes)) {
    const trace = syntheticTrace(name, shape);
    const lagpilot = runLagpilot(trace, scenario).result;
    const baseline = lowestViolationPoint(runKedaFrontier(trace, scenario));
    syntheticRows.push([
      name,
      lagpilot.sloViolationSeconds,
      lagpilot.maxLagSeconds,
      lagpilot.efficiency.toFixed(3),
      `${lagpilot.scaleEvents} / ${Math.floor(baseline.result.scaleEvents / 2)}`,
      baseline.lagThreshold ?? '',
      baseline.result.sloViolationSeconds,
      baseline.result.efficiency.toFixed(3),
      baseline.result.scaleEvents,
    ]);
  }
  printTable(['shape', 'violations s', 'max lag s', 'efficiency', 'events / budget', 'keda threshold', 'keda violations s', 'keda efficiency', 'keda events'], syntheticRows);
  console.log('');

  console.log('synthetic shapes with the configured capacity off (reported, not goals): how the capacity learning generalises');
  const capacityRows: (string | number)[][] = [];
  for (const factor of [0.7, 1.3]) {
    for (const [name, shape] of Object.entries(syntheticShapes)) {
      const result = runLagpilot(syntheticTrace(name, shape), scenario, scenario.capacity * factor).result;
      capacityRows.push([`capacity configured ${factor < 1 ? '-' : '+'}${Math.round(Math.abs(factor - 1) * 100)} %`, name, result.sloViolationSeconds, result.maxLagSeconds, result.efficiency.toFixed(3), result.scaleEvents]);
    }
  }
  printTable(['variant', 'shape', 'violations s', 'max lag s', 'efficiency', 'events'], capacityRows);
  console.log('');

  console.log('synthetic shapes with startup 60 s and rebalance pause 30 s, configured (reported, not goals)');
  const slowerRows: (string | number)[][] = [];
  for (const [name, shape] of Object.entries(syntheticShapes)) {
    const result = runLagpilot(syntheticTrace(name, shape), slower).result;
    slowerRows.push([name, result.sloViolationSeconds, result.maxLagSeconds, result.efficiency.toFixed(3), result.scaleEvents, result.pausedSeconds]);
  }
  printTable(['shape', 'violations s', 'max lag s', 'efficiency', 'events', 'paused s'], slowerRows);
  console.log('');

  if (failures.length === 0) {
    console.log(`goals met: 0 violation seconds, mean efficiency ${lagpilotEfficiency.toFixed(3)} >= ${efficiencyGoal} (and in every robustness variant), scale events within half of the baseline's on every trace`);
    return 0;
  }
  console.log(`goals missed:\n  ${failures.join('\n  ')}`);
  return 1;
}

process.exitCode = main();
