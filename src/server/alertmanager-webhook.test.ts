import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { alertsSchema } from '../config/schema/alerts.ts';
import type { Logger } from '../logging/logger.ts';
import { AlertRouter, type PlannedAction } from './alert-routes.ts';
import { AlertmanagerWebhook, signWebhookBody, type AlertmanagerWebhookOptions } from './alertmanager-webhook.ts';
import { startHttpServer, type RunningHttpServer } from './http-server.ts';
import { ReadinessChecks } from './readiness.ts';

interface LoggedLine { level: string; message: string; fields: Record<string, unknown> }

function recordingLogger(lines: LoggedLine[]): Logger {
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}): void => { lines.push({ level, message, fields }); };
  const logger: Logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: () => logger };
  return logger;
}

const examples = JSON.parse(readFileSync('/work/shared/design/alertmanager-webhook-example.json', 'utf8')) as Record<string, unknown>[];
const [firingExample, resolvedExample] = examples;
const token = 'a-bearer-token-of-some-length';
const hmacSecret = 'an-hmac-secret-of-some-length';
const json = { 'content-type': 'application/json' };

interface Served {
  url: string;
  registry: Registry;
  lines: LoggedLine[];
  executed: PlannedAction[];
  server: RunningHttpServer;
}

async function serve(options: AlertmanagerWebhookOptions = {}, maxBodyBytes = 64 * 1024): Promise<Served> {
  const registry = new Registry();
  const lines: LoggedLine[] = [];
  const executed: PlannedAction[] = [];
  const logger = recordingLogger(lines);
  const webhook = new AlertmanagerWebhook(registry, logger, { execute: (action) => { executed.push(action); }, ...options });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, maxBodyBytes, registry, readiness: new ReadinessChecks(), alertmanagerWebhook: webhook, logger });
  return { url: `http://127.0.0.1:${server.port}/webhooks/alertmanager`, registry, lines, executed, server };
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: { error?: string; message?: string; received?: number; deduplicated?: number; actions?: number }; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, never>, headers: response.headers };
}

async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((entry) => Object.entries(labels).every(([key, value]) => entry.labels[key] === value))?.value;
}

describe('POST /webhooks/alertmanager', () => {
  const servers: Served[] = [];
  async function started(options: AlertmanagerWebhookOptions = {}, maxBodyBytes?: number): Promise<Served> {
    const served = await serve(options, maxBodyBytes);
    servers.push(served);
    return served;
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((served) => served.server.close(1000)));
  });

  describe('with a bearer token', () => {
    it('takes a delivery with the right token', async () => {
      const s = await started({ auth: { bearerToken: token } });
      const reply = await post(s.url, JSON.stringify(firingExample), { ...json, authorization: `Bearer ${token}` });
      expect(reply.status).to.equal(200);
      expect(reply.body).to.deep.equal({ received: 1, deduplicated: 0, actions: 0 });
    });

    it('answers 401 with WWW-Authenticate without a token, 403 with a wrong one, and counts both', async () => {
      const s = await started({ auth: { bearerToken: token } });
      const missing = await post(s.url, JSON.stringify(firingExample), json);
      expect(missing.status).to.equal(401);
      expect(missing.headers.get('www-authenticate')).to.equal('Bearer');
      expect(missing.headers.get('connection'), 'the unread body is not drained to keep the socket').to.equal('close');
      expect(missing.body).to.deep.include({ error: 'missingCredentials' });
      expect(missing.body.message).to.include('Authorization: Bearer');
      const basic = await post(s.url, JSON.stringify(firingExample), { ...json, authorization: 'Basic dXNlcjpwdw==' });
      expect(basic.status).to.equal(401);
      const wrong = await post(s.url, JSON.stringify(firingExample), { ...json, authorization: `Bearer ${token}x` });
      expect(wrong.status).to.equal(403);
      expect(wrong.body).to.deep.equal({ error: 'invalidToken', message: 'the bearer token is not the configured one' });
      expect(await counter(s.registry, 'lagpilot_alertmanager_webhooks_rejected_total', { reason: 'missingCredentials' })).to.equal(2);
      expect(await counter(s.registry, 'lagpilot_alertmanager_webhooks_rejected_total', { reason: 'invalidToken' })).to.equal(1);
      expect(await counter(s.registry, 'lagpilot_alertmanager_webhooks_received_total')).to.equal(0);
      expect(JSON.stringify(s.lines), 'the presented token is never logged').not.to.include(`${token}x`);
    });
  });

  describe('with an HMAC signature', () => {
    it('takes a correctly signed body, refuses a missing (401) or wrong (403) signature', async () => {
      const s = await started({ auth: { hmac: { secret: hmacSecret, header: 'X-Lagpilot-Signature' } } });
      const body = JSON.stringify(firingExample);
      const signed = await post(s.url, body, { ...json, 'x-lagpilot-signature': signWebhookBody(body, hmacSecret) });
      expect(signed.status).to.equal(200);
      const bareHex = await post(s.url, JSON.stringify(resolvedExample), { ...json, 'x-lagpilot-signature': signWebhookBody(JSON.stringify(resolvedExample), hmacSecret).slice('sha256='.length) });
      expect(bareHex.status).to.equal(200);
      const unsigned = await post(s.url, body, json);
      expect(unsigned.status).to.equal(401);
      expect(unsigned.body.message).to.include('X-Lagpilot-Signature');
      const tampered = await post(s.url, `${body} `, { ...json, 'x-lagpilot-signature': signWebhookBody(body, hmacSecret) });
      expect(tampered.status).to.equal(403);
      expect(tampered.body.error).to.equal('invalidSignature');
      const garbage = await post(s.url, body, { ...json, 'x-lagpilot-signature': 'sha256=zz' });
      expect(garbage.status).to.equal(403);
    });

    it('needs both when both are configured', async () => {
      const s = await started({ auth: { bearerToken: token, hmac: { secret: hmacSecret, header: 'X-Sig' } } });
      const body = JSON.stringify(firingExample);
      expect((await post(s.url, body, { ...json, authorization: `Bearer ${token}` })).status).to.equal(401);
      expect((await post(s.url, body, { ...json, 'x-sig': signWebhookBody(body, hmacSecret) })).status).to.equal(401);
      expect((await post(s.url, body, { ...json, authorization: `Bearer ${token}`, 'x-sig': signWebhookBody(body, hmacSecret) })).status).to.equal(200);
    });
  });

  it('refuses other content types with 415, oversized bodies with 413, and nothing reaches the loop', async () => {
    const routes = alertsSchema.parse({}).routes;
    const s = await started({ router: new AlertRouter(routes, ['orders']) }, 2048);
    const alertForOrders = { ...firingExample, alerts: [{ status: 'firing', labels: { alertname: 'X', lagpilot_target: 'orders' }, startsAt: '2026-01-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: 'abc' }] };
    const text = await post(s.url, JSON.stringify(alertForOrders), { 'content-type': 'text/plain' });
    expect(text.status).to.equal(415);
    expect(text.body).to.deep.equal({ error: 'unsupportedContentType', message: 'content type must be application/json, got "text/plain"' });
    const big = await post(s.url, JSON.stringify({ ...alertForOrders, padding: 'x'.repeat(4096) }), json);
    expect(big.status).to.equal(413);
    expect(big.body.error).to.equal('bodyTooLarge');
    expect(s.executed).to.deep.equal([]);
    const good = await post(s.url, JSON.stringify(alertForOrders), { 'content-type': 'application/json; charset=utf-8' });
    expect(good.status).to.equal(200);
    expect(s.executed).to.deep.equal([{ type: 'evaluate', route: 'target-label', target: 'orders' }]);
  });

  it('answers 400 naming the field for invalid JSON, an invalid payload and an unsupported version', async () => {
    const s = await started();
    const notJson = await post(s.url, '{"alerts": [', json);
    expect(notJson.status).to.equal(400);
    expect(notJson.body.error).to.equal('invalidJson');
    const noStatus = { ...firingExample, alerts: [{ labels: {}, startsAt: '', endsAt: '', fingerprint: 'f' }] };
    const invalid = await post(s.url, JSON.stringify(noStatus), json);
    expect(invalid.status).to.equal(400);
    expect(invalid.body.message).to.include('alerts.0.status');
    const labelNotString = { ...firingExample, alerts: [{ status: 'firing', labels: { n: 1 }, startsAt: '', endsAt: '', fingerprint: 'f' }] };
    expect((await post(s.url, JSON.stringify(labelNotString), json)).body.message).to.include('alerts.0.labels.n');
    const version3 = await post(s.url, JSON.stringify({ ...firingExample, version: '3' }), json);
    expect(version3.status).to.equal(400);
    expect(version3.body).to.deep.include({ error: 'unsupportedVersion' });
    expect(version3.body.message).to.match(/^version: /);
    expect(await counter(s.registry, 'lagpilot_alertmanager_webhooks_rejected_total', { reason: 'invalidPayload' })).to.equal(2);
  });

  it('acts once on an alert Alertmanager delivers again, and again when its status changes', async () => {
    const routes = alertsSchema.parse({ routes: [{ name: 'lag', matchers: ['alertname="KafkaLagHigh"'], action: { type: 'raiseMinReplicas', target: 'orders', minReplicas: 3, maxDuration: '1h' } }] }).routes;
    const s = await started({ router: new AlertRouter(routes, ['orders']), now: () => 1_000 });
    const first = await post(s.url, JSON.stringify(firingExample), json);
    const repeat = await post(s.url, JSON.stringify(firingExample), json);
    const resolved = await post(s.url, JSON.stringify(resolvedExample), json);
    expect([first.body, repeat.body, resolved.body]).to.deep.equal([
      { received: 1, deduplicated: 0, actions: 1 },
      { received: 1, deduplicated: 1, actions: 0 },
      { received: 1, deduplicated: 0, actions: 1 },
    ]);
    expect(s.executed.map((action) => action.type)).to.deep.equal(['raiseMinReplicas', 'releaseMinReplicas']);
    expect(await counter(s.registry, 'lagpilot_alertmanager_alerts_deduplicated_total', { status: 'firing' })).to.equal(1);
    expect(await counter(s.registry, 'lagpilot_alert_actions_total', { route: 'lag', action: 'raiseMinReplicas' })).to.equal(1);
    expect(await counter(s.registry, 'lagpilot_alert_actions_total', { route: 'lag', action: 'releaseMinReplicas' })).to.equal(1);
    expect(await counter(s.registry, 'lagpilot_alert_actions_total', { route: 'lag', action: 'evaluate' })).to.equal(0);
  });
});
