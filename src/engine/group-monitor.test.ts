import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { CollectionContext } from '../collectors/collector.ts';
import type { GroupReport, LagTarget, SweepReport } from '../collectors/kafka-lag.ts';
import type { MonitorEntryConfig } from '../config/schema.ts';
import type { CommittedOffset, ConsumerGroupListing, KafkaAdminPort } from '../kafka/admin-port.ts';
import { createLogger } from '../logging/logger.ts';
import { registerCollectorMetrics, type CollectorExposition } from '../server/collector-metrics.ts';
import { Writable } from 'node:stream';
import { GroupMonitor, type MonitorClusters, type MonitorLagSweeper } from './group-monitor.ts';

const quietLogger = createLogger({ level: 'error', stream: new Writable({ write: (_chunk, _encoding, done) => { done(); } }) });

function entry(overrides: Partial<MonitorEntryConfig> = {}): MonitorEntryConfig {
  return { name: 'all', cluster: 'main', groupPattern: 'app-.*', interval: 10_000, lagSeconds: 'none', offsetReset: 'latest', partitionSeries: false, ...overrides };
}

/** A cluster whose groups each consume one partition of topic "t" with the given committed offset; log end 100. */
class FakeCluster implements MonitorClusters, MonitorLagSweeper {
  committed = new Map<string, number>();
  failListing: Error | undefined;
  forgotten: string[] = [];
  sweptTargets: LagTarget[] = [];

  admin(): Pick<KafkaAdminPort, 'listConsumerGroups' | 'fetchCommittedOffsets'> {
    return {
      listConsumerGroups: () => {
        if (this.failListing !== undefined) return Promise.reject(this.failListing);
        return Promise.resolve([...this.committed.keys()].map((groupId): ConsumerGroupListing => ({ groupId, state: 'Empty', protocolType: 'consumer', groupType: 'classic' })));
      },
      fetchCommittedOffsets: (groupIds: string[]) =>
        Promise.resolve(new Map(groupIds.map((group): [string, CommittedOffset[]] => [group, [{ topic: 't', partition: 0, offset: BigInt(this.committed.get(group) ?? 0), metadata: '' }]]))),
    };
  }

  label(cluster: string): string {
    return cluster;
  }

  sweep(targets: readonly LagTarget[], context: CollectionContext): Promise<SweepReport> {
    this.sweptTargets = [...targets];
    const groups = new Map<string, GroupReport>();
    for (const target of targets) {
      const committed = BigInt(this.committed.get(target.consumerGroup) ?? 0);
      groups.set(target.name, {
        target: target.name, cluster: target.cluster, group: target.consumerGroup, state: 'Empty', groupType: 'classic', members: [], topics: ['t'],
        partitions: [{ topic: 't', partition: 0, leader: 1, committedOffset: committed, logStartOffset: 0n, logEndOffset: 100n, lag: 100n - committed, resumeOffset: committed, flags: [], lagSeconds: null, lagSecondsQuality: null, consumer: null }],
        totalLag: 100n - committed, maxLagSeconds: null, status: { status: 'STOP', reason: 'no members', partitions: [] }, errors: [], partial: false, timestampMs: context.nowMs,
      });
    }
    return Promise.resolve({ groups, requests: new Map(), durationMs: 1 });
  }

  forget(_cluster: string, targetName: string): void {
    this.forgotten.push(targetName);
  }
}

interface ScrapeSource {
  registry: Registry;
  exposition: CollectorExposition;
}

/**
 * The series of `name` in what /metrics would serve (the registry's text, then the sample-fed
 * families), read back from the text: labels here carry no escaped characters.
 */
async function metricValues(metrics: ScrapeSource, name: string): Promise<{ labels: Record<string, string>; value: number }[]> {
  const text = `${await metrics.registry.metrics()}\n${metrics.exposition.text()}`;
  if (!new RegExp(`^# TYPE ${name} `, 'm').test(text)) throw new Error(`${name} is not exported`);
  const series: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((label) => [label[1] ?? '', label[2] ?? '']));
    series.push({ labels, value: Number(match[3]) });
  }
  return series;
}

describe('group monitor', () => {
  let clock = 1_000_000;
  const now = (): number => clock;

  function setUp(entries: MonitorEntryConfig[], targets: { cluster: string; consumerGroup: string }[] = []) {
    const cluster = new FakeCluster();
    const registry = new Registry();
    const monitor = new GroupMonitor({ entries, targets, clusters: cluster, lag: cluster, registry, logger: quietLogger, now });
    const exposition = registerCollectorMetrics({ registry, collections: { all: () => [], version: 0 }, partitionSeries: true, watched: monitor.samples });
    return { cluster, metrics: { registry, exposition }, monitor };
  }

  it('exports the lag of every matching group with an empty target label, and drops a group that is no longer listed', async () => {
    const { cluster, metrics, monitor } = setUp([entry({ excludeGroupPattern: 'app-test' })]);
    cluster.committed = new Map([['app-a', 40], ['app-b', 90], ['app-test', 0], ['other', 0]]);
    const first = await monitor.sweepNow('all');
    expect(first).to.include({ groups: 2, partialGroups: 0 });
    expect(await metricValues(metrics, 'lagpilot_consumergroup_lag_messages')).to.have.deep.members([
      { labels: { target: '', cluster: 'main', group: 'app-a' }, value: 60 },
      { labels: { target: '', cluster: 'main', group: 'app-b' }, value: 10 },
    ]);
    const statuses = await metricValues(metrics, 'lagpilot_consumergroup_status');
    expect(statuses.filter((s) => s.value === 1).map((s) => [s.labels.group, s.labels.status])).to.have.deep.members([['app-a', 'STOP'], ['app-b', 'STOP']]);
    // Partition series stay off unless the entry asks for them.
    expect(await metricValues(metrics, 'lagpilot_consumergroup_partition_lag_messages')).to.deep.equal([]);

    cluster.committed.delete('app-b');
    cluster.committed.set('app-a', 70);
    clock += 10_000;
    await monitor.sweepNow('all');
    expect(monitor.watchedGroups('all')).to.deep.equal(['app-a']);
    expect(cluster.forgotten).to.deep.equal(['monitor/all/app-b']);
    expect(await metricValues(metrics, 'lagpilot_consumergroup_lag_messages')).to.deep.equal([{ labels: { target: '', cluster: 'main', group: 'app-a' }, value: 30 }]);
    // 30 messages committed in 10 s.
    expect(await metricValues(metrics, 'lagpilot_consumergroup_consume_rate_messages_per_second')).to.deep.equal([{ labels: { cluster: 'main', group: 'app-a' }, value: 3 }]);
  });

  it('leaves a group a target scales, or an earlier entry watches, to its owner', async () => {
    const { cluster, monitor } = setUp([entry({ name: 'first', groups: ['app-a'], groupPattern: undefined }), entry({ name: 'second', groupPattern: '.*' })], [{ cluster: 'main', consumerGroup: 'scaled' }]);
    cluster.committed = new Map([['app-a', 1], ['app-b', 1], ['scaled', 1]]);
    await monitor.sweepNow('first');
    await monitor.sweepNow('second');
    expect(monitor.watchedGroups('first')).to.deep.equal(['app-a']);
    expect(monitor.watchedGroups('second')).to.deep.equal(['app-b']);
  });

  it('exports partition series when the entry asks, and reads the committed topics through the topic filter', async () => {
    const { cluster, metrics, monitor } = setUp([entry({ partitionSeries: true, topicPattern: 't' })]);
    cluster.committed = new Map([['app-a', 25]]);
    await monitor.sweepNow('all');
    expect(cluster.sweptTargets.map((target) => target.topics)).to.deep.equal([['t']]);
    expect(await metricValues(metrics, 'lagpilot_consumergroup_partition_lag_messages')).to.deep.equal([
      { labels: { target: '', cluster: 'main', group: 'app-a', topic: 't', partition: '0' }, value: 75 },
    ]);
  });

  it('marks the entry stale and withdraws its series when the listing fails, counting the error; recovers at the next good sweep', async () => {
    const { cluster, metrics, monitor } = setUp([entry()]);
    cluster.committed = new Map([['app-a', 40]]);
    await monitor.sweepNow('all');
    cluster.failListing = new Error('connection refused');
    const failed = await monitor.sweepNow('all');
    expect(failed.failure).to.match(/could not list the consumer groups of cluster main: connection refused/);
    expect(await metricValues(metrics, 'lagpilot_monitor_stale')).to.deep.equal([{ labels: { monitor: 'all', cluster: 'main' }, value: 1 }]);
    expect(await metricValues(metrics, 'lagpilot_consumergroup_lag_messages')).to.deep.equal([]);
    expect(await metricValues(metrics, 'lagpilot_collector_errors_total')).to.deep.equal([{ labels: { collector: 'group-monitor', code: 'QUERY_FAILED' }, value: 1 }]);

    cluster.failListing = undefined;
    await monitor.sweepNow('all');
    expect(await metricValues(metrics, 'lagpilot_monitor_stale')).to.deep.equal([{ labels: { monitor: 'all', cluster: 'main' }, value: 0 }]);
    expect(await metricValues(metrics, 'lagpilot_consumergroup_lag_messages')).to.have.length(1);
  });

  it('tells after each scheduled sweep that it swept (the heap release waits for it), and not once stopped', async () => {
    const cluster = new FakeCluster();
    cluster.committed = new Map([['app-a', 40]]);
    let swept = 0;
    const monitor = new GroupMonitor({ entries: [entry({ interval: 20 })], targets: [], clusters: cluster, lag: cluster, registry: new Registry(), logger: quietLogger, now, afterSweep: () => { swept += 1; } });
    monitor.start();
    const giveUpAt = Date.now() + 5_000;
    while (swept < 2 && Date.now() < giveUpAt) await new Promise((resolveWait) => setTimeout(resolveWait, 10));
    await monitor.stop();
    expect(swept, 'two scheduled sweeps within 5 s').to.be.at.least(2);
    const afterStop = swept;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    expect(swept).to.equal(afterStop);
  });

  it('runs the sweeps of one entry one after the other, however many are asked for at once', async () => {
    const { cluster, monitor } = setUp([entry()]);
    cluster.committed.set('app-a', 10);
    let inFlight = 0;
    let mostInFlight = 0;
    const sweep = cluster.sweep.bind(cluster);
    cluster.sweep = async (...args: Parameters<FakeCluster['sweep']>): Promise<SweepReport> => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight -= 1;
      return sweep(...args);
    };
    const outcomes = await Promise.all([monitor.sweepNow('all'), monitor.sweepNow('all'), monitor.sweepNow('all')]);
    expect(outcomes.map((outcome) => [outcome.groups, outcome.failure])).to.deep.equal([[1, undefined], [1, undefined], [1, undefined]]);
    expect(mostInFlight).to.equal(1);
  });

  it('names the entries it has when asked for another', async () => {
    const { monitor } = setUp([entry()]);
    let message = '';
    try {
      await monitor.sweepNow('missing');
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).to.equal('no monitor entry named missing (entries: all)');
  });
});
