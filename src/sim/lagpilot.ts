// lagpilot's policy engine as an autoscaler of the scaling model: the model's observation
// becomes the engine's signals, the engine's history lives in memory, and the decision's
// desired count is what the model applies. The engine code is the daemon's, unchanged.
import { defaultEngineConfig } from '../policies/config.ts';
import type { EngineConfig } from '../policies/config.ts';
import { decide, emptyHistory } from '../policies/engine.ts';
import type { ScalingHistory } from '../policies/safety/stage.ts';
import type { Decision, RateSample, ScalingSignals } from '../policies/types.ts';
import type { Autoscaler, Observation, Scenario } from './model.ts';

/** Produce-rate samples kept for the trend: enough for Holt to settle, few enough to forget. */
const rateHistoryLength = 8;

/** What the operator configured for the simulated target, where it may differ from the scenario. */
export interface ConfiguredFigures {
  capacityPerReplica?: number;
  replicaStartupSeconds?: number;
  rebalancePauseSeconds?: number;
}

/**
 * The engine configuration the simulator runs for a scenario: the defaults, with the bounds the
 * model gives every autoscaler and what an operator would have configured for the target —
 * per-replica capacity, replica startup and rebalance pause (the daemon's
 * `collectors.capacity.perReplica`, `scaling.replicaStartup` and `scaling.rebalancePause`). They
 * are the scenario's own figures unless `configured` says otherwise.
 */
export function engineConfigForScenario(scenario: Scenario, configured: ConfiguredFigures = {}): EngineConfig {
  const config = defaultEngineConfig();
  config.throughput.capacityPerReplica = configured.capacityPerReplica ?? scenario.capacity;
  config.safety.replicaStartupSeconds = configured.replicaStartupSeconds ?? scenario.startup;
  config.safety.rebalancePauseSeconds = configured.rebalancePauseSeconds ?? scenario.rebalancePause;
  config.safety.minReplicas = scenario.minReplicas;
  config.safety.maxReplicas = scenario.maxReplicas;
  return config;
}

export interface LagpilotAutoscaler extends Autoscaler {
  readonly decisions: Decision[];
}

export function createLagpilotAutoscaler(config: EngineConfig, options: { keepDecisions?: boolean } = {}): LagpilotAutoscaler {
  let history: ScalingHistory = emptyHistory;
  const rates: RateSample[] = [];
  const decisions: Decision[] = [];
  return {
    name: 'lagpilot',
    decisions,
    evaluate(observation: Observation): number {
      rates.push({ time: observation.time, rate: observation.produceRate });
      if (rates.length > rateHistoryLength) rates.shift();
      const signals: ScalingSignals = {
        time: observation.time,
        currentReplicas: observation.desiredReplicas,
        readyReplicas: observation.readyReplicas,
        partitions: observation.partitions,
        backlogMessages: observation.backlogMessages,
        lagSeconds: observation.lagSeconds,
        produceRate: observation.produceRate,
        consumeRate: observation.consumeRate,
        produceRateHistory: [...rates],
        dataAgeSeconds: 0,
        partialData: false,
        consecutiveFailedCollections: 0,
      };
      const evaluation = decide(config, signals, history);
      history = evaluation.history;
      if (options.keepDecisions === true) decisions.push(evaluation.decision);
      return evaluation.decision.desired;
    },
  };
}
