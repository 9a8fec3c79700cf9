import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTargetSettings, resultFields, runSimulate } from './simulate-command.ts';

describe('lagpilot simulate', () => {
  const directory = mkdtempSync(join(tmpdir(), 'lagpilot-simulate-'));
  const tracePath = join(directory, 'step.csv');
  writeFileSync(tracePath, ['t,rate', ...Array.from({ length: 60 }, (_, index) => `${index * 10},${index < 30 ? 2000 : 8000}`)].join('\n'));

  function run(options: Record<string, string | boolean>): string {
    let output = '';
    runSimulate({ trace: tracePath, policy: 'lagpilot', ...options }, (text) => { output += text; });
    return output;
  }

  it('prints one JSON object per run with exactly the model output fields', () => {
    const lines = run({ json: true }).trim().split('\n');
    expect(lines).to.have.length(1);
    expect(Object.keys(JSON.parse(lines[0] ?? '{}') as object)).to.deep.equal([...resultFields]);
  });

  it('runs the keda frontier over the threshold grid', () => {
    const lines = run({ frontier: true, json: true }).trim().split('\n');
    expect(lines).to.have.length(7);
  });

  it('takes the scenario from the flags', () => {
    const relaxed = JSON.parse(run({ json: true, slo: '1000' })) as { sloViolationSeconds: number; maxLagSeconds: number };
    const strict = JSON.parse(run({ json: true, slo: '1' })) as { sloViolationSeconds: number };
    expect(relaxed.sloViolationSeconds).to.equal(0);
    expect(strict.sloViolationSeconds).to.be.greaterThan(0);
    const oneReplica = JSON.parse(run({ json: true, max: '1', min: '1', initial: '1' })) as { replicaSeconds: number; scaleEvents: number };
    expect(oneReplica).to.include({ replicaSeconds: 600, scaleEvents: 0 });
  });

  it('writes the plot', () => {
    const plotPath = join(directory, 'plot.svg');
    run({ plot: plotPath, lagThreshold: '1000' });
    expect(readFileSync(plotPath, 'utf8')).to.include('keda lagThreshold=1000');
  });

  it('names what is wrong', () => {
    expect(() => { run({ policy: 'keda' }); }).to.throw(/--policy keda needs --lag-threshold/);
    expect(() => { run({ policy: 'hpa' }); }).to.throw(/--policy must be lagpilot or keda/);
    expect(() => { run({ partitions: 'many' }); }).to.throw(/--partitions must be a number/);
    expect(() => { run({ min: '5', max: '2' }); }).to.throw(/minReplicas \(5\) must not exceed/);
    expect(() => { runSimulate({ trace: join(directory, 'missing.csv'), policy: 'lagpilot' }, () => undefined); }).to.throw(/cannot read trace/);
  });

  describe('with a target of a daemon config', () => {
    const configPath = join(directory, 'lagpilot.yaml');
    writeFileSync(configPath, [
      'clusters:',
      '  - name: local',
      '    bootstrap: ["127.0.0.1:9092"]',
      'targets:',
      '  - name: orders',
      '    cluster: local',
      '    consumerGroup: orders-consumers',
      '    topics: [orders]',
      '    interval: 10s',
      '    tickTimeout: 5s',
      '    replicas: {min: 2, max: 6}',
      '    lag: {targetSeconds: 20}',
      '    actuator: {kind: dryRun}',
    ].join('\n'));

    it("takes the target's bounds, interval and lag target", async () => {
      const target = await loadTargetSettings(configPath, 'orders');
      expect(target).to.include({ name: 'orders', minReplicas: 2, maxReplicas: 6, intervalSeconds: 10 });
      expect(target.engine.lag.targetLagSeconds).to.equal(20);
      let output = '';
      runSimulate({ trace: tracePath, policy: 'lagpilot', json: true }, (text) => { output += text; }, target);
      // 8000 msg/s on at most 6 replicas: the target's maximum holds, and lag grows.
      const result = JSON.parse(output) as { sloViolationSeconds: number; replicaSeconds: number };
      expect(result.sloViolationSeconds).to.be.greaterThan(0);
      expect(result.replicaSeconds).to.be.at.most(6 * 600);
    });

    it('names a missing or unknown target', async () => {
      let failure: unknown;
      try {
        await loadTargetSettings(configPath, 'payments');
      } catch (error) {
        failure = error;
      }
      expect(String(failure)).to.match(/has no target "payments" \(it has: orders\)/);
    });
  });
});
