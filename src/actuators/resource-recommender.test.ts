import { expect } from 'chai';
import { formatQuantity, parseQuantity, percentile, recommend, type ResourcePolicy } from './resource-recommender.ts';

const mebibyte = 1024 * 1024;
const cpuPolicy: ResourcePolicy = { percentile: 0.9, margin: 0.15, min: 0.01, max: 4, limitRatio: 'keep' };
const memoryPolicy: ResourcePolicy = { percentile: 0.9, margin: 0.15, min: 32 * mebibyte, max: 8 * 1024 * mebibyte, limitRatio: 2 };

/** 1..n as usage: the p90 of 1..100 is 90. */
function ramp(n: number, scale = 1): number[] {
  return Array.from({ length: n }, (_, index) => (index + 1) * scale);
}

describe('resource recommender', function () {
  it('takes the nearest-rank percentile', function () {
    expect(percentile(ramp(100), 0.9)).to.equal(90);
    expect(percentile(ramp(10), 0.95)).to.equal(10);
    expect(percentile([5, 1, 3], 0.5)).to.equal(3);
    expect(percentile([7], 1)).to.equal(7);
    expect(() => percentile([], 0.9)).to.throw(/no samples/);
    expect(() => percentile([1], 0)).to.throw(/not in \(0, 1\]/);
  });

  it('asks for the percentile plus the margin, rounded up to whole millicores, keeping the limit ratio', function () {
    // p90 of 0.001..0.1 cores is 0.09; +15 % is 0.1035 -> 104m; limit keeps 2x.
    const result = recommend('cpu', { samples: ramp(100, 0.001), current: { request: 0.05, limit: 0.1 }, policy: cpuPolicy, minSamples: 10, minChange: 0.1 });
    expect(result).to.include({ outcome: 'change', request: 0.104, limit: 0.208 });
    expect(result.detail).to.equal('cpu: p90 90m +15% -> 104m');
  });

  it('sets the limit from limitRatio, and keeps no limit when none was set and the ratio is kept', function () {
    const memory = recommend('memory', { samples: ramp(100, 2 * mebibyte), current: {}, policy: memoryPolicy, minSamples: 10, minChange: 0.1 });
    // p90 = 180 MiB, +15 % = 207 MiB; limit 2x = 414 MiB.
    expect(memory).to.include({ outcome: 'change', request: 207 * mebibyte, limit: 414 * mebibyte });
    const cpu = recommend('cpu', { samples: ramp(100, 0.001), current: { request: 0.05 }, policy: cpuPolicy, minSamples: 10, minChange: 0.1 });
    expect(cpu).to.include({ outcome: 'change', request: 0.104 });
    expect(cpu.outcome === 'change' ? cpu.limit : 'not a change').to.equal(undefined);
  });

  it('reads a limit without a request as a request equal to the limit, as Kubernetes does', function () {
    // 104m wanted against a limit of 50m: request and limit both become 104m (ratio 1).
    const result = recommend('cpu', { samples: ramp(100, 0.001), current: { limit: 0.05 }, policy: cpuPolicy, minSamples: 10, minChange: 0.1 });
    expect(result).to.include({ outcome: 'change', request: 0.104, limit: 0.104 });
  });

  it('keeps the request within min and max', function () {
    const idle = recommend('cpu', { samples: new Array<number>(20).fill(0.0001), current: {}, policy: cpuPolicy, minSamples: 10, minChange: 0.1 });
    expect(idle).to.include({ outcome: 'change', request: 0.01 });
    const busy = recommend('cpu', { samples: new Array<number>(20).fill(7), current: { request: 1 }, policy: cpuPolicy, minSamples: 10, minChange: 0.1 });
    expect(busy).to.include({ outcome: 'change', request: 4 });
  });

  it('leaves a change smaller than minChange alone, and counts a new limit as a change', function () {
    // 104m against 100m in force is 4 %.
    const small = recommend('cpu', { samples: ramp(100, 0.001), current: { request: 0.1 }, policy: cpuPolicy, minSamples: 10, minChange: 0.1 });
    expect(small).to.include({ outcome: 'withinThreshold', request: 0.1 });
    expect(small.detail).to.equal('cpu: p90 90m +15% -> 104m, 4% from 100m (under 10%)');
    const newLimit = recommend('cpu', {
      samples: ramp(100, 0.001),
      current: { request: 0.1 },
      policy: { ...cpuPolicy, limitRatio: 2 },
      minSamples: 10,
      minChange: 0.1,
    });
    expect(newLimit).to.include({ outcome: 'change', request: 0.104, limit: 0.208 });
  });

  it('gives no recommendation from too few usable samples', function () {
    const result = recommend('memory', { samples: [1, Number.NaN, -1, 2], current: {}, policy: memoryPolicy, minSamples: 3, minChange: 0.1 });
    expect(result).to.deep.equal({ outcome: 'insufficientHistory', samples: 2, detail: 'memory: 2 usage samples, 3 needed' });
  });

  it('reads and writes Kubernetes quantities', function () {
    expect(parseQuantity('250m')).to.equal(0.25);
    expect(parseQuantity('2')).to.equal(2);
    expect(parseQuantity('1.5')).to.equal(1.5);
    expect(parseQuantity('512Mi')).to.equal(512 * mebibyte);
    expect(parseQuantity('1G')).to.equal(1e9);
    expect(parseQuantity('1e3')).to.equal(1000);
    expect(() => parseQuantity('lots')).to.throw(/"lots" is not a Kubernetes quantity/);
    expect(formatQuantity('cpu', 0.288)).to.equal('288m');
    expect(formatQuantity('cpu', 2)).to.equal('2');
    expect(formatQuantity('memory', 230 * mebibyte)).to.equal('230Mi');
    expect(formatQuantity('memory', 2 * 1024 * mebibyte)).to.equal('2Gi');
    expect(formatQuantity('memory', 1000)).to.equal('1000');
  });
});
