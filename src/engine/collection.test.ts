import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { CollectionResult, Sample } from '../collectors/collector.ts';
import { CollectionRunner, LastCollections, type CollectionPlan, type ReadStep } from './collection.ts';

const nowMs = Date.UTC(2026, 10, 23, 12, 0, 0);

function sample(name: string, value: number, source: string): Sample {
  return { name, value, unit: 'count', labels: {}, timestampMs: nowMs, source };
}

function reader(source: string, collect: ReadStep['collect']): ReadStep {
  return { source, collect };
}

const ok = (source: string, value: number): ReadStep => reader(source, () => Promise.resolve({ samples: [sample(`${source}_value`, value, source)], errors: [], partial: false }));

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { labels: Record<string, string | number>; value: number; metricName?: string }[];
  return values.find((v) => (v.metricName === undefined || v.metricName === name || v.metricName === `${name}_count`) && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('CollectionRunner', () => {
  let registry: Registry;

  beforeEach(() => {
    registry = new Registry();
  });

  function runner(stepTimeoutMillis = 1000): CollectionRunner {
    return new CollectionRunner({ registry, stepTimeoutMillis, now: () => nowMs });
  }

  it('runs readers, then derivations over what they read, and records every duration', async () => {
    const plan: CollectionPlan = {
      target: 't',
      readers: [ok('a', 1), ok('b', 2)],
      derivations: [
        { source: 'sum', derive: (samples) => Promise.resolve({ samples: [sample('sum', samples.reduce((s, x) => s + x.value, 0), 'sum')], errors: [], partial: false }) },
      ],
    };
    const result = await runner().run(plan, new AbortController().signal);
    expect(result.samples.map((s) => [s.name, s.value])).to.deep.equal([['a_value', 1], ['b_value', 2], ['sum', 3]]);
    expect(result.errors).to.deep.equal([]);
    expect(result.partial).to.be.false;
    expect(result.collectedAtMs).to.equal(nowMs);
    for (const collector of ['a', 'b', 'sum']) {
      expect(await metricValue(registry, 'lagpilot_collector_duration_seconds', { collector }), collector).to.equal(1);
    }
  });

  it('turns a rejecting collector into an INTERNAL error value and a metric, and keeps the others', async () => {
    const plan: CollectionPlan = { target: 't', readers: [reader('broken', () => Promise.reject(new Error('socket exploded'))), ok('fine', 5)], derivations: [] };
    const result = await runner().run(plan, new AbortController().signal);
    expect(result.samples.map((s) => s.name)).to.deep.equal(['fine_value']);
    expect(result.partial).to.be.true;
    expect(result.errors).to.deep.equal([{ code: 'INTERNAL', source: 'broken', message: 'collector broken threw: socket exploded' }]);
    expect(await metricValue(registry, 'lagpilot_collector_errors_total', { collector: 'broken', code: 'INTERNAL' })).to.equal(1);
  });

  it('turns a collector that throws synchronously into an error value', async () => {
    const plan: CollectionPlan = { target: 't', readers: [reader('sync', () => { throw new Error('bad config'); })], derivations: [] };
    const result = await runner().run(plan, new AbortController().signal);
    expect(result.errors[0]?.message).to.equal('collector sync threw: bad config');
  });

  it('abandons a collector that hangs past the time limit, aborts its signal, and goes on', async () => {
    let stepSignal: AbortSignal | undefined;
    const hanging = reader('hangs', (context) => {
      stepSignal = context.signal;
      return new Promise<CollectionResult>(() => undefined);
    });
    const started = Date.now();
    const result = await runner(150).run({ target: 't', readers: [hanging, ok('fine', 1)], derivations: [] }, new AbortController().signal);
    expect(Date.now() - started).to.be.within(100, 1000);
    expect(result.samples.map((s) => s.name)).to.deep.equal(['fine_value']);
    expect(result.errors.map((e) => [e.code, e.source])).to.deep.equal([['TIMEOUT', 'hangs']]);
    expect(result.errors[0]?.message).to.contain('150 ms');
    expect(stepSignal?.aborted).to.be.true;
    expect(await metricValue(registry, 'lagpilot_collector_errors_total', { collector: 'hangs', code: 'TIMEOUT' })).to.equal(1);
    expect(await metricValue(registry, 'lagpilot_collector_duration_seconds', { collector: 'hangs' })).to.equal(1);
  });

  it('gives up at once when the tick is aborted, passing the abort to the collectors', async () => {
    const tick = new AbortController();
    let stepSignal: AbortSignal | undefined;
    const hanging = reader('hangs', (context) => {
      stepSignal = context.signal;
      return new Promise<CollectionResult>(() => undefined);
    });
    setTimeout(() => { tick.abort(new Error('tick timeout of 10s passed')); }, 50);
    const started = Date.now();
    const result = await runner(10_000).run({ target: 't', readers: [hanging], derivations: [] }, tick.signal);
    expect(Date.now() - started).to.be.below(1000);
    expect(result.errors[0]?.code).to.equal('TIMEOUT');
    expect(result.errors[0]?.message).to.contain('tick timeout of 10s passed');
    expect(stepSignal?.aborted).to.be.true;
  });

  it('counts each error a collector reports by its code', async () => {
    const partialReader = reader('prom', () =>
      Promise.resolve({
        samples: [],
        errors: [
          { code: 'QUERY_FAILED', source: 'prom', message: 'a' },
          { code: 'QUERY_FAILED', source: 'prom', message: 'b' },
          { code: 'UNREACHABLE', source: 'prom', message: 'c' },
        ],
        partial: true,
      }),
    );
    await runner().run({ target: 't', readers: [partialReader], derivations: [] }, new AbortController().signal);
    expect(await metricValue(registry, 'lagpilot_collector_errors_total', { collector: 'prom', code: 'QUERY_FAILED' })).to.equal(2);
    expect(await metricValue(registry, 'lagpilot_collector_errors_total', { collector: 'prom', code: 'UNREACHABLE' })).to.equal(1);
  });

  it('refuses a result that is not a collection result', async () => {
    const odd = reader('odd', () => Promise.resolve(undefined as unknown as CollectionResult));
    const result = await runner().run({ target: 't', readers: [odd], derivations: [] }, new AbortController().signal);
    expect(result.errors[0]?.code).to.equal('INTERNAL');
  });
});

describe('LastCollections', () => {
  it('keeps the newest collection per target and forgets removed targets', () => {
    const last = new LastCollections();
    const collection = (target: string, collectedAtMs: number) => ({ target, samples: [], errors: [], partial: false, collectedAtMs, durationSeconds: 0 });
    last.record(collection('a', 1));
    last.record(collection('a', 2));
    last.record(collection('b', 1));
    expect(last.get('a')?.collectedAtMs).to.equal(2);
    last.retain(new Set(['a']));
    expect(last.all().map((c) => c.target)).to.deep.equal(['a']);
  });

  it('keeps only the samples it is told to, leaving the recorded collection as it was', () => {
    const last = new LastCollections((name) => !name.startsWith('partition_'));
    const sample = (name: string) => ({ name, value: 1, unit: 'count' as const, labels: {}, timestampMs: 1, source: 'test' });
    const recorded = { target: 'a', samples: [sample('consumergroup_lag_messages'), sample('partition_log_end_offset')], errors: [], partial: false, collectedAtMs: 1, durationSeconds: 0 };
    last.record(recorded);
    expect(last.get('a')?.samples.map((kept) => kept.name)).to.deep.equal(['consumergroup_lag_messages']);
    expect(recorded.samples, 'the evaluation still sees every sample').to.have.length(2);
  });
});
