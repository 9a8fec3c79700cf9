// Properties of one evaluation, for random signals, configurations and histories.
import { expect } from 'chai';
import fc from 'fast-check';
import { defaultEngineConfig } from './config.ts';
import type { EngineConfig } from './config.ts';
import { decide } from './engine.ts';
import type { ScalingHistory } from './safety/stage.ts';
import type { ScalingSignals } from './types.ts';

const now = 100_000;

const optional = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { nil: undefined });

const signalsArbitrary: fc.Arbitrary<ScalingSignals> = fc
  .record({
    currentReplicas: fc.integer({ min: 0, max: 80 }),
    readyFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    partitions: fc.integer({ min: 1, max: 64 }),
    backlogMessages: optional(fc.double({ min: 0, max: 1e8, noNaN: true })),
    lagSeconds: optional(fc.double({ min: 0, max: 3600, noNaN: true })),
    produceRate: optional(fc.double({ min: 0, max: 1e6, noNaN: true })),
    consumeRate: optional(fc.double({ min: 0, max: 1e6, noNaN: true })),
    rates: fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 8 }),
    cpuUtilization: optional(fc.double({ min: 0, max: 3, noNaN: true })),
    memoryUtilization: optional(fc.double({ min: 0, max: 3, noNaN: true })),
    dataAgeSeconds: fc.integer({ min: 0, max: 600 }),
    partialData: fc.boolean(),
    consecutiveFailedCollections: fc.integer({ min: 0, max: 10 }),
  })
  .map(({ readyFraction, rates, ...fields }) => ({
    ...fields,
    time: now,
    readyReplicas: Math.floor(fields.currentReplicas * readyFraction),
    produceRateHistory: rates.map((rate, index) => ({ time: now - 15 * (rates.length - 1 - index), rate })),
  }));

const configArbitrary: fc.Arbitrary<EngineConfig> = fc
  .record({
    minReplicas: fc.integer({ min: 0, max: 20 }),
    span: fc.integer({ min: 0, max: 60 }),
    allowIdleConsumers: fc.boolean(),
    fallbackReplicas: optional(fc.integer({ min: 0, max: 40 })),
    capacityPerReplica: optional(fc.double({ min: 1, max: 1e5, noNaN: true })),
    scaleDownStabilizationSeconds: fc.integer({ min: 0, max: 600 }),
    upPods: fc.integer({ min: 1, max: 10 }),
    select: fc.constantFrom('max' as const, 'min' as const, 'disabled' as const),
  })
  .map((drawn) => {
    const config = defaultEngineConfig();
    config.throughput.capacityPerReplica = drawn.capacityPerReplica;
    Object.assign(config.safety, {
      minReplicas: drawn.minReplicas,
      maxReplicas: drawn.minReplicas + drawn.span,
      allowIdleConsumers: drawn.allowIdleConsumers,
      fallbackReplicas: drawn.fallbackReplicas,
      scaleDownStabilizationSeconds: drawn.scaleDownStabilizationSeconds,
      scaleUpRateLimit: { select: drawn.select, rules: [{ type: 'pods', value: drawn.upPods, periodSeconds: 60 }] },
    });
    return config;
  });

const historyArbitrary: fc.Arbitrary<ScalingHistory> = fc.record({
  recommendations: fc.array(fc.record({ time: fc.integer({ min: now - 900, max: now - 1 }), replicas: fc.integer({ min: 0, max: 80 }) }), { maxLength: 20 })
    .map((entries) => entries.sort((left, right) => left.time - right.time)),
  events: fc.array(fc.record({ time: fc.integer({ min: now - 900, max: now - 1 }), from: fc.integer({ min: 0, max: 80 }), to: fc.integer({ min: 0, max: 80 }) }), { maxLength: 10 })
    .map((entries) => entries.sort((left, right) => left.time - right.time)),
});

describe('policy engine properties', () => {
  it('always decides within [min, max]', () => {
    fc.assert(fc.property(configArbitrary, signalsArbitrary, historyArbitrary, (config, signals, history) => {
      const { desired } = decide(config, signals, history).decision;
      expect(desired).to.be.within(config.safety.minReplicas, config.safety.maxReplicas);
      expect(Number.isInteger(desired)).to.be.true;
    }), { numRuns: 2000 });
  });

  it('never goes above the partition count unless idle consumers are allowed (or the minimum demands it)', () => {
    fc.assert(fc.property(configArbitrary, signalsArbitrary, historyArbitrary, (config, signals, history) => {
      const { desired } = decide(config, signals, history).decision;
      if (!config.safety.allowIdleConsumers) expect(desired).to.be.at.most(Math.max(signals.partitions, config.safety.minReplicas));
    }), { numRuns: 2000 });
  });

  it('never scales in on stale or partial data, except where the bounds or the partitions force it', () => {
    fc.assert(fc.property(configArbitrary, signalsArbitrary, historyArbitrary, (config, signals, history) => {
      const stale = signals.dataAgeSeconds > config.safety.maxDataAgeSeconds || signals.partialData || signals.consecutiveFailedCollections > 0;
      fc.pre(stale);
      const { desired } = decide(config, signals, history).decision;
      const partitionLimit = config.safety.allowIdleConsumers ? Infinity : signals.partitions;
      const highestAllowed = Math.max(config.safety.minReplicas, Math.min(config.safety.maxReplicas, partitionLimit));
      expect(desired).to.be.at.least(Math.min(signals.currentReplicas, highestAllowed));
    }), { numRuns: 2000 });
  });

  it('gives the same decision and history for the same inputs', () => {
    fc.assert(fc.property(configArbitrary, signalsArbitrary, historyArbitrary, (config, signals, history) => {
      const first = decide(config, signals, history);
      const second = decide(structuredClone(config), structuredClone(signals), structuredClone(history));
      expect(second).to.deep.equal(first);
    }), { numRuns: 500 });
  });

  it('explains every change of the count with a reason', () => {
    fc.assert(fc.property(configArbitrary, signalsArbitrary, historyArbitrary, (config, signals, history) => {
      const { decision } = decide(config, signals, history);
      expect(decision.reasons.length).to.be.greaterThan(0);
      const expectedAction = decision.desired > decision.current ? 'scaleUp' : decision.desired < decision.current ? 'scaleDown' : 'none';
      expect(decision.action).to.equal(expectedAction);
    }), { numRuns: 500 });
  });
});
