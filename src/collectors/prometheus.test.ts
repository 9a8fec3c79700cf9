import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createLogger } from '../logging/logger.ts';
import { PrometheusCollector, parsePrometheusValue, prometheusCollectorSchema, type PrometheusQuery } from './prometheus.ts';

interface FakeAnswer {
  status: number;
  body: string;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
}

const silentLogger = createLogger({ level: 'error' });
const nowMs = Date.UTC(2026, 10, 23, 12, 0, 0);

function query(name: string, expression = name, required = true): PrometheusQuery {
  return { name, query: expression, unit: 'cores', required };
}

describe('PrometheusCollector', () => {
  let server: Server;
  let url: string;
  let answers: Map<string, FakeAnswer>;
  let seen: { query: string | null; time: string | null; headers: IncomingHttpHeaders }[];

  before(async () => {
    server = createServer((request, response) => {
      const requestUrl = new URL(request.url ?? '/', 'http://127.0.0.1');
      const expression = requestUrl.searchParams.get('query');
      seen.push({ query: expression, time: requestUrl.searchParams.get('time'), headers: request.headers });
      const answer = answers.get(expression ?? '') ?? { status: 404, body: 'not found' };
      const timer = setTimeout(() => {
        response.writeHead(answer.status, { 'content-type': answer.body.startsWith('{') ? 'application/json' : 'text/html' });
        response.end(answer.body);
      }, answer.delayMs ?? 0);
      response.on('close', () => { clearTimeout(timer); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  });
  beforeEach(() => {
    answers = new Map();
    seen = [];
  });

  function collector(timeout = 2000, headers: Record<string, string> = {}): PrometheusCollector {
    return new PrometheusCollector({ url, timeout, headers }, silentLogger);
  }

  function context(signal = new AbortController().signal) {
    return { nowMs, signal };
  }

  it('maps vector series to samples with their labels, the target and the query name', async () => {
    answers.set('cpu', {
      status: 200,
      body: JSON.stringify({
        status: 'success',
        data: { resultType: 'vector', result: [
          { metric: { __name__: 'x', pod: 'a' }, value: [1700000000.5, '0.25'] },
          { metric: { pod: 'b' }, value: [1700000000.5, '1.5'] },
        ] },
      }),
    });
    const result = await collector().collect({ name: 'orders', queries: [query('cpu')] }, context());
    expect(result.errors).to.deep.equal([]);
    expect(result.partial).to.be.false;
    expect(result.samples).to.deep.equal([
      { name: 'cpu', value: 0.25, unit: 'cores', labels: { pod: 'a', target: 'orders', query: 'cpu' }, timestampMs: 1700000000500, source: 'prometheus' },
      { name: 'cpu', value: 1.5, unit: 'cores', labels: { pod: 'b', target: 'orders', query: 'cpu' }, timestampMs: 1700000000500, source: 'prometheus' },
    ]);
    expect(seen[0]?.time).to.equal((nowMs / 1000).toFixed(3));
  });

  it('maps a scalar result to one sample', async () => {
    answers.set('scalar(1)', { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1700000000, '3'] } }) });
    const result = await collector().collect({ name: 't', queries: [query('one', 'scalar(1)')] }, context());
    expect(result.samples.map((sample) => sample.value)).to.deep.equal([3]);
  });

  it('sends the configured auth header', async () => {
    answers.set('up', { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '1'] }] } }) });
    await collector(2000, { Authorization: 'Bearer s3cret' }).collect({ name: 't', queries: [query('up')] }, context());
    expect(seen[0]?.headers.authorization).to.equal('Bearer s3cret');
  });

  it('turns a PromQL error into QUERY_FAILED naming the query, and keeps the other queries', async () => {
    answers.set('rate(', { status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error: unclosed left parenthesis' }) });
    answers.set('up', { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '1'] }] } }) });
    const result = await collector().collect({ name: 't', queries: [query('broken', 'rate('), query('up')] }, context());
    expect(result.partial).to.be.true;
    expect(result.samples).to.have.length(1);
    expect(result.errors).to.have.length(1);
    expect(result.errors[0]?.code).to.equal('QUERY_FAILED');
    expect(result.errors[0]?.message).to.contain('"broken" (rate(').and.contain('unclosed left parenthesis');
    expect(result.errors[0]?.labels).to.deep.equal({ query: 'broken' });
  });

  it('turns an answer that is not the Prometheus API into BAD_RESPONSE', async () => {
    answers.set('up', { status: 502, body: '<html>Bad Gateway</html>' });
    const result = await collector().collect({ name: 't', queries: [query('up')] }, context());
    expect(result.errors.map((error) => error.code)).to.deep.equal(['BAD_RESPONSE']);
    expect(result.errors[0]?.message).to.contain('HTTP 502');
  });

  it('hints at the auth header when Prometheus answers 401', async () => {
    answers.set('up', { status: 401, body: 'Unauthorized' });
    const result = await collector().collect({ name: 't', queries: [query('up')] }, context());
    expect(result.errors[0]?.message).to.contain('HTTP 401').and.contain('auth header');
  });

  it('turns a range vector into BAD_RESPONSE', async () => {
    answers.set('up[1m]', { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }) });
    const result = await collector().collect({ name: 't', queries: [query('up', 'up[1m]')] }, context());
    expect(result.errors[0]?.code).to.equal('BAD_RESPONSE');
    expect(result.errors[0]?.message).to.contain('matrix');
  });

  it('reports a required query with no series as missing data, an optional one as nothing', async () => {
    const empty = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } });
    answers.set('absent', { status: 200, body: empty });
    answers.set('maybe', { status: 200, body: empty });
    const result = await collector().collect({ name: 't', queries: [query('absent'), query('maybe', 'maybe', false)] }, context());
    expect(result.errors.map((error) => [error.code, error.labels?.query])).to.deep.equal([['PARTIAL', 'absent']]);
    expect(result.partial).to.be.true;
  });

  it('gives TIMEOUT when Prometheus answers too late', async () => {
    answers.set('slow', { status: 200, body: '{}', delayMs: 1500 });
    const started = Date.now();
    const result = await collector(200).collect({ name: 't', queries: [query('slow')] }, context());
    expect(Date.now() - started).to.be.below(1000);
    expect(result.errors.map((error) => error.code)).to.deep.equal(['TIMEOUT']);
    expect(result.errors[0]?.message).to.contain('200 ms');
  });

  it('gives TIMEOUT at once when the evaluation is aborted', async () => {
    answers.set('slow', { status: 200, body: '{}', delayMs: 1500 });
    const controller = new AbortController();
    setTimeout(() => { controller.abort(); }, 100);
    const started = Date.now();
    const result = await collector(5000).collect({ name: 't', queries: [query('slow')] }, context(controller.signal));
    expect(Date.now() - started).to.be.below(1000);
    expect(result.errors[0]?.code).to.equal('TIMEOUT');
  });

  it('parses the infinities and NaN as Prometheus writes them', () => {
    expect(parsePrometheusValue('+Inf')).to.equal(Number.POSITIVE_INFINITY);
    expect(parsePrometheusValue('-Inf')).to.equal(Number.NEGATIVE_INFINITY);
    expect(parsePrometheusValue('NaN')).to.be.NaN;
    expect(parsePrometheusValue('1e3')).to.equal(1000);
  });

  it('refuses a config with duplicate query names, naming the path', () => {
    const parsed = prometheusCollectorSchema.safeParse({ queries: [{ name: 'a', query: 'up', unit: 'count' }, { name: 'a', query: 'up', unit: 'count' }] });
    expect(parsed.success).to.be.false;
    expect(parsed.error?.issues[0]?.path).to.deep.equal(['queries', 1, 'name']);
  });
});
