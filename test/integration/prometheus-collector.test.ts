// The PromQL collector against a real Prometheus: what it knows about itself, a query it
// refuses, and an address where nothing listens.
import { expect } from 'chai';
import { PrometheusCollector } from '../../src/collectors/prometheus.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { ensureService } from '../env/environment.ts';
import { freeLoopbackPort } from '../env/ports.ts';
import type { PrometheusDetails } from '../env/services/prometheus.ts';

const logger = createLogger({ level: 'error' });

describe('PromQL collector against Prometheus', function () {
  let prometheus: PrometheusDetails;

  before(async function () {
    prometheus = await ensureService<PrometheusDetails>('prometheus');
  });

  function context() {
    return { nowMs: Date.now(), signal: AbortSignal.timeout(10_000) };
  }

  // This Prometheus scrapes only the lagpilot job, so its series come and go with test runs;
  // expressions built from vector() give known series and values without depending on them.
  it('maps an instant vector and a scalar to samples with labels and timestamps', async () => {
    const collector = new PrometheusCollector({ url: prometheus.url, timeout: 5000, headers: {} }, logger);
    const before = Date.now();
    const result = await collector.collect(
      {
        name: 'self',
        queries: [
          {
            name: 'pod_cpu',
            query: 'label_replace(vector(0.25), "pod", "consumer-0", "", "") or label_replace(vector(0.75), "pod", "consumer-1", "", "")',
            unit: 'cores',
            required: true,
          },
          { name: 'two', query: 'scalar(vector(2))', unit: 'count', required: true },
        ],
      },
      context(),
    );
    expect(result.errors).to.deep.equal([]);
    const cpu = result.samples.filter((sample) => sample.name === 'pod_cpu').sort((a, b) => a.value - b.value);
    expect(cpu.map((sample) => [sample.labels.pod, sample.value, sample.unit])).to.deep.equal([
      ['consumer-0', 0.25, 'cores'],
      ['consumer-1', 0.75, 'cores'],
    ]);
    expect(cpu[0]?.labels).to.include({ target: 'self', query: 'pod_cpu' });
    expect(Math.abs((cpu[0]?.timestampMs ?? 0) - before)).to.be.below(5000);
    expect(result.samples.find((sample) => sample.name === 'two')?.value).to.equal(2);
  });

  it('reports a required query that matches no series as missing data', async () => {
    const collector = new PrometheusCollector({ url: prometheus.url, timeout: 5000, headers: {} }, logger);
    const result = await collector.collect(
      { name: 'self', queries: [{ name: 'absent', query: 'lagpilot_no_such_metric_anywhere', unit: 'count', required: true }] },
      context(),
    );
    expect(result.partial).to.be.true;
    expect(result.errors.map((error) => [error.code, error.labels?.query])).to.deep.equal([['PARTIAL', 'absent']]);
  });

  it('gives QUERY_FAILED naming a query with a syntax error, and still answers the good one', async () => {
    const collector = new PrometheusCollector({ url: prometheus.url, timeout: 5000, headers: {} }, logger);
    const result = await collector.collect(
      {
        name: 'self',
        queries: [
          { name: 'broken', query: 'sum(rate(up[1m]', unit: 'ratio', required: true },
          { name: 'up', query: 'up', unit: 'count', required: false },
        ],
      },
      context(),
    );
    expect(result.partial).to.be.true;
    expect(result.errors).to.have.length(1);
    expect(result.errors[0]?.code).to.equal('QUERY_FAILED');
    expect(result.errors[0]?.message).to.contain('"broken"').and.contain('sum(rate(up[1m]').and.contain('bad_data');
  });

  it('gives UNREACHABLE naming the address when nothing listens there', async () => {
    const port = await freeLoopbackPort();
    const collector = new PrometheusCollector({ url: `http://127.0.0.1:${port}`, timeout: 2000, headers: {} }, logger);
    const result = await collector.collect({ name: 'self', queries: [{ name: 'up', query: 'up', unit: 'count', required: true }] }, context());
    expect(result.samples).to.deep.equal([]);
    expect(result.errors.map((error) => error.code)).to.deep.equal(['UNREACHABLE']);
    expect(result.errors[0]?.message).to.contain(`127.0.0.1:${port}`).and.contain('ECONNREFUSED');
  });
});
