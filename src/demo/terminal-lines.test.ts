import { expect } from 'chai';
import type { Decision, Recommendation } from '../policies/types.ts';
import { reason } from '../policies/types.ts';
import { formatDecision, formatProgress, isNewsworthy, readableReasons } from './terminal-lines.ts';

const startedAtMillis = 1_800_000_000_000;

function recommendation(policy: string, replicas: number | null): Recommendation {
  return { policy, replicas, dataComplete: replicas !== null, reasons: [], evidence: {} };
}

function decision(overrides: Partial<Decision> = {}): Decision {
  return {
    time: startedAtMillis / 1000 + 12.34,
    current: 2,
    desired: 6,
    action: 'scaleUp',
    reasons: [
      reason('capacity', 'CapacityConfigured', '50 msg/s per replica as configured'),
      reason('lag', 'LagAboveTarget', 'lag 12 s (target 5 s): 280 msg/s needed, 6 replicas at 50 msg/s'),
      reason('cpu', 'NoUtilizationData', 'no cpu utilization measured'),
      reason('combine', 'HighestRecommendation', 'lag asks for the most: 6'),
    ],
    recommendations: [recommendation('lag', 6), recommendation('cpu', null)],
    actuation: { status: 'applied', code: 'Scaled', detail: 'started 4 workers of demo (pids 11, 12, 13, 14): 2 -> 6' },
    ...overrides,
  };
}

describe('demo terminal lines', () => {
  it('shows a decision with what applying it did, then its reasons without the abstentions', () => {
    const lines = formatDecision(decision(), startedAtMillis, 754);
    expect(lines[0]).to.equal('+ 12.3 s  trace 12:34  decision: SCALE UP 2 -> 6 workers [applied: started 4 workers of demo (pids 11, 12, 13, 14): 2 -> 6]');
    expect(lines.slice(1).map((line) => line.trim())).to.deep.equal([
      'CapacityConfigured: 50 msg/s per replica as configured',
      'LagAboveTarget: lag 12 s (target 5 s): 280 msg/s needed, 6 replicas at 50 msg/s',
      'HighestRecommendation: lag asks for the most: 6',
    ]);
    expect(readableReasons(decision()).map((entry) => entry.code)).to.not.include('NoUtilizationData');
  });

  it('shows every change, and a kept count only when a safety stage held a change back', () => {
    const withinTarget = decision({ action: 'none', desired: 2, reasons: [reason('lag', 'LagWithinTarget', 'lag 1 s')], actuation: undefined });
    const cooldown = decision({ action: 'none', desired: 2, reasons: [reason('lag', 'LagWithinTarget', 'lag 1 s'), reason('cooldown', 'ScaleDownCooldown', 'held')], actuation: undefined });
    expect(isNewsworthy(decision(), undefined)).to.equal(true);
    expect(isNewsworthy(decision({ action: 'scaleDown', desired: 1 }), decision())).to.equal(true);
    expect(isNewsworthy(withinTarget, undefined)).to.equal(false);
    expect(isNewsworthy(cooldown, decision())).to.equal(true);
    expect(isNewsworthy(cooldown, cooldown), 'the same hold twice in a row').to.equal(false);
    const cooldownAgain = decision({ ...cooldown, reasons: [reason('lag', 'LagAboveTarget', 'lag 6 s'), reason('cooldown', 'ScaleDownCooldown', 'held')] });
    expect(isNewsworthy(cooldownAgain, cooldown), 'the same hold for other policy reasons').to.equal(false);
    const capped = decision({ ...cooldown, reasons: [reason('bounds', 'AboveMaximum', 'lowered to the maximum 12')] });
    expect(isNewsworthy(capped, cooldown), 'another hold').to.equal(true);
    expect(formatDecision(cooldown, startedAtMillis)[0]).to.equal('+ 12.3 s  decision: keep 2 workers');
  });

  it('shows progress with what lagpilot has not measured yet as a dash', () => {
    const line = formatProgress({ elapsedSeconds: 21.04, traceSecond: 754, traceSeconds: 3600, round: 1, produceRate: 400, traceRate: 8000, neededWorkers: 8, currentWorkers: 6, desiredWorkers: 8, lagMessages: 1520, lagSeconds: 4.26 });
    expect(line).to.equal('+ 21.0 s  trace 12:34/1:00:00 (round 2) | produce 400 msg/s (trace 8000) | lag 1520 msgs, 4.3 s | workers 6 -> 8 (load needs 8.0)');
    const early = formatProgress({ elapsedSeconds: 3, traceSecond: 0, traceSeconds: 3600, round: 0, produceRate: 100, traceRate: 2000, neededWorkers: 2 });
    expect(early).to.equal('+  3.0 s  trace 00:00/1:00:00 | produce 100 msg/s (trace 2000) | lag - msgs, - s | workers - (load needs 2.0)');
  });
});
