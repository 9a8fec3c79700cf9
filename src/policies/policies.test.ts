import { expect } from 'chai';
import { plannedArrivalRate } from './arrival-rate.ts';
import { combineRecommendations } from './combine.ts';
import { defaultEngineConfig } from './config.ts';
import { evaluateLagPolicy } from './lag.ts';
import { evaluatePredictionPolicy, holtForecast } from './prediction.ts';
import { evaluateResourcePolicy } from './resource.ts';
import { evaluateSchedulePolicy } from './schedule.ts';
import { testSignals } from './test-signals.ts';
import { backlogWhenReady, evaluateThroughputPolicy } from './throughput.ts';
import type { Recommendation } from './types.ts';

const configured = { perReplica: 1000, source: 'configured' as const };

describe('lag policy', () => {
  const config = { enabled: true, targetLagSeconds: 30, recoverySeconds: 60 };

  it('asks for the produce rate plus the excess over target drained within the recovery time', () => {
    // 90 s of lag over 270 000 messages: two thirds (180 000) are older than 30 s → 3000 msg/s extra.
    const result = evaluateLagPolicy(config, configured, testSignals({ lagSeconds: 90, backlogMessages: 270_000, produceRate: 3000 }));
    expect(result.replicas).to.equal(6);
    expect(result.reasons[0]?.code).to.equal('LagAboveTarget');
    expect(result.evidence).to.include({ excessMessages: 180_000, requiredRate: 6000 });
  });

  it('within target asks only for the produce rate', () => {
    const result = evaluateLagPolicy(config, configured, testSignals({ lagSeconds: 10, backlogMessages: 30_000, produceRate: 3500 }));
    expect(result.replicas).to.equal(4);
    expect(result.reasons[0]?.code).to.equal('LagWithinTarget');
  });

  it('abstains without lag data', () => {
    const result = evaluateLagPolicy(config, configured, testSignals({ lagSeconds: undefined }));
    expect(result.replicas).to.equal(null);
    expect(result.reasons[0]?.code).to.equal('NoLagData');
  });

  it('scales by the lag ratio when no capacity is known', () => {
    const result = evaluateLagPolicy(config, null, testSignals({ lagSeconds: 60, backlogMessages: 1000, currentReplicas: 3 }));
    expect(result.replicas).to.equal(6);
  });

  it('supports a target in messages per replica', () => {
    const result = evaluateLagPolicy({ enabled: true, targetMessagesPerReplica: 10_000, recoverySeconds: 60 }, configured, testSignals({ backlogMessages: 45_000 }));
    expect(result.replicas).to.equal(5);
  });
});

describe('throughput policy', () => {
  const config = defaultEngineConfig().throughput;
  const timings = { replicaStartupSeconds: 30, rebalancePauseSeconds: 10 };

  it('carries the produce rate and drains the backlog within drainSeconds', () => {
    // 5000 msg/s at utilization 1 is 5 replicas; 120 000 messages in 120 s is 1000 msg/s more.
    const result = evaluateThroughputPolicy(config, configured, testSignals({ produceRate: 5000, backlogMessages: 120_000, lagSeconds: 60, currentReplicas: 6, readyReplicas: 6 }), timings);
    expect(result.replicas).to.equal(6);
    expect(result.evidence).to.include({ carryReplicas: 5, drainReplicas: 1 });
    expect(result.evidence).to.not.have.property('backlogWhenReadyMessages');
  });

  it('sizes a scale-up for the backlog there will be when its replicas take load', () => {
    // 2 ready replicas fall 3000 msg/s short for 31 s, then the pause stops all for 10 s:
    // 120 000 + 93 000 + 50 000 = 263 000 messages to drain in 120 s, 2192 msg/s more.
    const signals = testSignals({ produceRate: 5000, backlogMessages: 120_000, lagSeconds: 60, currentReplicas: 2, readyReplicas: 2 });
    const result = evaluateThroughputPolicy(config, configured, signals, timings);
    expect(result.replicas).to.equal(8);
    expect(result.evidence).to.include({ backlogWhenReadyMessages: 263_000, drainRate: 2191.67, replicaStartupSeconds: 30, rebalancePauseSeconds: 10 });
    // A slower start and a longer pause leave more to drain: 120 000 + 183 000 + 150 000.
    const slow = evaluateThroughputPolicy(config, configured, signals, { replicaStartupSeconds: 60, rebalancePauseSeconds: 30 });
    expect(slow.replicas).to.equal(9);
    expect(slow.evidence).to.include({ backlogWhenReadyMessages: 453_000 });
  });

  it('projects the backlog from what the ready replicas do meanwhile', () => {
    // Headroom drains during the startup, never below empty; the pause adds what arrives in it.
    expect(backlogWhenReady(10_000, 3000, 4000, timings)).to.equal(0 + 3000 * 10);
    expect(backlogWhenReady(50_000, 3000, 4000, timings)).to.equal(50_000 - 1000 * 31 + 3000 * 10);
    expect(backlogWhenReady(0, 3000, 1000, { replicaStartupSeconds: 0, rebalancePauseSeconds: 0 })).to.equal(2000);
  });

  it('sees a burst that began inside the interval at its full height through the backlog', () => {
    // The interval average says 7700 msg/s; the 80 000 messages of the last 5 s say 16 000.
    // 3 ready replicas fall 13 000 msg/s short for 31 s and the pause adds 160 000:
    // 643 000 messages to drain, 5358 msg/s more than the 16 000 to carry.
    const signals = testSignals({ produceRate: 7700, backlogMessages: 80_000, lagSeconds: 5, currentReplicas: 3, readyReplicas: 3 });
    expect(plannedArrivalRate(signals)?.rate).to.equal(16_000);
    expect(evaluateThroughputPolicy(config, configured, signals, timings).replicas).to.equal(22);
  });

  it('scales in only to a count that would run at or below the scale-in utilization', () => {
    // 3500 msg/s: 4 replicas would run at 0.875, above 0.85, so it asks for 5…
    expect(evaluateThroughputPolicy(config, configured, testSignals({ produceRate: 3500, currentReplicas: 8 }), timings).replicas).to.equal(5);
    // …and at 3000 msg/s, 4 replicas would run at 0.75: scale in to 4.
    expect(evaluateThroughputPolicy(config, configured, testSignals({ produceRate: 3000, currentReplicas: 8 }), timings).replicas).to.equal(4);
  });

  it('abstains without a capacity figure', () => {
    expect(evaluateThroughputPolicy(config, null, testSignals(), timings).replicas).to.equal(null);
  });
});

describe('CPU and memory policies', () => {
  const config = { enabled: true, targetUtilization: 0.7, tolerance: 0.1 };

  it('applies the HPA formula', () => {
    expect(evaluateResourcePolicy('cpu', config, testSignals({ cpuUtilization: 0.91, readyReplicas: 4 })).replicas).to.equal(6);
    expect(evaluateResourcePolicy('memory', config, testSignals({ memoryUtilization: 0.35, readyReplicas: 4 })).replicas).to.equal(2);
  });

  it('keeps the count within the tolerance', () => {
    const result = evaluateResourcePolicy('cpu', config, testSignals({ cpuUtilization: 0.75, currentReplicas: 4 }));
    expect(result.replicas).to.equal(4);
    expect(result.reasons[0]?.code).to.equal('UtilizationWithinTolerance');
  });

  it('abstains without utilization data', () => {
    expect(evaluateResourcePolicy('cpu', config, testSignals()).replicas).to.equal(null);
  });
});

describe('prediction policy', () => {
  const config = defaultEngineConfig().prediction;
  const ramp = [0, 15, 30, 45, 60].map((time) => ({ time, rate: 2000 + 20 * time }));

  it("follows a linear ramp with Holt's method", () => {
    const forecast = holtForecast(ramp, 0.5, 0.3, 40);
    expect(forecast?.trendPerSecond).to.be.closeTo(20, 1e-9);
    expect(forecast?.forecast).to.be.closeTo(2000 + 20 * 100, 1e-6);
  });

  it('asks for the capacity the forecast rate needs by the time a replica takes load', () => {
    // Unconfigured, the horizon is the lead time of a scale-up (startup + 1 s + pause).
    const result = evaluatePredictionPolicy(config, configured, 1, ramp, undefined, 40);
    expect(result.replicas).to.equal(4);
    expect(result.reasons[0]?.code).to.equal('RateRising');
    expect(result.evidence).to.include({ horizonSeconds: 40, forecastRate: 4000 });
    // A slower start looks further ahead: 2000 + 20 × (60 + 91) msg/s.
    expect(evaluatePredictionPolicy(config, configured, 1, ramp, undefined, 91).evidence).to.include({ horizonSeconds: 91, forecastRate: 5020 });
  });

  it('forecasts over a configured horizon instead of the lead time', () => {
    const result = evaluatePredictionPolicy({ ...config, horizonSeconds: 140 }, configured, 1, ramp, undefined, 40);
    expect(result.evidence).to.include({ horizonSeconds: 140, forecastRate: 6000 });
    expect(result.replicas).to.equal(6);
  });

  it('abstains on a single jump, a falling rate or too little history', () => {
    const jump = [0, 15, 30, 45].map((time) => ({ time, rate: time < 45 ? 2000 : 9000 })).concat([{ time: 60, rate: 8800 }]);
    expect(evaluatePredictionPolicy(config, configured, 1, jump, undefined, 41).reasons[0]?.code).to.equal('RiseNotSustained');
    const falling = ramp.map((sample) => ({ time: sample.time, rate: 5000 - 20 * sample.time }));
    expect(evaluatePredictionPolicy(config, configured, 1, falling, undefined, 41).replicas).to.equal(null);
    expect(evaluatePredictionPolicy(config, configured, 1, ramp.slice(0, 2), undefined, 41).reasons[0]?.code).to.equal('NotEnoughHistory');
  });
});

describe('schedule policy', () => {
  // Monday 2026-11-23 10:30 UTC.
  const mondayMorning = Date.UTC(2026, 10, 23, 10, 30) / 1000;
  const config = { enabled: true, windows: [{ cron: '0 9 * * mon-fri', durationSeconds: 8 * 3600, minReplicas: 6, maxReplicas: 30 }] };

  it('raises min and max inside a window', () => {
    const result = evaluateSchedulePolicy(config, testSignals({ time: mondayMorning }));
    expect(result).to.include({ replicas: 6, minReplicas: 6, maxReplicas: 30 });
    expect(result.reasons[0]?.code).to.equal('ScheduleWindowActive');
  });

  it('abstains outside its windows', () => {
    const saturday = mondayMorning - 2 * 86400;
    expect(evaluateSchedulePolicy(config, testSignals({ time: saturday })).replicas).to.equal(null);
    expect(evaluateSchedulePolicy(config, testSignals({ time: mondayMorning + 8 * 3600 })).replicas).to.equal(null);
  });
});

describe('combine', () => {
  const vote = (policy: string, replicas: number | null, dataComplete = true): Recommendation => ({ policy, replicas, dataComplete, reasons: [], evidence: {} });

  it('lets the highest recommendation win', () => {
    const combined = combineRecommendations([vote('lag', 3), vote('throughput', 7), vote('cpu', 5)], 4);
    expect(combined).to.include({ replicas: 7, winner: 'throughput' });
    expect(combined.reasons[0]?.code).to.equal('HighestRecommendation');
  });

  it('does not let a policy on incomplete data vote for scale-in', () => {
    expect(combineRecommendations([vote('lag', 2), vote('throughput', 1, false)], 5).replicas).to.equal(5);
    expect(combineRecommendations([vote('lag', 2), vote('throughput', 8, false)], 5).replicas).to.equal(8);
  });

  it('keeps the current count when no policy has data', () => {
    const combined = combineRecommendations([vote('lag', null), vote('cpu', null)], 5);
    expect(combined).to.include({ replicas: 5, winner: null });
    expect(combined.reasons[0]?.code).to.equal('NoPolicyData');
  });
});
