// The runs the simulate command and the benchmark make: lagpilot, the keda baseline at one
// threshold, and the keda frontier over its threshold grid.
import type { EngineConfig } from '../policies/config.ts';
import { createKedaAutoscaler, kedaThresholdGrid } from './keda.ts';
import { createLagpilotAutoscaler, engineConfigForScenario } from './lagpilot.ts';
import { simulate } from './model.ts';
import type { Scenario, SimulationRun } from './model.ts';
import type { Trace } from './trace.ts';

export interface LabelledRun extends SimulationRun {
  label: string;
  policy: 'lagpilot' | 'keda';
  lagThreshold?: number;
}

export function runLagpilot(trace: Trace, scenario: Scenario, configuredCapacityPerReplica: number = scenario.capacity, engineConfig?: EngineConfig): LabelledRun {
  const config = engineConfig ?? engineConfigForScenario(scenario, { capacityPerReplica: configuredCapacityPerReplica });
  const run = simulate(trace, scenario, createLagpilotAutoscaler(config));
  const label = configuredCapacityPerReplica === scenario.capacity ? 'lagpilot' : `lagpilot (capacity configured ${configuredCapacityPerReplica})`;
  return { ...run, label, policy: 'lagpilot' };
}

export function runKeda(trace: Trace, scenario: Scenario, lagThreshold: number): LabelledRun {
  const run = simulate(trace, scenario, createKedaAutoscaler(scenario, lagThreshold));
  return { ...run, label: `keda lagThreshold=${lagThreshold}`, policy: 'keda', lagThreshold };
}

export function runKedaFrontier(trace: Trace, scenario: Scenario): LabelledRun[] {
  return kedaThresholdGrid.map((threshold) => runKeda(trace, scenario, threshold));
}

/** The frontier point with the fewest violation seconds; among equals, the cheapest. */
export function lowestViolationPoint(frontier: readonly LabelledRun[]): LabelledRun {
  const [first, ...rest] = frontier;
  if (first === undefined) throw new Error('an empty frontier has no lowest-violation point');
  return rest.reduce((best, run) => {
    const byViolations = run.result.sloViolationSeconds - best.result.sloViolationSeconds;
    if (byViolations < 0 || (byViolations === 0 && run.result.replicaSeconds < best.result.replicaSeconds)) return run;
    return best;
  }, first);
}
