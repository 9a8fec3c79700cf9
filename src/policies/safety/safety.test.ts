import { expect } from 'chai';
import { dampedWindowSeconds, defaultEngineConfig, recommendationHistorySeconds } from '../config.ts';
import type { SafetyConfig } from '../config.ts';
import { testSignals } from '../test-signals.ts';
import type { ScalingSignals } from '../types.ts';
import { boundsStage } from './bounds.ts';
import { cooldownStage, countReversals, scaleDownCooldownAfterScaleUp } from './cooldown.ts';
import { finalBoundsStage } from './final-bounds.ts';
import { cheapestCountFor, effectiveConsumers, partitionCapStage } from './partition-cap.ts';
import { runSafetyPipeline, safetyPipeline } from './pipeline.ts';
import { rateLimitStage } from './rate-limit.ts';
import { rebalanceStage } from './rebalance.ts';
import { stabilizationStage } from './stabilization.ts';
import type { DraftDecision, SafetyContext, ScalingHistory } from './stage.ts';
import { staleDataGuard } from './stale-data.ts';
import { toleranceStage } from './tolerance.ts';

interface ContextOptions {
  safety?: Partial<SafetyConfig>;
  signals?: Partial<ScalingSignals>;
  history?: Partial<ScalingHistory>;
  minReplicas?: number;
  maxReplicas?: number;
}

function context(options: ContextOptions = {}): SafetyContext {
  const config = { ...defaultEngineConfig().safety, ...options.safety };
  return {
    config,
    signals: testSignals({ time: 1000, ...options.signals }),
    history: { recommendations: [], events: [], ...options.history },
    minReplicas: options.minReplicas ?? config.minReplicas,
    maxReplicas: options.maxReplicas ?? config.maxReplicas,
  };
}

const draft = (current: number, desired: number, extra: Partial<DraftDecision> = {}): DraftDecision => ({ current, desired, reasons: [], ...extra });
const codes = (decision: DraftDecision): string[] => decision.reasons.map((reason) => reason.code);

describe('safety stages', () => {
  describe('stale-or-partial-data guard', () => {
    it('never scales in on stale data, and says how old it was', () => {
      const result = staleDataGuard.apply(draft(8, 4), context({ signals: { dataAgeSeconds: 120 } }));
      expect(result.desired).to.equal(8);
      expect(result.reasons[0]).to.deep.include({ code: 'StaleDataNoScaleIn', source: 'staleData' });
      expect(result.reasons[0]?.evidence).to.include({ dataAgeSeconds: 120, maxDataAgeSeconds: 60, from: 4, to: 8 });
    });

    it('never scales in on partial data, but lets a scale-up through', () => {
      expect(codes(staleDataGuard.apply(draft(8, 4), context({ signals: { partialData: true } })))).to.deep.equal(['PartialDataNoScaleIn']);
      expect(staleDataGuard.apply(draft(4, 8), context({ signals: { partialData: true } })).desired).to.equal(8);
    });

    it('goes to the fallback count after N failed collections, raising only', () => {
      const failing = { consecutiveFailedCollections: 4, partialData: true };
      expect(staleDataGuard.apply(draft(2, 2), context({ signals: failing, safety: { fallbackReplicas: 6 } })).desired).to.equal(6);
      expect(staleDataGuard.apply(draft(9, 3), context({ signals: failing, safety: { fallbackReplicas: 6 } })).desired).to.equal(9);
    });
  });

  it('bounds clamp to the bounds in force', () => {
    expect(codes(boundsStage.apply(draft(4, 30), context()))).to.deep.equal(['AboveMaximum']);
    expect(boundsStage.apply(draft(4, 1), context({ minReplicas: 3 })).desired).to.equal(3);
  });

  describe('partition cap and even distribution', () => {
    it('knows that 7 consumers on 24 partitions drain no faster than 6', () => {
      expect(effectiveConsumers(7, 24)).to.equal(6);
      expect(cheapestCountFor(7, 24, 24)).to.equal(8);
      expect(cheapestCountFor(9, 24, 24)).to.equal(12);
      expect(cheapestCountFor(13, 24, 24)).to.equal(24);
      expect(cheapestCountFor(13, 24, 20)).to.equal(12);
    });

    it('caps at the partitions and rounds up to an even count', () => {
      expect(codes(partitionCapStage.apply(draft(4, 30), context({ maxReplicas: 40 })))).to.deep.equal(['PartitionCap']);
      const even = partitionCapStage.apply(draft(4, 7), context());
      expect(even.desired).to.equal(8);
      expect(even.reasons[0]?.evidence).to.include({ partitionsPerConsumer: 3, effectiveConsumers: 8 });
    });

    it('allows idle consumers only when configured', () => {
      expect(partitionCapStage.apply(draft(4, 30), context({ safety: { allowIdleConsumers: true }, maxReplicas: 40 })).desired).to.equal(30);
    });
  });

  it('tolerance keeps small changes, up and down separately', () => {
    const config = { scaleUpTolerance: 0.1, scaleDownTolerance: 0.2 };
    expect(codes(toleranceStage.apply(draft(20, 22), context({ safety: config })))).to.deep.equal(['ScaleUpWithinTolerance']);
    expect(toleranceStage.apply(draft(20, 23), context({ safety: config })).desired).to.equal(23);
    expect(codes(toleranceStage.apply(draft(20, 16), context({ safety: config })))).to.deep.equal(['ScaleDownWithinTolerance']);
    expect(toleranceStage.apply(draft(20, 15), context({ safety: config })).desired).to.equal(15);
  });

  it('stabilization doubles the down window for each reversed scale-down beyond the free one', () => {
    // Scale-downs at 100 and 300 were each reversed within 60 s: one reversal beyond the free
    // one doubles the 15 s window to 30 s, so the recommendation of 12 made 20 s ago still counts.
    const events = [{ time: 100, from: 12, to: 3 }, { time: 145, from: 3, to: 12 }, { time: 300, from: 12, to: 3 }, { time: 330, from: 3, to: 12 }];
    const history = { events, recommendations: [{ time: 980, replicas: 12 }] };
    const damped = stabilizationStage.apply(draft(12, 3), context({ history }));
    expect(damped.desired).to.equal(12);
    expect(damped.reasons[0]?.evidence).to.include({ windowSeconds: 30, reversals: 2 });
    const calm = stabilizationStage.apply(draft(12, 3), context({ history: { ...history, events: events.slice(0, 2) } }));
    expect(calm.desired).to.equal(3);
    const safety = defaultEngineConfig().safety;
    expect([1, 2, 3, 4, 8].map((reversals) => dampedWindowSeconds(safety, reversals))).to.deep.equal([15, 30, 60, 120, 600]);
    expect(dampedWindowSeconds({ ...safety, scaleDownStabilizationSeconds: 0 }, 8)).to.equal(0);
    expect(recommendationHistorySeconds(safety)).to.equal(600);
    expect(recommendationHistorySeconds({ ...safety, flapDamping: { ...safety.flapDamping, memorySeconds: 0 } })).to.equal(15);
  });

  it('stabilization scales down only to the highest recommendation of its window', () => {
    const history = { recommendations: [{ time: 900, replicas: 12 }, { time: 960, replicas: 8 }, { time: 985, replicas: 6 }] };
    const result = stabilizationStage.apply(draft(12, 4), context({ safety: { scaleDownStabilizationSeconds: 60 }, history }));
    expect(result.desired).to.equal(8);
    expect(result.recommendationForHistory).to.equal(4);
    expect(codes(result)).to.deep.equal(['ScaleDownStabilized']);
    const up = stabilizationStage.apply(draft(4, 12), context({ safety: { scaleUpStabilizationSeconds: 60 }, history }));
    expect(up.desired).to.equal(6);
    expect(codes(up)).to.deep.equal(['ScaleUpStabilized']);
  });

  describe('rate limits', () => {
    const events = [{ time: 990, from: 4, to: 6 }];

    it('limits scale-up per period, most permissive rule by default', () => {
      const rules = { select: 'max' as const, rules: [{ type: 'pods' as const, value: 2, periodSeconds: 60 }, { type: 'percent' as const, value: 100, periodSeconds: 60 }] };
      // The period started at 4 replicas: pods allow 6, percent allows 8.
      const result = rateLimitStage.apply(draft(6, 20), context({ safety: { scaleUpRateLimit: rules }, history: { events } }));
      expect(result.desired).to.equal(8);
      expect(codes(result)).to.deep.equal(['ScaleUpLimit']);
      const strict = rateLimitStage.apply(draft(6, 20), context({ safety: { scaleUpRateLimit: { ...rules, select: 'min' } }, history: { events } }));
      expect(strict.desired).to.equal(6);
    });

    it('limits scale-down and can disable a direction', () => {
      const down = { select: 'max' as const, rules: [{ type: 'percent' as const, value: 50, periodSeconds: 60 }] };
      expect(rateLimitStage.apply(draft(12, 2), context({ safety: { scaleDownRateLimit: down } })).desired).to.equal(6);
      expect(codes(rateLimitStage.apply(draft(12, 2), context({ safety: { scaleDownRateLimit: { select: 'disabled', rules: [] } } })))).to.deep.equal(['ScaleDownDisabled']);
    });
  });

  describe('cooldowns', () => {
    it('holds a scale-down after a recent scale-up and after a recent scale-down', () => {
      const afterUp = cooldownStage.apply(draft(8, 4), context({ history: { events: [{ time: 970, from: 4, to: 8 }] } }));
      expect(codes(afterUp)).to.deep.equal(['ScaleDownCooldownAfterScaleUp']);
      expect(afterUp.reasons[0]?.evidence).to.include({ sinceScaleUpSeconds: 30 });
      const afterDown = cooldownStage.apply(draft(8, 4), context({ history: { events: [{ time: 970, from: 12, to: 8 }] } }));
      expect(codes(afterDown)).to.deep.equal(['ScaleDownCooldownAfterScaleDown']);
      expect(cooldownStage.apply(draft(8, 4), context({ history: { events: [{ time: 900, from: 4, to: 8 }] } })).desired).to.equal(4);
    });

    it('damps flapping: each reversed scale-down beyond the first doubles the cooldown after a scale-up', () => {
      const damping = { reversalSeconds: 60, memorySeconds: 1800, maxCooldownSeconds: 600, freeReversals: 1 };
      // Down at 100, back up at 145 (a reversal); down at 300, up at 330 (another); down at 500,
      // up at 700 (too late to count).
      const events = [
        { time: 100, from: 12, to: 3 }, { time: 145, from: 3, to: 12 },
        { time: 300, from: 12, to: 3 }, { time: 330, from: 3, to: 12 },
        { time: 500, from: 12, to: 3 }, { time: 700, from: 3, to: 12 },
      ];
      expect(countReversals(events, 1000, damping)).to.equal(2);
      expect(countReversals(events, 100 + 145 + 1800, damping)).to.equal(1);
      const safety = { ...defaultEngineConfig().safety, flapDamping: damping };
      expect(scaleDownCooldownAfterScaleUp(safety, events, 1000)).to.deep.equal({ seconds: 120, reversals: 2 });
      expect(scaleDownCooldownAfterScaleUp(safety, events.slice(0, 2), 1000)).to.deep.equal({ seconds: 60, reversals: 1 });
      const many = Array.from({ length: 10 }, (_, index) => [{ time: 100 * index, from: 12, to: 3 }, { time: 100 * index + 30, from: 3, to: 12 }]).flat();
      expect(scaleDownCooldownAfterScaleUp(safety, many, 1000).seconds).to.equal(600);
      const held = cooldownStage.apply(draft(12, 3), context({ safety: { flapDamping: damping }, signals: { time: 790 }, history: { events } }));
      expect(codes(held)).to.deep.equal(['ScaleDownCooldownAfterScaleUp']);
      expect(held.reasons[0]?.evidence).to.include({ cooldownSeconds: 120, reversals: 2, sinceScaleUpSeconds: 90 });
    });

    it('never holds a scale-up unless a scale-up cooldown is configured', () => {
      const events = [{ time: 990, from: 4, to: 8 }];
      expect(cooldownStage.apply(draft(8, 12), context({ history: { events } })).desired).to.equal(12);
      expect(codes(cooldownStage.apply(draft(8, 12), context({ history: { events }, safety: { scaleUpCooldownSeconds: 30 } })))).to.deep.equal(['ScaleUpCooldown']);
    });
  });

  describe('rebalance awareness', () => {
    it('skips a scale-down whose saving does not pay for the two rebalances it risks', () => {
      // 24 → 23 saves 300 replica-seconds over 300 s; its pause stops 23 replicas for 10 s, the
      // scale-up back starts one for 31 s and stops all 24 for 10 s: 501.
      const result = rebalanceStage.apply(draft(24, 23), context({ safety: { rebalancePaybackSeconds: 300, rebalancePauseSeconds: 10, replicaStartupSeconds: 30, rebalanceCostFactor: 1 } }));
      expect(codes(result)).to.deep.equal(['RebalanceCostExceedsSaving']);
      expect(result.reasons[0]?.evidence).to.include({ savedReplicaSeconds: 300, costReplicaSeconds: 501 });
      expect(rebalanceStage.apply(draft(24, 12), context()).desired).to.equal(12);
    });

    it('weighs a slower startup and a longer pause against the saving', () => {
      const slow = { replicaStartupSeconds: 60, rebalancePauseSeconds: 30 };
      // 4 → 3: 300 saved against 3·30 + 61 + 4·30 = 271; 6 → 5: 300 against 150 + 61 + 180 = 391.
      expect(rebalanceStage.apply(draft(4, 3), context({ safety: slow })).desired).to.equal(3);
      expect(codes(rebalanceStage.apply(draft(6, 5), context({ safety: slow })))).to.deep.equal(['RebalanceCostExceedsSaving']);
      expect(rebalanceStage.apply(draft(6, 5), context()).desired).to.equal(5);
    });

    it('waits to take a stabilized scale-down in one step rather than two', () => {
      const result = rebalanceStage.apply(draft(24, 12, { recommendationForHistory: 3 }), context());
      expect(result.desired).to.equal(24);
      expect(codes(result)).to.deep.equal(['ScaleDownDeferredToOneStep']);
    });

    describe('scale-ups that only drain a backlog', () => {
      const outlook = { capacityPerReplica: 1000, arrivalRate: 8000, targetLagSeconds: 30 };
      const steady = { currentReplicas: 12, readyReplicas: 12 };

      it('holds one that would not bring lag under target any sooner', () => {
        // 12 replicas carry 8000 msg/s and take 20 s of lag down; 24 would pause the group on
        // their arrival and gain nothing: lag never exceeds 30 s either way.
        const result = rebalanceStage.apply(draft(12, 24), { ...context({ signals: { ...steady, lagSeconds: 20 } }), lagOutlook: outlook });
        expect(result.desired).to.equal(12);
        expect(codes(result)).to.deep.equal(['ScaleUpDoesNotShortenLag']);
        expect(result.reasons[0]?.evidence).to.include({ keptSecondsAboveTarget: 0, askedSecondsAboveTarget: 0, startupSeconds: 30, rebalancePauseSeconds: 10 });
      });

      it('lets one through that does', () => {
        // From 90 s: 12 replicas take 120 s to bring lag to 30 s; 24 take 31 s + 10 s + 28 s.
        const result = rebalanceStage.apply(draft(12, 24), { ...context({ signals: { ...steady, lagSeconds: 90 } }), lagOutlook: outlook });
        expect(result.desired).to.equal(24);
        expect(result.reasons).to.deep.equal([]);
      });

      it('counts the startup and the pause it was told of', () => {
        // From 60 s with a 61 s startup and a 30 s pause, 12 replicas are under 30 s by the time
        // 24 would arrive, and their pause would put lag back above it.
        const slow = { replicaStartupSeconds: 60, rebalancePauseSeconds: 30 };
        const result = rebalanceStage.apply(draft(12, 24), { ...context({ safety: slow, signals: { ...steady, lagSeconds: 60 } }), lagOutlook: outlook });
        expect(codes(result)).to.deep.equal(['ScaleUpDoesNotShortenLag']);
        expect(rebalanceStage.apply(draft(12, 24), { ...context({ signals: { ...steady, lagSeconds: 60 } }), lagOutlook: outlook }).desired).to.equal(24);
      });

      it('never holds a count that cannot carry the load, nor without a projection', () => {
        expect(rebalanceStage.apply(draft(6, 12), { ...context({ signals: { currentReplicas: 6, readyReplicas: 6, lagSeconds: 5 } }), lagOutlook: outlook }).desired).to.equal(12);
        expect(rebalanceStage.apply(draft(12, 24), context({ signals: { ...steady, lagSeconds: 5 } })).desired).to.equal(24);
      });

      it('counts replicas still starting as joining when their startup ends', () => {
        // 12 asked for 25 s ago, 6 ready: the 6 fall 2000 msg/s short until the rest join in
        // 6 s and pause the group; lag climbs from 28 s above the target before it falls.
        const signals = { currentReplicas: 12, readyReplicas: 6, lagSeconds: 28 };
        const history = { events: [{ time: 975, from: 6, to: 12 }] };
        const result = rebalanceStage.apply(draft(12, 24), { ...context({ signals, history }), lagOutlook: outlook });
        expect(result.reasons[0]?.evidence).to.include({ keptPeakLagSeconds: 39.5 });
      });
    });
  });

  it('final bounds bring a held count back inside the bounds in force', () => {
    expect(finalBoundsStage.apply(draft(30, 30), context()).desired).to.equal(24);
    expect(codes(finalBoundsStage.apply(draft(2, 2), context({ minReplicas: 4 })))).to.deep.equal(['HeldCountBelowMinimum']);
  });

  it('runs the stages in the documented order, each appending its reason', () => {
    expect(safetyPipeline.map((stage) => stage.name)).to.deep.equal([
      'staleData', 'bounds', 'partitionCap', 'tolerance', 'stabilization', 'rateLimit', 'cooldown', 'rebalance', 'finalBounds',
    ]);
    const result = runSafetyPipeline(draft(4, 30), context());
    expect(result.desired).to.equal(24);
    expect(result.reasons.map((reason) => `${reason.source}:${reason.code}`)).to.deep.equal(['bounds:AboveMaximum']);
  });
});
