// The alert path end to end with real parts: a Prometheus rule on lagpilot's own lag metric fires,
// the real Alertmanager delivers it with a bearer token to lagpilot's webhook, a route raises the
// target's minimum and has it evaluated at once; when the lag is gone the rule resolves, and the
// resolution ends the raised minimum (the next decision lets the count come back down).
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { parseConfigText } from '../../src/config/loader.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon.ts';
import type { Logger } from '../../src/logging/logger.ts';
import type { Decision } from '../../src/policies/types.ts';
import { ensureService } from '../env/environment.ts';
import { removeAlertRoute, routeAlertsToWebhook, routeLabel, type AlertmanagerDetails } from '../env/services/alertmanager.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { removeRuleFile, setScrapeTargets, writeRuleFile, type PrometheusDetails } from '../env/services/prometheus.ts';
import { labelledSampleValue, scrapeMetrics } from './daemon-process.ts';
import { readJournal } from './journal-helpers.ts';
import { deleteGroupAndTopic, withKafkaAdmin } from './kafkajs-admin.ts';

const { Kafka, logLevel } = kafkajs;

interface LoggedLine { level: string; message: string; fields: Record<string, unknown>; atMs: number }

function recordingLogger(lines: LoggedLine[], bound: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}): void => {
    lines.push({ level, message, fields: { ...bound, ...fields }, atMs: Date.now() });
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (fields) => recordingLogger(lines, { ...bound, ...fields }) };
}

describe('Prometheus rule → Alertmanager → lagpilot webhook with a bearer token → raised minimum, ended by the resolution', function () {
  const runId = randomUUID().slice(0, 8);
  const targetName = `alerted-${runId}`;
  const topic = `lagpilot-it-alerts-${runId}`;
  const group = `lagpilot-it-alerts-group-${runId}`;
  const alertname = `LagpilotItLagAbove10_${runId}`;
  const routeId = `alert-routes-${runId}`;
  const ruleFile = `lagpilot-alert-routes-${runId}`;
  const bearerToken = `token-${randomUUID()}`;
  const lines: LoggedLine[] = [];
  let kafka: KafkaDetails;
  let prometheus: PrometheusDetails;
  let alertmanager: AlertmanagerDetails;
  let client: InstanceType<typeof Kafka>;
  let daemon: RunningDaemon | undefined;

  async function waitForLine(what: string, matches: (line: LoggedLine) => boolean, timeoutMs: number): Promise<LoggedLine> {
    const giveUpAt = Date.now() + timeoutMs;
    while (Date.now() < giveUpAt) {
      const found = lines.find(matches);
      if (found !== undefined) return found;
      await sleep(50);
    }
    const tail = lines.filter((line) => line.fields.component === 'alertmanager-webhook' || line.level !== 'debug').slice(-30);
    throw new Error(`${what}: not logged within ${timeoutMs} ms; recent lines:\n${tail.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.fields)}`).join('\n')}`);
  }

  async function metrics(): Promise<string> {
    if (daemon === undefined) throw new Error('the daemon did not start');
    return scrapeMetrics(`http://127.0.0.1:${String(daemon.port)}`);
  }

  async function newestDecision(): Promise<Decision> {
    if (daemon === undefined) throw new Error('the daemon did not start');
    const [decision] = await readJournal(`http://127.0.0.1:${String(daemon.port)}`, targetName, 1);
    if (decision === undefined) throw new Error(`no decision journaled for ${targetName}`);
    return decision;
  }

  before(async function () {
    this.timeout(240_000);
    [kafka, prometheus, alertmanager] = await Promise.all([
      ensureService<KafkaDetails>('kafka'),
      ensureService<PrometheusDetails>('prometheus'),
      ensureService<AlertmanagerDetails>('alertmanager'),
    ]);
    client = new Kafka({ clientId: 'lagpilot-alert-routes-test', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    await withKafkaAdmin(client, async (admin) => {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true })).to.equal(true);
      const producer = client.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, n) => ({ partition: n % 2, value: `m${n}` })) });
      } finally {
        await producer.disconnect();
      }
      // Committed 0 of 15 on each partition: a lag of 30 messages, above the rule's 10.
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '0' }, { partition: 1, offset: '0' }] });
    });

    const parsed = parseConfigText(
      `
server: {host: 127.0.0.1, port: 0}
clusters: [{name: local, bootstrap: ["${kafka.bootstrap}"]}]
targets:
  - name: ${targetName}
    cluster: local
    consumerGroup: ${group}
    topics: [${topic}]
    interval: 1s
    tickTimeout: 1s
    replicas: {min: 1, max: 4}
    lag: {targetMessagesPerReplica: 1000}
    actuator: {kind: dryRun}
    collectors:
      kafkaLag: {offsetReset: earliest}
    scaling: {scaleDownCooldown: 0s, scaleDownStabilization: 0s, rebalancePause: 0s}
alerts:
  auth: {bearerToken: "\${ALERT_TOKEN}"}
  routes:
    - name: lag-floor
      matchers: ['alertname="${alertname}"']
      action: {type: raiseMinReplicas, targetLabel: lagpilot_target, minReplicas: 3, maxDuration: 10m}
`,
      { sourceName: 'alert routes test', environment: { ALERT_TOKEN: bearerToken } },
    );
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    daemon = await startDaemon({ config: parsed.config, logger: recordingLogger(lines), version: 'test' });
    await routeAlertsToWebhook(alertmanager, routeId, `http://127.0.0.1:${daemon.port}/webhooks/alertmanager`, { bearerToken });
    setScrapeTargets([`127.0.0.1:${daemon.port}`], routeId);
  });

  after(async function () {
    this.timeout(60_000);
    // The services are the shared ones: only this run's rule, route and scrape target go.
    setScrapeTargets([], routeId);
    await removeRuleFile(prometheus, ruleFile);
    await removeAlertRoute(alertmanager, routeId);
    const stopped = await daemon?.stop();
    await deleteGroupAndTopic(client, group, topic);
    expect(stopped?.problems ?? [], 'the daemon did not stop cleanly').to.deep.equal([]);
  });

  it('refuses a delivery without the token (401), with a wrong one (403)', async function () {
    if (daemon === undefined) throw new Error('the daemon did not start');
    const url = `http://127.0.0.1:${daemon.port}/webhooks/alertmanager`;
    const body = JSON.stringify({ version: '4', status: 'firing', receiver: 'x', groupKey: 'k', alerts: [] });
    expect((await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).status).to.equal(401);
    expect((await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-token' } })).status).to.equal(403);
  });

  it('fires from the rule, raises the minimum and evaluates at once; the resolution ends it', async function () {
    this.timeout(120_000);
    await writeRuleFile(prometheus, ruleFile, [
      'groups:',
      `  - name: lagpilot-alert-routes-${runId}`,
      '    rules:',
      `      - alert: ${alertname}`,
      `        expr: lagpilot_consumergroup_lag_messages{target="${targetName}"} > 10`,
      '        labels:',
      '          severity: warning',
      `          ${routeLabel}: ${routeId}`,
      '          lagpilot_target: "{{ $labels.target }}"',
      '        annotations:',
      '          summary: "lag of {{ $labels.group }} is {{ $value }} messages"',
      '',
    ].join('\n'));

    const received = await waitForLine('the firing alert', (line) => line.message === 'alert received' && line.fields.alertname === alertname && line.fields.status === 'firing', 60_000);
    const raised = await waitForLine('the raised minimum', (line) => line.message === 'alert raises the minimum of a target' && line.fields.target === targetName, 5_000);
    expect(raised.fields).to.include({ route: 'lag-floor', minReplicas: 3 });
    const evaluated = await waitForLine('the alert evaluation', (line) => line.message === 'alert evaluation done' && line.fields.target === targetName && line.atMs >= received.atMs, 10_000);
    expect(evaluated.fields).to.include({ route: 'lag-floor', outcome: 'actuated', desired: 3 });
    // The alert path's own evaluation (its log line, not a tick's), collection against Kafka
    // included; the bound leaves room for a busy CI machine.
    expect(evaluated.atMs - received.atMs, 'ms from the webhook to the end of its evaluation').to.be.below(3_000);

    const decision = await newestDecision();
    expect(decision.desired).to.be.at.least(3);
    expect(decision.reasons.map((reason) => reason.code)).to.include('AlertRaisedMinimum');
    const firing = await metrics();
    expect(labelledSampleValue(firing, 'lagpilot_alert_min_replicas', { target: targetName })).to.equal(3);
    expect(labelledSampleValue(firing, 'lagpilot_alert_actions_total', { route: 'lag-floor', action: 'raiseMinReplicas' })).to.equal(1);
    expect(labelledSampleValue(firing, 'lagpilot_alertmanager_webhooks_rejected_total', { reason: 'invalidToken' }), 'only the test\'s own wrong token').to.equal(1);

    // The group catches up: the lag metric drops to 0, the rule stops firing, Alertmanager sends
    // the resolution.
    await withKafkaAdmin(client, async (admin) => {
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '15' }, { partition: 1, offset: '15' }] });
    });
    const ended = await waitForLine('the end of the raised minimum', (line) => line.message === 'resolved alert ends the raised minimum of a target' && line.fields.target === targetName, 60_000);
    await waitForLine('the evaluation after the resolution', (line) => line.message === 'alert evaluation done' && line.fields.target === targetName && line.atMs >= ended.atMs, 10_000);
    const resolved = await metrics();
    expect(labelledSampleValue(resolved, 'lagpilot_alert_min_replicas', { target: targetName }), 'no raised minimum any more').to.equal(undefined);
    expect(labelledSampleValue(resolved, 'lagpilot_alert_actions_total', { route: 'lag-floor', action: 'releaseMinReplicas' })).to.equal(1);
    const after = await newestDecision();
    expect(after.reasons.map((reason) => reason.code)).not.to.include('AlertRaisedMinimum');
    expect(after.desired, 'back to the configured minimum of a group without lag').to.equal(1);
  });
});
