import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { AlertmanagerWebhook } from './alertmanager-webhook.ts';
import { startHttpServer, type RunningHttpServer } from './http-server.ts';
import { createMetricsRegistry } from './metrics.ts';
import { ReadinessChecks } from './readiness.ts';
import type { Logger } from '../logging/logger.ts';

const lines: string[] = [];
const record = (message: string): void => { lines.push(message); };
const silentLogger: Logger = { error: record, warn: record, info: record, debug: record, child: () => silentLogger };
const examplePayloads = JSON.parse(readFileSync('/work/shared/design/alertmanager-webhook-example.json', 'utf8')) as unknown[];

interface Reply { status: number; body: string; headers: Record<string, unknown> }

const json = { 'content-type': 'application/json' };

async function send(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolveReply, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      response.on('end', () => { resolveReply({ status: response.statusCode ?? 0, body: text, headers: response.headers }); });
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('HTTP server', () => {
  let server: RunningHttpServer;
  let readiness: ReadinessChecks;
  let dependencyUp = true;
  let metricsServed = 0;
  const registry = createMetricsRegistry('9.9.9');

  before(async () => {
    readiness = new ReadinessChecks();
    readiness.register({ name: 'always', check: () => Promise.resolve() });
    readiness.register({
      name: 'kafka:main',
      check: () => (dependencyUp ? Promise.resolve() : Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9'))),
    });
    const neverAnswers = new Promise<void>(() => undefined);
    readiness.register({ name: 'slow', timeoutMillis: 50, check: () => neverAnswers });
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 4096,
      registry,
      readiness,
      alertmanagerWebhook: new AlertmanagerWebhook(registry, silentLogger),
      afterMetrics: () => { metricsServed += 1; },
      logger: silentLogger,
    });
  });
  after(async () => { await server.close(1000); });

  it('tells once per /metrics answer that it was served, and not for other paths', async () => {
    const before = metricsServed;
    expect((await send(server.port, 'GET', '/metrics')).status).to.equal(200);
    expect(metricsServed).to.equal(before + 1);
    await send(server.port, 'GET', '/healthz');
    expect(metricsServed).to.equal(before + 1);
  });

  it('answers /healthz while the process runs', async () => {
    expect(await send(server.port, 'GET', '/healthz')).to.include({ status: 200, body: 'ok\n' });
  });

  it('answers /readyz with 503 naming the failing and timed-out checks', async () => {
    dependencyUp = false;
    const reply = await send(server.port, 'GET', '/readyz');
    expect(reply.status).to.equal(503);
    const report = JSON.parse(reply.body) as { ready: boolean; failing: string[]; checks: { name: string; error?: string }[] };
    expect(report.ready).to.equal(false);
    expect(report.failing).to.deep.equal(['kafka:main', 'slow']);
    expect(report.checks.find((check) => check.name === 'kafka:main')?.error).to.equal('connect ECONNREFUSED 127.0.0.1:9');
    expect(report.checks.find((check) => check.name === 'slow')?.error).to.equal('no answer within 50 ms');
  });

  it('reports ready when every check passes, and not ready once shutting down', async () => {
    const checks = new ReadinessChecks();
    checks.register({ name: 'kafka:main', check: () => Promise.resolve() });
    expect((await checks.run()).ready).to.equal(true);
    checks.markNotReady('shutting down');
    expect(await checks.run()).to.deep.include({ ready: false, failing: [], reason: 'shutting down' });
  });

  it('serves /metrics with the build info and process metrics', async () => {
    const reply = await send(server.port, 'GET', '/metrics');
    expect(reply.status).to.equal(200);
    expect(reply.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    expect(reply.body).to.include(`lagpilot_build_info{version="9.9.9",node_version="${process.version}"} 1`);
    expect(reply.body).to.match(/^process_cpu_user_seconds_total \d/m);
  });

  it('takes Alertmanager webhooks and counts alerts by status', async () => {
    for (const payload of examplePayloads) {
      const reply = await send(server.port, 'POST', '/webhooks/alertmanager', JSON.stringify(payload), json);
      expect(reply).to.include({ status: 200, body: '{"received":1,"deduplicated":0,"actions":0}\n' });
    }
    const metrics = (await send(server.port, 'GET', '/metrics')).body;
    expect(metrics).to.match(/^lagpilot_alertmanager_webhooks_received_total 3$/m);
    expect(metrics).to.match(/^lagpilot_alertmanager_alerts_received_total\{status="firing"\} 2$/m);
    expect(metrics).to.match(/^lagpilot_alertmanager_alerts_received_total\{status="resolved"\} 1$/m);
  });

  it('refuses a webhook body that is not JSON with 400 and says why', async () => {
    const reply = await send(server.port, 'POST', '/webhooks/alertmanager', '{"alerts": [', json);
    expect(reply.status).to.equal(400);
    expect((JSON.parse(reply.body) as { message: string }).message).to.match(/^the body is not JSON: /);
  });

  it('refuses JSON that is not an Alertmanager payload with 400, naming the field', async () => {
    const reply = await send(server.port, 'POST', '/webhooks/alertmanager', JSON.stringify({ version: '4', alerts: 'none' }), json);
    expect(reply.status).to.equal(400);
    expect(reply.body).to.include('not an Alertmanager webhook payload').and.to.include('alerts:');
  });

  it('refuses a body over the limit with 413', async () => {
    const reply = await send(server.port, 'POST', '/webhooks/alertmanager', Buffer.alloc(5000, 'x'), json);
    expect(reply.status).to.equal(413);
    expect(JSON.parse(reply.body)).to.deep.equal({ error: 'bodyTooLarge', message: 'request body exceeds the limit of 4096 bytes (server.maxBodyBytes)' });
  });

  it('answers 404 and 405 for unknown paths and wrong methods', async () => {
    expect((await send(server.port, 'GET', '/nope')).status).to.equal(404);
    const reply = await send(server.port, 'GET', '/webhooks/alertmanager');
    expect(reply.status).to.equal(405);
    expect(reply.headers.allow).to.equal('POST');
  });
});
