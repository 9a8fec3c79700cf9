// The daemon's collection end to end: `lagpilot run` in-process against the local Kafka and
// Prometheus, one target with lag, broker-health and PromQL collectors; what /metrics shows must
// be what Kafka holds, and a broken query must show up as an error metric without stopping the rest.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { parseConfigText } from '../../src/config/loader.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { ensurePackageBinaries } from '../env/apt.ts';
import { ensureService } from '../env/environment.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import type { PrometheusDetails } from '../env/services/prometheus.ts';
import { labelledSampleValue, scrapeMetrics } from './daemon-process.ts';
import { pollUntil } from './journal-helpers.ts';
import { deleteGroupAndTopic, produceRoundRobin, withKafkaAdmin } from './kafkajs-admin.ts';

const { Kafka, logLevel } = kafkajs;

describe('daemon collection and /metrics export', function () {
  const topic = `lagpilot-it-collect-${randomUUID().slice(0, 8)}`;
  const group = `lagpilot-it-collect-group-${randomUUID().slice(0, 8)}`;
  let kafka: KafkaDetails;
  let prometheus: PrometheusDetails;
  let daemon: RunningDaemon | undefined;
  let client: InstanceType<typeof Kafka>;

  before(async function () {
    this.timeout(180_000);
    [kafka, prometheus] = await Promise.all([ensureService<KafkaDetails>('kafka'), ensureService<PrometheusDetails>('prometheus')]);
    client = new Kafka({ clientId: 'lagpilot-collect-test', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    await withKafkaAdmin(client, async (admin) => {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).to.equal(true);
      await produceRoundRobin(client, topic, 30, 3);
      // Committed 5, 10 and 0 of 10 each: lag 5 + 0 + 10 = 15.
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '10' }, { partition: 2, offset: '0' }] });
    });
  });

  after(async function () {
    await daemon?.stop();
    await deleteGroupAndTopic(client, group, topic);
  });

  async function scrapeUntil(what: string, done: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
    if (daemon === undefined) throw new Error('the daemon did not start');
    const baseUrl = `http://127.0.0.1:${String(daemon.port)}`;
    const { value: text, accepted } = await pollUntil(() => scrapeMetrics(baseUrl), done, timeoutMs);
    if (accepted) return text;
    const ours = text.split('\n').filter((line) => line.startsWith('lagpilot_') && !line.startsWith('lagpilot_collector_duration_seconds_bucket'));
    throw new Error(`${what} not on /metrics within ${timeoutMs} ms; lagpilot series:\n${ours.join('\n')}`);
  }

  it('exports lag, status, broker health and rates, and counts a failing query without stopping the rest', async function () {
    this.timeout(120_000);
    const parsed = parseConfigText(
      `
server: {host: 127.0.0.1, port: 0}
clusters: [{name: local, bootstrap: ["${kafka.bootstrap}"]}]
prometheus: {url: "${prometheus.url}", timeout: 5s}
targets:
  - name: orders
    cluster: local
    consumerGroup: ${group}
    topics: [${topic}]
    interval: 1s
    tickTimeout: 1s
    replicas: {max: 3}
    lag: {targetSeconds: 30}
    actuator: {kind: dryRun}
    collectors:
      kafkaLag: {offsetReset: earliest, lagSeconds: exact}
      brokerHealth: {}
      throughput: {window: 30s}
      prometheus:
        queries:
          - {name: consumer_cpu_cores, query: 'vector(0.5)', unit: cores}
          - {name: broken, query: 'sum(', unit: count}
`,
      { sourceName: 'collection-metrics test', environment: {} },
    );
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    daemon = await startDaemon({ config: parsed.config, logger: createLogger({ level: 'error' }), version: 'test' });

    const groupLabels = { target: 'orders', cluster: 'local', group };
    const first = await scrapeUntil('group lag of 15', (text) => labelledSampleValue(text, 'lagpilot_consumergroup_lag_messages', groupLabels) === 15);
    expect(labelledSampleValue(first, 'lagpilot_consumergroup_partition_lag_messages', { ...groupLabels, topic, partition: '0' })).to.equal(5);
    expect(labelledSampleValue(first, 'lagpilot_consumergroup_partition_lag_messages', { ...groupLabels, topic, partition: '1' })).to.equal(0);
    expect(labelledSampleValue(first, 'lagpilot_consumergroup_partition_lag_messages', { ...groupLabels, topic, partition: '2' })).to.equal(10);
    expect(labelledSampleValue(first, 'lagpilot_consumergroup_lag_seconds', groupLabels)).to.be.greaterThan(0);
    expect(labelledSampleValue(first, 'lagpilot_kafka_brokers_online', { cluster: 'local' })).to.equal(1);
    expect(labelledSampleValue(first, 'lagpilot_kafka_partitions_offline', { cluster: 'local' })).to.equal(0);
    expect(labelledSampleValue(first, 'lagpilot_kafka_broker_leaders', { cluster: 'local', broker: '1' })).to.be.at.least(3);
    expect(labelledSampleValue(first, 'lagpilot_collector_duration_seconds_count', { collector: 'kafka-lag' })).to.be.at.least(1);
    expect(labelledSampleValue(first, 'lagpilot_collector_duration_seconds_count', { collector: 'broker-health' })).to.be.at.least(1);
    expect(labelledSampleValue(first, 'lagpilot_collector_errors_total', { collector: 'prometheus', code: 'QUERY_FAILED' })).to.be.at.least(1);
    expect(labelledSampleValue(first, 'lagpilot_target_collection_errors', { target: 'orders', collector: 'prometheus', code: 'QUERY_FAILED' })).to.equal(1);
    expect(labelledSampleValue(first, 'lagpilot_target_collection_partial', { target: 'orders' })).to.equal(1);
    const statuses = ['OK', 'WARN', 'STALL', 'STOP', 'REWIND', 'UNKNOWN'].map((status) => labelledSampleValue(first, 'lagpilot_consumergroup_status', { ...groupLabels, status }));
    expect(statuses.filter((value) => value === 1), 'exactly one current status').to.have.length(1);

    // New messages between evaluations show as a produce rate; nothing consumes, so no consume rate above 0.
    await produceRoundRobin(client, topic, 60, 3);
    const later = await scrapeUntil(
      'a produce rate and a lag of 75',
      (text) => (labelledSampleValue(text, 'lagpilot_topic_produce_rate_messages_per_second', { cluster: 'local', topic }) ?? 0) > 0 && labelledSampleValue(text, 'lagpilot_consumergroup_lag_messages', groupLabels) === 75,
    );
    expect(labelledSampleValue(later, 'lagpilot_consumergroup_consume_rate_messages_per_second', { cluster: 'local', group })).to.equal(0);

    // Prometheus' own parser and linter on the whole scrape: it parses, and lagpilot's series
    // pass the lint (the only findings are prom-client's default process metrics, which name
    // three gauges "…_total").
    const scratch = mkdtempSync(join(tmpdir(), 'lagpilot-scrape-'));
    const scrapeFile = join(scratch, 'metrics.txt');
    writeFileSync(scrapeFile, later);
    const [promtool] = await ensurePackageBinaries('prometheus', ['promtool']);
    const check = spawnSync('sh', ['-c', `"${promtool}" check metrics < "${scrapeFile}"`], { encoding: 'utf8', timeout: 30_000 });
    rmSync(scratch, { recursive: true, force: true });
    const findings = `${check.stdout}${check.stderr}`.split('\n').filter((line) => line.trim() !== '');
    expect(findings.filter((line) => !/^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/.test(line)), findings.join('\n')).to.deep.equal([]);
  });
});
