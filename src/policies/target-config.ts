// The engine settings for a target of the daemon's config: the defaults, with the target's
// replica bounds, lag target, configured capacity and scaling timings. The daemon and
// `lagpilot simulate --config --target` both use this, so a simulation runs what the daemon would run.
import type { TargetConfig } from '../config/schema/targets.ts';
import { defaultEngineConfig } from './config.ts';
import type { EngineConfig } from './config.ts';

export function engineConfigForTarget(target: TargetConfig): EngineConfig {
  const config = defaultEngineConfig();
  config.safety.minReplicas = target.replicas.min;
  config.safety.maxReplicas = target.replicas.max;
  if (target.lag.targetSeconds !== undefined) {
    config.lag.targetLagSeconds = target.lag.targetSeconds;
  } else {
    delete config.lag.targetLagSeconds;
  }
  if (target.lag.targetMessagesPerReplica !== undefined) config.lag.targetMessagesPerReplica = target.lag.targetMessagesPerReplica;
  if (target.collectors.capacity.perReplica !== undefined) config.throughput.capacityPerReplica = target.collectors.capacity.perReplica;
  const { scaling } = target;
  config.safety.scaleUpCooldownSeconds = scaling.scaleUpCooldown / 1000;
  config.safety.scaleDownCooldownAfterScaleUpSeconds = scaling.scaleDownCooldown / 1000;
  config.safety.scaleDownCooldownAfterScaleDownSeconds = scaling.scaleDownCooldown / 1000;
  config.safety.scaleDownStabilizationSeconds = scaling.scaleDownStabilization / 1000;
  config.safety.replicaStartupSeconds = scaling.replicaStartup / 1000;
  config.safety.rebalancePauseSeconds = scaling.rebalancePause / 1000;
  return config;
}
