// Watching groups without scaling them (config `monitor`): `lagpilot run` in-process against the
// local Kafka, one entry selecting groups by pattern with an exclusion, one group scaled by a
// target as well. What /metrics shows must equal Kafka's own ConsumerGroupCommand --describe; a
// group created mid-test must appear, and a deleted group's series must disappear.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { parseConfigText } from '../../src/config/loader.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { ensureService } from '../env/environment.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import { labelledSampleValue } from './daemon-process.ts';
import { describeConsumerGroupOffsets } from './kafka-tools.ts';
import { produceRoundRobin, withKafkaAdmin } from './kafkajs-admin.ts';

const { Kafka, logLevel } = kafkajs;

/** Every sample line of `name` whose labels include group="…". */
function seriesOfGroup(text: string, name: string, group: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) && line.includes(`group="${group}"`));
}

describe('group monitor: groups watched without scaling, against Kafka\'s own tool', function () {
  const prefix = `lagpilot-it-mon-${randomUUID().slice(0, 8)}`;
  const topic = `${prefix}-topic`;
  const watched = [`${prefix}-orders-1`, `${prefix}-orders-2`];
  const appearing = `${prefix}-orders-3`;
  const excluded = `${prefix}-orders-test`;
  const unmatched = `${prefix}-billing`;
  const scaled = `${prefix}-orders-scaled`;
  const allGroups = [...watched, appearing, excluded, unmatched, scaled];
  let kafka: KafkaDetails;
  let daemon: RunningDaemon | undefined;
  let client: InstanceType<typeof Kafka>;

  async function commit(group: string, offsets: number[]): Promise<void> {
    await withKafkaAdmin(client, async (admin) => {
      await admin.setOffsets({ groupId: group, topic, partitions: offsets.map((offset, partition) => ({ partition, offset: String(offset) })) });
    });
  }

  before(async function () {
    this.timeout(180_000);
    kafka = await ensureService<KafkaDetails>('kafka');
    client = new Kafka({ clientId: 'lagpilot-monitor-test', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    await withKafkaAdmin(client, async (admin) => {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).to.equal(true);
    });
    // 10 records on each partition.
    await produceRoundRobin(client, topic, 30, 3);
    await commit(watched[0] ?? '', [5, 10, 0]);
    await commit(watched[1] ?? '', [2, 3, 4]);
    await commit(excluded, [0, 0, 0]);
    await commit(unmatched, [1, 1, 1]);
    await commit(scaled, [9, 9, 9]);
  });

  after(async function () {
    this.timeout(60_000);
    await daemon?.stop();
    await withKafkaAdmin(client, async (admin) => {
      const existing = new Set((await admin.listGroups()).groups.map((group) => group.groupId));
      await admin.deleteGroups(allGroups.filter((group) => existing.has(group)));
      await admin.deleteTopics({ topics: [topic] });
    });
  });

  async function scrapeUntil(what: string, done: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
    if (daemon === undefined) throw new Error('the daemon did not start');
    const giveUpAt = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < giveUpAt) {
      const response = await fetch(`http://127.0.0.1:${String(daemon.port)}/metrics`, { signal: AbortSignal.timeout(5_000) });
      text = await response.text();
      if (done(text)) return text;
      await sleep(250);
    }
    const ours = text.split('\n').filter((line) => line.includes(prefix) || line.startsWith('lagpilot_monitor_') || line.startsWith('lagpilot_collector_errors_total'));
    throw new Error(`${what} not on /metrics within ${String(timeoutMs)} ms; the test's series:\n${ours.join('\n')}`);
  }

  it('exports the matching groups as Kafka reports them, follows groups that appear and disappear, and leaves a scaled group to its target', async function () {
    this.timeout(120_000);
    const parsed = parseConfigText(
      `
server: {host: 127.0.0.1, port: 0, partitionMetrics: true}
clusters: [{name: local, bootstrap: ["${kafka.bootstrap}"]}]
targets:
  - name: scaled
    cluster: local
    consumerGroup: ${scaled}
    topics: [${topic}]
    interval: 1s
    tickTimeout: 1s
    replicas: {max: 3}
    lag: {targetMessagesPerReplica: 100}
    lagCollection: {lagSeconds: off}
    actuator: {kind: dryRun}
monitor:
  - name: orders
    cluster: local
    groupPattern: "${prefix}-orders-.*"
    excludeGroupPattern: "${excluded}"
    interval: 1s
    lagSeconds: exact
    partitionSeries: true
`,
      { sourceName: 'group-monitor test', environment: {} },
    );
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    daemon = await startDaemon({ config: parsed.config, logger: createLogger({ level: 'error' }), version: 'test' });

    const groupLabels = (group: string) => ({ target: '', cluster: 'local', group });
    // A status needs two observations; until then it is UNKNOWN.
    const text = await scrapeUntil('the lag and status of both watched groups', (metrics) =>
      watched.every((group) => labelledSampleValue(metrics, 'lagpilot_consumergroup_lag_messages', groupLabels(group)) !== undefined &&
        labelledSampleValue(metrics, 'lagpilot_consumergroup_status', { ...groupLabels(group), status: 'UNKNOWN' }) === 0) &&
      labelledSampleValue(metrics, 'lagpilot_consumergroup_lag_messages', { target: 'scaled' }) !== undefined);

    for (const group of watched) {
      // Nothing is produced or committed any more: this is a quiet moment for both readers.
      const reference = await describeConsumerGroupOffsets(kafka, group);
      expect(reference).to.have.length(3);
      const referenceLag = reference.reduce((sum, row) => sum + (row.lag ?? Number.NaN), 0);
      expect(labelledSampleValue(text, 'lagpilot_consumergroup_lag_messages', groupLabels(group)), `${group} lag`).to.equal(referenceLag);
      for (const row of reference) {
        const partitionLabels = { ...groupLabels(group), topic, partition: String(row.partition) };
        expect(labelledSampleValue(text, 'lagpilot_consumergroup_partition_lag_messages', partitionLabels), `${group}/${String(row.partition)} lag`).to.equal(row.lag);
        expect(labelledSampleValue(text, 'lagpilot_consumergroup_partition_committed_offset', partitionLabels), `${group}/${String(row.partition)} committed`).to.equal(row.currentOffset);
        expect(labelledSampleValue(text, 'lagpilot_partition_log_end_offset', { cluster: 'local', topic, partition: String(row.partition) })).to.equal(row.logEndOffset);
      }
      expect(labelledSampleValue(text, 'lagpilot_consumergroup_members', groupLabels(group))).to.equal(0);
      // No members and no commits while a partition has lag: Burrow's STOP (the group takes its worst partition).
      expect(labelledSampleValue(text, 'lagpilot_consumergroup_status', { ...groupLabels(group), status: 'STOP' }), `${group} status`).to.equal(1);
      // Exact mode: the oldest unconsumed record was produced seconds ago.
      expect(labelledSampleValue(text, 'lagpilot_consumergroup_lag_seconds', groupLabels(group))).to.be.within(0, 600);
    }
    expect(labelledSampleValue(text, 'lagpilot_consumergroup_lag_messages', groupLabels(watched[0] ?? ''))).to.equal(15);
    expect(labelledSampleValue(text, 'lagpilot_consumergroup_lag_messages', groupLabels(watched[1] ?? ''))).to.equal(21);
    expect(seriesOfGroup(text, 'lagpilot_consumergroup_lag_messages', excluded), 'the excluded group').to.deep.equal([]);
    expect(seriesOfGroup(text, 'lagpilot_consumergroup_lag_messages', unmatched), 'the unmatched group').to.deep.equal([]);
    // The scaled group is exported once, by its target, although the pattern matches it.
    expect(seriesOfGroup(text, 'lagpilot_consumergroup_lag_messages', scaled)).to.deep.equal([
      `lagpilot_consumergroup_lag_messages{target="scaled",cluster="local",group="${scaled}"} 3`,
    ]);
    expect(labelledSampleValue(text, 'lagpilot_monitor_groups', { monitor: 'orders', cluster: 'local' })).to.equal(2);
    expect(labelledSampleValue(text, 'lagpilot_monitor_stale', { monitor: 'orders', cluster: 'local' })).to.equal(0);

    await commit(appearing, [10, 10, 7]);
    const withNewGroup = await scrapeUntil('the group created mid-test', (metrics) =>
      labelledSampleValue(metrics, 'lagpilot_consumergroup_lag_messages', groupLabels(appearing)) !== undefined);
    const appearingReference = await describeConsumerGroupOffsets(kafka, appearing);
    expect(labelledSampleValue(withNewGroup, 'lagpilot_consumergroup_lag_messages', groupLabels(appearing)))
      .to.equal(appearingReference.reduce((sum, row) => sum + (row.lag ?? Number.NaN), 0))
      .and.to.equal(3);

    const deleted = watched[1] ?? '';
    await withKafkaAdmin(client, async (admin) => { await admin.deleteGroups([deleted]); });
    const afterDeletion = await scrapeUntil('the deleted group gone', (metrics) =>
      seriesOfGroup(metrics, 'lagpilot_consumergroup_lag_messages', deleted).length === 0);
    for (const name of ['lagpilot_consumergroup_partition_lag_messages', 'lagpilot_consumergroup_partition_committed_offset', 'lagpilot_consumergroup_members', 'lagpilot_consumergroup_status']) {
      expect(seriesOfGroup(afterDeletion, name, deleted), `${name} of the deleted group`).to.deep.equal([]);
    }
    expect(labelledSampleValue(afterDeletion, 'lagpilot_consumergroup_lag_messages', groupLabels(watched[0] ?? ''))).to.equal(15);
    expect(labelledSampleValue(afterDeletion, 'lagpilot_monitor_groups', { monitor: 'orders', cluster: 'local' })).to.equal(2);
    expect(labelledSampleValue(afterDeletion, 'lagpilot_collector_duration_seconds_count', { collector: 'group-monitor' })).to.be.at.least(3);
  });
});
