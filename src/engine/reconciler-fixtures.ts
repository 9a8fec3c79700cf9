// Test and bench fixtures for driving the Reconciler without Kafka: the samples a collection of
// one consumer group yields, and an engine configuration whose decisions are easy to predict.
// Nothing in the daemon imports this file.
import type { Sample } from '../collectors/collector.ts';
import { defaultEngineConfig } from '../policies/config.ts';
import type { EngineConfig } from '../policies/config.ts';
import type { TargetCollection } from './collection.ts';

/** What Kafka shows for one consumer group at one moment. */
export interface GroupView {
  lagMessages: number;
  lagSeconds: number;
  produceRate: number;
  consumeRate: number;
  members: number;
  /** Partitions of the group's topic; 12 when not given. */
  partitions?: number;
  /** The lag collector could not read the group, so no lag samples are produced. */
  lagUnreadable?: boolean;
}

/** The samples the collectors would produce for `view`, all stamped at `nowMs`. */
export function groupSamples(view: GroupView, nowMs: number, source = 'test'): Sample[] {
  const sample = (name: string, value: number, labels: Record<string, string> = {}): Sample => ({ name, value, unit: 'count', labels, timestampMs: nowMs, source });
  const lag = view.lagUnreadable === true ? [] : [sample('consumergroup_lag_messages', view.lagMessages), sample('consumergroup_lag_seconds', view.lagSeconds)];
  return [
    ...lag,
    sample('consumergroup_members', view.members),
    sample('topic_produce_rate', view.produceRate),
    sample('consumergroup_consume_rate', view.consumeRate),
    ...Array.from({ length: view.partitions ?? 12 }, (_, partition) => sample('partition_log_end_offset', 0, { topic: 't', partition: String(partition) })),
  ];
}

/** A collection of `target` that read every sample of `view` and hit no errors. */
export function groupCollection(target: string, view: GroupView, nowMs: number, source = 'test'): TargetCollection {
  return { target, samples: groupSamples(view, nowMs, source), errors: [], partial: false, collectedAtMs: nowMs, durationSeconds: 0 };
}

export interface PredictableEngineOptions {
  minReplicas?: number;
  maxReplicas?: number;
  /** Seconds a scale-in waits after any change; 60 when not given. */
  scaleDownCooldownSeconds?: number;
}

/**
 * 100 msg/s per replica and a 10 s lag target, with capacity learning, prediction, scale-down
 * stabilization and rebalance costs off: the replica count follows from the samples alone, so a
 * test can state the exact decision it expects.
 */
export function predictableEngineConfig(options: PredictableEngineOptions = {}): EngineConfig {
  const config = defaultEngineConfig();
  config.lag.targetLagSeconds = 10;
  config.throughput.capacityPerReplica = 100;
  config.throughput.measureCapacity = false;
  config.prediction.enabled = false;
  config.safety.minReplicas = options.minReplicas ?? 1;
  config.safety.maxReplicas = options.maxReplicas ?? 12;
  config.safety.scaleDownStabilizationSeconds = 0;
  config.safety.scaleDownCooldownAfterScaleUpSeconds = options.scaleDownCooldownSeconds ?? 60;
  config.safety.scaleDownCooldownAfterScaleDownSeconds = options.scaleDownCooldownSeconds ?? 60;
  config.safety.rebalancePauseSeconds = 0;
  config.safety.rebalanceCostFactor = 0;
  return config;
}
