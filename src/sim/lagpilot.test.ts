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
    // One second into the step the backlog shows 7000 msg/s arriving; the scale-up is sized for
    // the backlog there will be once its replicas are in (31 s short of 5000 msg/s, then the
    // 10 s pause): 9 consumers, and on 24 partitions 9 to 11 drain no faster than 8, so 12.
    // That one step carries the 9000 msg/s too: no second scale-up, no second pause.
    const scaleUps = autoscaler.decisions.filter((decision) => decision.action === 'scaleUp');
    expect(scaleUps.map((decision) => [decision.time, decision.desired])).to.deep.equal([[600, 12]]);
    const scaleUp = scaleUps[0];
    expect(scaleUp?.reasons.find((reason) => reason.source === 'throughput')?.evidence).to.include({ backlogWhenReadyMessages: 232_000 });
    const sources = scaleUp?.reasons.map((reason) => reason.source) ?? [];
    expect(sources).to.include.members(['lag', 'throughput', 'combine', 'partitionCap']);
    expect(scaleUp?.reasons.find((reason) => reason.source === 'combine')?.code).to.equal('HighestRecommendation');
    expect(scaleUp?.reasons.find((reason) => reason.source === 'partitionCap')).to.deep.include({ code: 'EvenDistribution' });
    // Once the backlog is drained, 12 carry the load and the count settles there.
    expect(autoscaler.decisions.at(-1)?.desired).to.equal(12);
  });
});
