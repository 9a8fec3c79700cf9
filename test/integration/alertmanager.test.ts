// The Alertmanager of the local environment delivers its webhooks to a real `lagpilot run`, which
// logs each alert and counts it: an alert posted to Alertmanager's API, one fired and resolved
// with amtool, and one fired by a real Prometheus rule.
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureService } from '../env/environment.ts';
import { runToCompletion } from '../env/processes.ts';
import {
  amtoolBinary,
  defaultWebhookUrl,
  removeAlertRoute,
  routeAlertsToWebhook,
  routeLabel,
  setWebhookReceiver,
  type AlertmanagerDetails,
} from '../env/services/alertmanager.ts';
import { removeRuleFile, writeRuleFile, type PrometheusDetails } from '../env/services/prometheus.ts';
import { sampleSum, sampleValue, startDaemon, type DaemonLogLine, type DaemonProcess } from './daemon-process.ts';

const webhooksMetric = 'lagpilot_alertmanager_webhooks_received_total';
const alertsMetric = 'lagpilot_alertmanager_alerts_received_total';

// Unique per run, so an alert left in Alertmanager by an earlier run cannot satisfy a test.
const runId = `${process.pid}${Date.now().toString(36)}`;

function isAlertLogged(alertname: string, status: 'firing' | 'resolved') {
  return (line: DaemonLogLine): boolean =>
    line.message === 'alert received' && line.alertname === alertname && line.status === status;
}

async function activeAlertmanagerIncludes(prometheus: PrometheusDetails, alertsUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    const reply = await fetch(`${prometheus.url}/api/v1/alertmanagers`, { signal: AbortSignal.timeout(5_000) });
    const body = (await reply.json()) as { data: { activeAlertmanagers: { url: string }[] } };
    seen = body.data.activeAlertmanagers.map((entry) => entry.url);
    if (seen.includes(alertsUrl)) return;
    await sleep(250);
  }
  throw new Error(`Prometheus does not send alerts to ${alertsUrl} after ${timeoutMs} ms; its Alertmanagers: ${JSON.stringify(seen)}`);
}

describe('alertmanager (local environment) delivering to a running lagpilot', function () {
  let alertmanager: AlertmanagerDetails;
  let daemon: DaemonProcess;
  // This run's alerts carry this label and go to this run's lagpilot only; other runs sharing
  // the Alertmanager have routes of their own.
  const routeId = `test-${runId}`;
  let routeLabels: Record<string, string>;

  before(async function () {
    alertmanager = await ensureService<AlertmanagerDetails>('alertmanager');
    daemon = await startDaemon();
    routeLabels = await routeAlertsToWebhook(alertmanager, routeId, `${daemon.url}/webhooks/alertmanager`);
  });

  after(async function () {
    await removeAlertRoute(alertmanager, routeId);
    const exit = await daemon.stop();
    expect(exit, `lagpilot did not exit cleanly on SIGTERM\n${daemon.stderr()}`).to.deep.equal({ code: 0, signal: null });
  });

  it('delivers an alert posted to /api/v2/alerts: lagpilot logs it and counts it', async function () {
    const alertname = `LagpilotEnvApiAlert${runId}`;
    const before = await daemon.metrics();
    const webhooksBefore = sampleValue(before, webhooksMetric);
    const firingBefore = sampleValue(before, `${alertsMetric}{status="firing"}`);
    expect(webhooksBefore, `${webhooksMetric} missing from /metrics`).to.be.a('number');
    expect(firingBefore, `${alertsMetric}{status="firing"} missing from /metrics`).to.be.a('number');

    const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname, consumergroup: 'orders', severity: 'warning', ...routeLabels },
          annotations: { summary: 'lag of orders is above its threshold' },
          startsAt: new Date().toISOString(),
          generatorURL: 'http://127.0.0.1/test',
        },
      ]),
      signal: AbortSignal.timeout(5_000),
    });
    expect(response.status, await response.text()).to.equal(200);

    const logged = await daemon.waitForLogLine(isAlertLogged(alertname, 'firing'), 20_000, `the firing alert ${alertname}`);
    expect(logged.labels).to.deep.include({ alertname, consumergroup: 'orders', severity: 'warning' });
    expect(logged.component).to.equal('alertmanager-webhook');
    expect(logged.level).to.equal('info');

    const after = await daemon.metrics();
    expect(sampleValue(after, webhooksMetric)).to.be.greaterThan(webhooksBefore ?? Infinity);
    expect(sampleValue(after, `${alertsMetric}{status="firing"}`)).to.be.greaterThan(firingBefore ?? Infinity);
  });

  it('delivers an alert fired with amtool, then its resolution (send_resolved)', async function () {
    const amtool = await amtoolBinary();
    const alertname = `LagpilotEnvAmtoolAlert${runId}`;
    const resolvedBefore = sampleValue(await daemon.metrics(), `${alertsMetric}{status="resolved"}`);
    const amtoolArguments = [
      `--alertmanager.url=${alertmanager.url}`, 'alert', 'add', alertname, 'consumergroup=payments', `${routeLabel}=${routeId}`,
      '--annotation=summary=fired by amtool',
    ];

    const startsAt = new Date();
    await runToCompletion(amtool, [...amtoolArguments, `--start=${startsAt.toISOString()}`], { timeoutMs: 30_000 });
    await daemon.waitForLogLine(isAlertLogged(alertname, 'firing'), 20_000, `the firing alert ${alertname}`);

    // The same alert again with an end in the past: Alertmanager resolves it and, because the
    // receiver has send_resolved, tells lagpilot.
    const endsAt = new Date(Date.now() - 1_000);
    await runToCompletion(amtool, [...amtoolArguments, `--start=${startsAt.toISOString()}`, `--end=${endsAt.toISOString()}`], { timeoutMs: 30_000 });
    const resolved = await daemon.waitForLogLine(isAlertLogged(alertname, 'resolved'), 20_000, `the resolved alert ${alertname}`);
    expect(resolved.labels).to.deep.include({ alertname, consumergroup: 'payments' });
    expect(sampleValue(await daemon.metrics(), `${alertsMetric}{status="resolved"}`)).to.be.greaterThan(resolvedBefore ?? Infinity);
  });

  it('delivers an alert fired by a Prometheus rule, through Alertmanager, to lagpilot', async function () {
    const prometheus = await ensureService<PrometheusDetails>('prometheus');
    // Check the link rather than assume it, so a failure names it. The list is briefly empty
    // after any reload of Prometheus (another run's rule file), hence the wait.
    await activeAlertmanagerIncludes(prometheus, `${alertmanager.url}/api/v2/alerts`, 15_000);

    const alertname = `LagpilotEnvRuleAlert${runId}`;
    const ruleFile = `lagpilot-env-test-${runId}`;
    const alertsBefore = sampleSum(await daemon.metrics(), alertsMetric);
    await writeRuleFile(
      prometheus,
      ruleFile,
      [
        'groups:',
        '  - name: lagpilot-env-test',
        '    rules:',
        `      - alert: ${alertname}`,
        '        expr: vector(1)',
        '        labels:',
        '          severity: info',
        `          ${routeLabel}: ${routeId}`,
        '        annotations:',
        '          summary: always firing, to prove the Prometheus to Alertmanager to lagpilot path',
        '',
      ].join('\n'),
    );
    try {
      const logged = await daemon.waitForLogLine(isAlertLogged(alertname, 'firing'), 30_000, `the rule alert ${alertname}`);
      expect(logged.labels).to.deep.include({ alertname, severity: 'info' });
      expect(sampleSum(await daemon.metrics(), alertsMetric)).to.be.greaterThan(alertsBefore);
    } finally {
      await removeRuleFile(prometheus, ruleFile);
    }
  });

  it('sends alerts without a route label to the default receiver, re-pointed with setWebhookReceiver', async function () {
    const alertname = `LagpilotEnvDefaultReceiver${runId}`;
    alertmanager = await setWebhookReceiver(alertmanager, `${daemon.url}/webhooks/alertmanager`);
    try {
      const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ labels: { alertname }, startsAt: new Date().toISOString() }]),
        signal: AbortSignal.timeout(5_000),
      });
      expect(response.status, await response.text()).to.equal(200);
      await daemon.waitForLogLine(isAlertLogged(alertname, 'firing'), 20_000, `the alert ${alertname} sent to the default receiver`);
    } finally {
      // Back to the lagpilot of `npm run local`, not a port nothing will listen on.
      alertmanager = await setWebhookReceiver(alertmanager, await defaultWebhookUrl());
    }
  });
});
