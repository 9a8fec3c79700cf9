import { expect } from 'chai';
import { join } from 'node:path';
import { repoRoot } from '../../test/env/paths.ts';
import { createLagpilotAutoscaler, engineConfigForScenario } from './lagpilot.ts';
import { defaultScenario, simulate } from './model.ts';
import { parseTrace, loadTrace } from './trace.ts';

const tracesDirectory = join(repoRoot, '..', 'shared', 'traces');

describe('lagpilot in the scaling model', () => {
  it('keeps lag within the SLO on every public trace with the default configuration', () => {
    for (const file of ['bursty.csv', 'diurnal.csv', 'spikes.csv', 'step.csv']) {
      const scenario = { ...defaultScenario };
      const { result } = simulate(loadTrace(join(tracesDirectory, file)), scenario, createLagpilotAutoscaler(engineConfigForScenario(scenario)));
      expect(result.sloViolationSeconds, file).to.equal(0);
      expect(result.efficiency, file).to.be.greaterThan(0.5);
    }
  });

  it('explains each decision: policy reasons, the combination, and each stage that changed the count', () => {
    // Ten minutes at 2000 msg/s, then ten at 9000.
    const rows = ['t,rate', ...Array.from({ length: 120 }, (_, index) => `${index * 10},${index < 60 ? 2000 : 9000}`)].join('\n');
    const scenario = { ...defaultScenario };
    const autoscaler = createLagpilotAutoscaler(engineConfigForScenario(scenario), { keepDecisions: true });
    const { result } = simulate(parseTrace('step', rows), scenario, autoscaler);
    expect(result.sloViolationSeconds).to.equal(0);
    // The interval after the step shows 9000 msg/s in full: 9000 on 24 partitions needs 12
    // consumers (9 to 11 drain no faster than 8).
    const scaleUp = autoscaler.decisions.find((decision) => decision.time === 615);
    expect(scaleUp?.action).to.equal('scaleUp');
    expect(scaleUp?.desired).to.equal(12);
    const sources = scaleUp?.reasons.map((reason) => reason.source) ?? [];
    expect(sources).to.include.members(['lag', 'throughput', 'combine', 'partitionCap']);
    expect(scaleUp?.reasons.find((reason) => reason.source === 'combine')?.code).to.equal('HighestRecommendation');
    expect(scaleUp?.reasons.find((reason) => reason.source === 'partitionCap')).to.deep.include({ code: 'EvenDistribution' });
    // Once the backlog is drained, 12 carry the load and the count settles there.
    expect(autoscaler.decisions.at(-1)?.desired).to.equal(12);
  });
});
