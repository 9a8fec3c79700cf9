import { expect } from 'chai';
import { defaultScenario } from './model.ts';
import { downsample, renderRunsSvg, timeTicks } from './plot.ts';
import { runKeda, runLagpilot } from './runs.ts';
import { parseTrace } from './trace.ts';

describe('SVG plot', () => {
  const rows = ['t,rate', ...Array.from({ length: 90 }, (_, index) => `${index * 10},${index % 30 < 15 ? 1500 : 7000}`)].join('\n');
  const trace = parseTrace('wave & <test>', rows);
  const scenario = { ...defaultScenario };

  it('draws each run in its own column with three rows, a legend and the SLO line', () => {
    const svg = renderRunsSvg(`${trace.name}: comparison`, [runLagpilot(trace, scenario), runKeda(trace, scenario, 10_000)], scenario);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.be.true;
    expect(svg.trimEnd().endsWith('</svg>')).to.be.true;
    // Two columns × (rate + desired + ready + lag) lines.
    expect(svg.match(/<polyline /g)).to.have.length(8);
    expect(svg).to.include('lagpilot').and.to.include('keda lagThreshold=10000').and.to.include('SLO 60 s');
    expect(svg).to.include('wave &amp; &lt;test&gt;');
    expect(svg).to.not.include('NaN');
  });

  it('keeps every change of a step series and the peaks of the others', () => {
    expect(downsample([1, 1, 3, 3, 2], 10, true)).to.deep.equal([[0, 1], [2, 1], [2, 3], [4, 3], [4, 2], [5, 2]]);
    const spiky = Array.from({ length: 1000 }, (_, second) => (second === 501 ? 99 : 1));
    const points = downsample(spiky, 100, false);
    expect(points).to.have.length(100);
    expect(Math.max(...points.map(([, value]) => value))).to.equal(99);
  });

  it('puts time ticks on whole minutes or hours', () => {
    expect(timeTicks(3600)).to.deep.equal([0, 600, 1200, 1800, 2400, 3000, 3600]);
    expect(timeTicks(21600)).to.deep.equal([0, 3600, 7200, 10800, 14400, 18000, 21600]);
  });
});
