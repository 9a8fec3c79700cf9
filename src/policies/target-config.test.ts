import { expect } from 'chai';
import { targetSchema } from '../config/schema/targets.ts';
import type { TargetConfig } from '../config/schema/targets.ts';
import { engineConfigForTarget } from './target-config.ts';

describe('engine settings of a daemon target', () => {
  const target = (scaling: Record<string, string> = {}): TargetConfig => targetSchema.parse({
    name: 'orders',
    cluster: 'main',
    consumerGroup: 'orders-consumers',
    topics: ['orders'],
    replicas: { min: 2, max: 12 },
    lag: { targetSeconds: 20 },
    actuator: { kind: 'dryRun' },
    scaling,
  });

  it('plans with the replica startup and rebalance pause the operator states', () => {
    const engine = engineConfigForTarget(target({ replicaStartup: '1m', rebalancePause: '30s', scaleDownStabilization: '45s' }));
    expect(engine.safety).to.include({ replicaStartupSeconds: 60, rebalancePauseSeconds: 30, scaleDownStabilizationSeconds: 45, minReplicas: 2, maxReplicas: 12 });
    expect(engine.lag.targetLagSeconds).to.equal(20);
  });

  it('defaults to the engine defaults: 30 s startup, 10 s pause, a 15 s scale-down window', () => {
    expect(engineConfigForTarget(target()).safety).to.include({ replicaStartupSeconds: 30, rebalancePauseSeconds: 10, scaleDownStabilizationSeconds: 15 });
  });
});
