// The status API and page end to end: a real `lagpilot run` against the local Kafka, one target
// whose group lags, /api/status and /api/status/history read over HTTP, and the page loaded in
// Debian's headless Chromium. The plots must be drawn from the daemon's real figures, the page
// must follow a change of the lag by itself, data must stay text (the consumer group's name holds
// markup), and a screenshot is kept in test-artifacts/.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import type { Page } from 'playwright-core';
import type { StatusAnswer, HistoryAnswer, TargetStatus } from '../../src/server/status-api.ts';
import { ensureChromium, launchChromium, type ChromiumSession } from '../env/chromium.ts';
import { ensureService } from '../env/environment.ts';
import { repoRoot } from '../env/paths.ts';
import { freeLoopbackPort } from '../env/ports.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { startDaemon, type DaemonProcess } from './daemon-process.ts';
import { deleteGroupAndTopic, produceRoundRobin, withKafkaAdmin } from './kafkajs-admin.ts';

const { Kafka, logLevel } = kafkajs;

export const screenshotPath = join(repoRoot, 'test-artifacts', 'status-page.png');

describe('status API and page (real daemon, real Kafka, headless Chromium)', function () {
  const suffix = randomUUID().slice(0, 8);
  const topic = `lagpilot-it-status-${suffix}`;
  // Markup in a name the page shows: it must appear as text and never become an element.
  const group = `lagpilot-it-status-<img src=x onerror=window.injected=1>-${suffix}`;
  let kafka: KafkaDetails;
  let client: InstanceType<typeof Kafka>;
  let daemon: DaemonProcess | undefined;
  let browser: ChromiumSession | undefined;

  before(async function () {
    // On a fresh machine Debian's chromium is installed here (apt: minutes, not seconds).
    this.timeout(20 * 60_000);
    const [kafkaDetails] = await Promise.all([ensureService<KafkaDetails>('kafka'), ensureChromium()]);
    kafka = kafkaDetails;
    client = new Kafka({ clientId: 'lagpilot-status-test', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    await withKafkaAdmin(client, async (admin) => {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true })).to.equal(true);
      await produceRoundRobin(client, topic, 30, 3);
      // Committed 5, 10 and 0 of 10 each (partitions 3 to 5 stay empty): lag 5 + 0 + 10 = 15. Six
      // partitions: 3 and 6 consumers both share them evenly.
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '10' }, { partition: 2, offset: '0' }] });
    });
    // A second target on a cluster nobody listens on: its card must show the failure, and its
    // plots the absence of data, without breaking the page.
    const closedPort = await freeLoopbackPort();
    daemon = await startDaemon({
      config: {
        log: { level: 'info' },
        clusters: [{ name: 'local', bootstrap: [kafka.bootstrap] }, { name: 'gone', bootstrap: [`127.0.0.1:${String(closedPort)}`] }],
        targets: [{
          name: 'orders',
          cluster: 'local',
          consumerGroup: group,
          topics: [topic],
          interval: '1s',
          tickTimeout: '1s',
          replicas: { min: 1, max: 6 },
          // 15 messages at 5 per replica: 3 replicas; after 15 more, 6.
          lag: { targetMessagesPerReplica: 5 },
          actuator: { kind: 'dryRun' },
          collectors: { kafkaLag: { offsetReset: 'earliest', lagSeconds: 'exact' } },
          scaling: { scaleUpCooldown: '0s' },
        }, {
          name: 'unreachable',
          cluster: 'gone',
          consumerGroup: 'nobody',
          topics: ['nothing'],
          interval: '1s',
          tickTimeout: '1s',
          replicas: { min: 1, max: 2 },
          lag: { targetSeconds: 10 },
          actuator: { kind: 'dryRun' },
        }],
        shutdown: { deadline: '5s' },
      },
    });
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    const exit = await daemon?.stop();
    await deleteGroupAndTopic(client, group, topic);
    if (exit !== undefined && exit.code !== 0) throw new Error(`lagpilot did not exit cleanly: ${JSON.stringify(exit)}\n${daemon?.stderr() ?? ''}`);
  });

  function running(): DaemonProcess {
    if (daemon === undefined) throw new Error('the daemon did not start');
    return daemon;
  }

  async function getJson(path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${running().url}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: await response.json() };
  }

  async function getStatus(): Promise<{ status: number; body: StatusAnswer }> {
    const reply = await getJson('/api/status');
    return { status: reply.status, body: reply.body as StatusAnswer };
  }

  async function getHistory(query: string): Promise<{ status: number; body: HistoryAnswer }> {
    const reply = await getJson(`/api/status/history?${query}`);
    return { status: reply.status, body: reply.body as HistoryAnswer };
  }

  async function statusUntil(what: string, done: (target: TargetStatus) => boolean, timeoutMs = 30_000): Promise<StatusAnswer> {
    const giveUpAt = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < giveUpAt) {
      const reply = await getStatus();
      last = reply.body;
      const target = reply.body.targets[0];
      if (reply.status === 200 && target !== undefined && done(target)) return reply.body;
      await sleep(250);
    }
    throw new Error(`/api/status did not show ${what} within ${timeoutMs} ms; last answer: ${JSON.stringify(last, null, 2)}`);
  }

  it('/api/status reports the target from real collections and the journal; history is incremental; bad queries get 4xx', async function () {
    const status = await statusUntil('a lag of 15 and a journaled scale-up', (target) => target.lag.messages === 15 && target.decisions.some((decision) => decision.action === 'scaleUp'));
    expect(status.instance.leading, 'a lone daemon leads').to.equal(true);
    expect(status.leader).to.deep.equal({ identity: status.instance.identity, term: status.instance.term, source: 'this replica' });
    expect(status.history).to.deep.equal({ windowSeconds: 3600, pointsPerTarget: 3600 });
    const [target] = status.targets;
    if (target === undefined) throw new Error('no target in /api/status');
    expect(target).to.include({ name: 'orders', kind: 'dryRun', cluster: 'local', consumerGroup: group });
    expect(target.topics).to.deep.equal([topic]);
    expect(target.replicas, JSON.stringify(target.decisions[0]?.reasons.map((entry) => `${entry.code}: ${entry.message}`))).to.deep.equal({ current: 3, desired: 3, min: 1, max: 6 });
    expect(target.lag.seconds, 'messages waiting since the topic was filled').to.be.greaterThan(0);
    expect(target.lag.targetMessagesPerReplica).to.equal(5);
    expect(target.consumer.status).to.be.a('string');
    expect(target.consumer.members).to.equal(0);
    expect(target.freshness.stale).to.equal(false);
    expect(target.freshness.secondsSinceEvaluation).to.be.below(5);
    expect(target.freshness.dataAgeSeconds).to.be.a('number');
    const scaleUp = target.decisions.find((decision) => decision.action === 'scaleUp');
    expect(scaleUp?.desired).to.equal(3);
    expect(scaleUp?.reasons.length, JSON.stringify(scaleUp)).to.be.greaterThan(0);
    expect(scaleUp?.actuation?.status).to.equal('dryRun');
    expect(scaleUp?.leader?.identity).to.equal(status.instance.identity);

    let history = await getHistory('target=orders');
    for (let attempt = 0; attempt < 40 && history.body.points.length < 3; attempt += 1) {
      await sleep(250);
      history = await getHistory('target=orders');
    }
    expect(history.status).to.equal(200);
    expect(history.body.points.length, 'an evaluation every second').to.be.at.least(3);
    expect(history.body.points.every((point) => point.lagMessages === 15)).to.equal(true);
    expect(history.body.markers.map((marker) => [marker.action, marker.current, marker.desired, marker.applied])).to.deep.include(['scaleUp', 0, 3, true]);
    const lastPoint = history.body.points.at(-1);
    if (lastPoint === undefined) throw new Error('no point');
    const newer = await getHistory(`target=orders&since=${lastPoint.timeMs}`);
    expect(newer.body.points.every((point) => point.timeMs > lastPoint.timeMs), 'since is exclusive').to.equal(true);

    expect(await getJson('/api/status/history')).to.deep.equal({ status: 400, body: { error: 'the target parameter is missing: use /api/status/history?target=NAME[&since=EPOCH_MILLISECONDS]' } });
    expect(await getJson('/api/status/history?target=ordres')).to.deep.equal({ status: 404, body: { error: 'no target named "ordres" (configured: orders, unreachable)' } });
    expect((await getJson('/api/status/history?target=orders&since=yesterday')).status).to.equal(400);
    expect((await getJson('/api/status?decisions=-1')).status).to.equal(400);
  });

  it('draws the plots from real data in headless Chromium, follows a change live, keeps data as text, and saves a screenshot', async function () {
    this.timeout(180_000);
    await statusUntil('three evaluations with lag', (target) => target.lag.messages === 15);
    browser = await launchChromium();
    const page = await browser.context.newPage();
    const pageProblems: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') pageProblems.push(`console: ${message.text()}`); });
    page.on('pageerror', (error) => { pageProblems.push(`page error: ${error.message}`); });
    page.on('requestfailed', (request) => { pageProblems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`); });
    const requested = new Set<string>();
    page.on('request', (request) => { requested.add(new URL(request.url()).origin); });

    const response = await page.goto(`${running().url}/`, { waitUntil: 'load' });
    expect(response?.status()).to.equal(200);
    const card = '[data-target="orders"]';
    await waitForShownLag(page, 15);
    await waitForPoints(page, 'lagMessages', 2);

    const api = (await getStatus()).body.targets[0];
    expect(await shownField(page, 'lag-messages')).to.deep.equal({ value: String(api?.lag.messages), text: '15' });
    expect(Number((await shownField(page, 'lag-seconds'))?.value)).to.be.greaterThan(0);
    expect((await shownField(page, 'replicas'))?.text).to.equal('3 / 3');

    const series = await inPage<{ series: string; points: number; segments: number; length: number }[]>(page, `
      [...document.querySelectorAll('${card} path[data-series]')].map((node) => ({
        series: node.getAttribute('data-series'),
        points: Number(node.getAttribute('data-points')),
        segments: Number(node.getAttribute('data-segments')),
        length: node.getTotalLength(),
      }))`);
    expect(series.map((entry) => entry.series)).to.deep.equal(['lagSeconds', 'lagMessages', 'current', 'desired']);
    for (const entry of series) {
      expect(entry.points, JSON.stringify(entry)).to.be.at.least(2);
      expect(entry.segments, JSON.stringify(entry)).to.be.at.least(1);
      expect(entry.length, `${entry.series} is drawn with a visible length`).to.be.greaterThan(0);
    }
    const markers = await inPage<{ action: string; tooltip: string }[]>(page, `
      [...document.querySelectorAll('${card} [data-marker]')].map((node) => ({ action: node.getAttribute('data-marker'), tooltip: node.querySelector('title')?.textContent ?? '' }))`);
    expect(markers.length).to.be.at.least(1);
    expect(markers[0]?.action).to.equal('scaleUp');
    expect(markers[0]?.tooltip).to.match(/scaleUp 0 → 3/);
    expect(await inPage<number>(page, `document.querySelectorAll('${card} .decisions li').length`)).to.be.at.least(1);

    // The group's name is shown as it is, and nothing in it ran or became an element.
    expect(await inPage<string>(page, `document.querySelector('${card} .subtitle').textContent`)).to.include(group);
    expect(await inPage<number>(page, `document.querySelectorAll('${card} img').length`)).to.equal(0);
    expect(await inPage<string>(page, 'typeof window.injected')).to.equal('undefined');

    // The target whose cluster is gone: unknown figures, the collector's error, empty plots.
    const broken = await inPage<{ lag: string; freshness: string; errors: string; series: string[]; noData: number }>(page, `(() => {
      const card = document.querySelector('[data-target="unreachable"]');
      return {
        lag: card.querySelector('[data-field="lag-messages"]').textContent,
        freshness: card.querySelector('[data-field="freshness"]').textContent,
        errors: card.querySelector('.errors').textContent,
        series: [...card.querySelectorAll('path[data-series]')].map((node) => node.getAttribute('data-points')),
        noData: card.querySelectorAll('.nodata').length,
      };
    })()`);
    expect(broken.lag).to.equal('–');
    expect(broken.freshness).to.equal('no lag data');
    expect(broken.errors, 'names the collector and its code').to.match(/kafka-lag [A-Z_]+:/);
    expect(broken.series.slice(0, 2), 'no lag points').to.deep.equal(['0', '0']);
    expect(broken.noData).to.be.at.least(2);

    // Live: the page follows the lag to 30 without a reload, and its plot gains points.
    const before = await pointCount(page, 'lagMessages');
    await produceRoundRobin(client, topic, 15, 3);
    await waitForShownLag(page, 30);
    await waitForPoints(page, 'lagMessages', before + 1);
    // 30 messages at 5 per replica ask for 6, decided and (dry-run) applied.
    await waitInPage(page, 'replicas 6 / 6', async () => (await shownField(page, 'replicas'))?.text === '6 / 6');
    await waitInPage(page, 'a second scale-up marker', async () => (await inPage<number>(page, `document.querySelectorAll('${card} [data-marker="scaleUp"]').length`)) >= 2);

    mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    console.log(`      status page screenshot: ${screenshotPath}`);

    expect([...requested], 'the page loads nothing from elsewhere').to.deep.equal([running().url]);
    expect(pageProblems, pageProblems.join('\n')).to.deep.equal([]);
  });

  // What runs in the page is written as expressions: the project's TypeScript has no DOM types.
  async function inPage<T>(page: Page, expression: string): Promise<T> {
    return page.evaluate<T>(expression);
  }

  async function shownField(page: Page, field: string): Promise<{ value: string | null; text: string | null } | null> {
    return inPage(page, `(() => {
      const node = document.querySelector('[data-target="orders"] [data-field="${field}"]');
      return node === null ? null : { value: node.getAttribute('data-value'), text: node.textContent };
    })()`);
  }

  async function pointCount(page: Page, seriesName: string): Promise<number> {
    // The plot is redrawn on every poll; between two draws (or before the first) it has no path.
    return inPage(page, `(() => {
      const path = document.querySelector('[data-target="orders"] path[data-series="${seriesName}"]');
      return path === null ? 0 : Number(path.getAttribute('data-points'));
    })()`);
  }

  async function waitForPoints(page: Page, seriesName: string, atLeast: number): Promise<void> {
    await waitInPage(page, `${String(atLeast)} points in the ${seriesName} plot`, async () => (await pointCount(page, seriesName)) >= atLeast);
  }

  async function waitForShownLag(page: Page, messages: number): Promise<void> {
    await waitInPage(page, `a lag of ${String(messages)} messages`, async () => (await shownField(page, 'lag-messages'))?.value === String(messages));
  }

  // Polled from here: the page's Content-Security-Policy forbids the eval that Playwright's
  // waitForFunction uses for an expression.
  async function waitInPage(page: Page, what: string, done: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const giveUpAt = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > giveUpAt) {
        const shown = await inPage<string>(page, 'document.body.innerText');
        throw new Error(`the page did not show ${what} within ${String(timeoutMs)} ms; it shows:\n${shown}`);
      }
      await sleep(200);
    }
  }
});
