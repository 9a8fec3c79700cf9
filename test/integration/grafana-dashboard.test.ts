// deploy/grafana/lagpilot-dashboard.json against the real thing, so it cannot drift from the
// daemon: every metric its PromQL names must be one a running `lagpilot run` exports (read from
// its /metrics), every query must be one real Prometheus accepts, and with Prometheus scraping
// that daemon the panels about lag, replicas and decisions must return data.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { ensureService } from '../env/environment.ts';
import { repoRoot } from '../env/paths.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { setScrapeTargets, type PrometheusDetails } from '../env/services/prometheus.ts';
import { startDaemon, type DaemonProcess } from './daemon-process.ts';
import { deleteGroupAndTopic, withKafkaAdmin } from './kafkajs-admin.ts';

const { Kafka, logLevel } = kafkajs;

interface DashboardQuery {
  /** Where in the dashboard, for messages: "panel Lag (seconds) A". */
  where: string;
  expr: string;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string }[];
}

interface Dashboard {
  uid: string;
  panels: Panel[];
  annotations: { list: { name: string; expr?: string }[] };
  templating: { list: { name: string; query: string | { query: string } }[] };
}

const dashboardPath = join(repoRoot, 'deploy', 'grafana', 'lagpilot-dashboard.json');
const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8')) as Dashboard;

function dashboardQueries(board: Dashboard): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const panel of board.panels) {
    for (const target of panel.targets ?? []) queries.push({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr });
  }
  for (const annotation of board.annotations.list) {
    if (annotation.expr !== undefined) queries.push({ where: `annotation "${annotation.name}"`, expr: annotation.expr });
  }
  for (const variable of board.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
    // Grafana's label_values(METRIC, LABEL) asks Prometheus for the series of METRIC.
    const labelValues = /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*[a-zA-Z_]\w*\s*\)$/.exec(query);
    if (labelValues?.[1] !== undefined) queries.push({ where: `variable $${variable.name}`, expr: labelValues[1] });
  }
  return queries;
}

const promqlWords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads: not functions, keywords, labels or Grafana variables. */
export function metricNames(expr: string): string[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of text.matchAll(/(?<![\w.])[$]?[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    if (word.startsWith('$') || promqlWords.has(word)) continue;
    if (text.slice(match.index + word.length).trimStart().startsWith('(')) continue;
    names.add(word);
  }
  return [...names];
}

/** Metric families of a Prometheus text exposition, by name, with their type. */
function exportedFamilies(metricsText: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const match of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (match[1] !== undefined && match[2] !== undefined) families.set(match[1], match[2]);
  }
  return families;
}

function isExported(name: string, families: Map<string, string>): boolean {
  if (families.has(name)) return true;
  const series = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = series?.[1];
  return base !== undefined && ['histogram', 'summary'].includes(families.get(base) ?? '');
}

describe('Grafana dashboard (deploy/grafana/lagpilot-dashboard.json)', function () {
  it('reads metric names out of PromQL, leaving functions, labels, keywords and variables aside', function () {
    expect(metricNames('histogram_quantile(0.99, sum by (collector, le) (rate(lagpilot_collector_duration_seconds_bucket{a="x y"}[$__rate_interval])))')).to.deep.equal(['lagpilot_collector_duration_seconds_bucket']);
    expect(metricNames('time() - max by (target) (lagpilot_a{target=~"$target"}) / on (target) group_left lagpilot_b offset 5m > bool 0')).to.deep.equal(['lagpilot_a', 'lagpilot_b']);
    expect(metricNames('sort_desc(sum by (target) (increase(x_total[$__range])) > 0)')).to.deep.equal(['x_total']);
  });

  it('is well formed: unique panel ids, the datasource variable everywhere, panels that do not overlap', function () {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size, 'panel ids').to.equal(ids.length);
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels) {
      if (panel.type !== 'row') expect(panel.datasource?.uid, panel.title).to.equal('${datasource}');
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, `${panel.title} fits the 24 columns`).to.be.at.most(24);
      for (let row = y; row < y + h; row += 1) {
        for (let column = x; column < x + w; column += 1) {
          const other = cells.get(`${row}/${column}`);
          expect(other, `"${panel.title}" overlaps "${other ?? ''}"`).to.equal(undefined);
          cells.set(`${row}/${column}`, panel.title);
        }
      }
    }
    const used = new Set(dashboardQueries(dashboard).flatMap((query) => metricNames(query.expr)));
    // What an operator needs at a glance (the list): each must be on the dashboard.
    for (const needed of [
      'lagpilot_consumergroup_lag_seconds', 'lagpilot_consumergroup_lag_messages', 'lagpilot_desired_replicas', 'lagpilot_current_replicas',
      'lagpilot_decisions_total', 'lagpilot_decision_reasons_total', 'lagpilot_actuation_failures_total', 'lagpilot_collector_errors_total',
      'lagpilot_collector_duration_seconds_bucket', 'lagpilot_loop_duration_seconds_bucket',
    ]) expect([...used], needed).to.include(needed);
  });

  describe('against a running daemon and Prometheus', function () {
    const suffix = randomUUID().slice(0, 8);
    const topic = `lagpilot-it-dashboard-${suffix}`;
    const group = `lagpilot-it-dashboard-group-${suffix}`;
    const targetName = `dashboard-${suffix}`;
    const scrapeOwner = `grafana-dashboard-${suffix}`;
    let client: InstanceType<typeof Kafka>;
    let prometheus: PrometheusDetails;
    let daemon: DaemonProcess | undefined;

    before(async function () {
      this.timeout(240_000);
      let kafka: KafkaDetails;
      [kafka, prometheus] = await Promise.all([ensureService<KafkaDetails>('kafka'), ensureService<PrometheusDetails>('prometheus')]);
      client = new Kafka({ clientId: 'lagpilot-dashboard-test', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
      await withKafkaAdmin(client, async (admin) => {
        await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
        const producer = client.producer({ allowAutoTopicCreation: false });
        await producer.connect();
        try {
          await producer.send({ topic, acks: -1, messages: Array.from({ length: 40 }, (_, n) => ({ partition: n % 2, value: `m${n}` })) });
        } finally {
          await producer.disconnect();
        }
        await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '0' }, { partition: 1, offset: '0' }] });
      });
      daemon = await startDaemon({
        config: {
          clusters: [{ name: 'local', bootstrap: [kafka.bootstrap] }],
          targets: [{
            name: targetName, cluster: 'local', consumerGroup: group, topics: [topic], interval: '1s', tickTimeout: '1s',
            replicas: { min: 1, max: 4 }, lag: { targetMessagesPerReplica: 10 }, actuator: { kind: 'dryRun' },
            collectors: { kafkaLag: { offsetReset: 'earliest', lagSeconds: 'exact' } },
          }],
          shutdown: { deadline: '5s' },
        },
      });
      setScrapeTargets([daemon.address], scrapeOwner);
    });

    after(async function () {
      this.timeout(60_000);
      setScrapeTargets([], scrapeOwner);
      await daemon?.stop();
      await deleteGroupAndTopic(client, group, topic);
    });

    function running(): DaemonProcess {
      if (daemon === undefined) throw new Error('the daemon did not start');
      return daemon;
    }

    it('names only metrics the daemon exports', async function () {
      // Collections and a decision have happened once the lag shows and a scale-up is counted.
      let metrics = '';
      const giveUpAt = Date.now() + 30_000;
      while (!metrics.includes(`lagpilot_decisions_total{target="${targetName}",action="scaleUp"} 1`) || !metrics.includes('lagpilot_consumergroup_lag_seconds{')) {
        if (Date.now() > giveUpAt) throw new Error(`no lag and scale-up on /metrics within 30 s:\n${metrics.split('\n').filter((line) => line.startsWith('lagpilot_')).join('\n')}`);
        await sleep(250);
        metrics = await running().metrics();
      }
      const families = exportedFamilies(metrics);
      const missing = dashboardQueries(dashboard).flatMap((query) => metricNames(query.expr).filter((name) => !isExported(name, families)).map((name) => `${name} (${query.where})`));
      expect(missing, `metrics the dashboard uses that /metrics does not have:\n${missing.join('\n')}`).to.deep.equal([]);
    });

    it('has queries Prometheus accepts, and its lag, replica and decision panels show the daemon\'s data', async function () {
      this.timeout(120_000);
      const instantiate = (expr: string): string => expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', '5m')
        .replaceAll('$target', targetName);
      const query = async (expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> => {
        const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(instantiate(expr))}`, { signal: AbortSignal.timeout(10_000) });
        return (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
      };
      const queries = dashboardQueries(dashboard);
      for (const { where, expr } of queries) {
        const answer = await query(expr);
        expect(answer.status, `${where}: ${expr}\n${answer.error ?? ''}`).to.equal('success');
      }
      // Scraped every second: the panels fill within seconds of the first scrapes.
      const mustShowData = ['Lag (seconds)', 'Lag (messages)', 'Replicas: desired and current', 'Scaling decisions', 'Reasons of scaling decisions (counts since each lagpilot started)', 'Control loop latency (p50, p99)'];
      const empty = new Set(mustShowData);
      const giveUpAt = Date.now() + 60_000;
      while (empty.size > 0 && Date.now() < giveUpAt) {
        for (const panel of dashboard.panels.filter((entry) => empty.has(entry.title))) {
          const answers = await Promise.all((panel.targets ?? []).map(async (target) => query(target.expr)));
          if (answers.every((answer) => (answer.data?.result.length ?? 0) > 0)) empty.delete(panel.title);
        }
        if (empty.size > 0) await sleep(1_000);
      }
      expect([...empty], 'panels without data for the scraped daemon').to.deep.equal([]);
    });
  });
});
