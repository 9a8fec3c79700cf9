import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../test/env/paths.ts';
import { createKedaAutoscaler, kedaThresholdGrid } from './keda.ts';
import { defaultScenario, simulate } from './model.ts';
import type { SimulationResult } from './model.ts';
import { loadTrace } from './trace.ts';

const tracesDirectory = join(repoRoot, '..', 'shared', 'traces');

interface ExpectedKeda {
  scenario: typeof defaultScenario;
  results: Record<string, Record<string, Partial<SimulationResult>>>;
}

function readExpected(): ExpectedKeda {
  const path = join(tracesDirectory, 'expected-keda.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ExpectedKeda;
  } catch (error) {
    throw new Error(`cannot read the reference results ${path} (shared/ must sit beside the repository): ${String(error)}`);
  }
}

describe('keda baseline against the reference implementation', () => {
  const expected = readExpected();

  it('uses the default scenario of the reference', () => {
    expect(expected.scenario).to.deep.equal(defaultScenario);
  });

  it('covers every public trace on the whole threshold grid', () => {
    expect(Object.keys(expected.results)).to.have.length.greaterThanOrEqual(4);
    for (const byThreshold of Object.values(expected.results)) {
      expect(Object.keys(byThreshold).map(Number)).to.deep.equal([...kedaThresholdGrid]);
    }
  });

  for (const [traceFile, byThreshold] of Object.entries(expected.results)) {
    it(`reproduces every reference number on ${traceFile}`, () => {
      const trace = loadTrace(join(tracesDirectory, traceFile));
      for (const [threshold, reference] of Object.entries(byThreshold)) {
        const scenario = { ...defaultScenario };
        const { result } = simulate(trace, scenario, createKedaAutoscaler(scenario, Number(threshold)));
        const comparable = Object.fromEntries(Object.keys(reference).map((field) => [field, result[field as keyof SimulationResult]]));
        expect(comparable, `${traceFile} lagThreshold=${threshold}`).to.deep.equal(reference);
        expect(result.efficiency).to.be.closeTo(result.lowerBoundReplicaSeconds / result.replicaSeconds, 1e-4);
      }
    });
  }
});
