import { expect } from 'chai';
import type { ClusterDescription, KafkaAdminPort, LogDirDescription, TopicDescription } from '../kafka/admin-port.ts';
import { KafkaAdminError } from '../kafka/errors.ts';
import { BrokerHealthCollector, summarizeReplication } from './broker-health.ts';
import type { Sample } from './collector.ts';

function fakeAdmin(parts: Partial<KafkaAdminPort>): KafkaAdminPort {
  return new Proxy(parts, {
    get(target, property: string) {
      const own = (target as Record<string, unknown>)[property];
      if (own !== undefined) return own;
      return () => { throw new Error(`the broker-health collector must not call ${property}`); };
    },
  }) as KafkaAdminPort;
}

const nowMs = 1_700_000_000_000;
const context = { nowMs, signal: new AbortController().signal };

const threeBrokers: ClusterDescription = {
  clusterId: 'c',
  controllerId: 2,
  brokers: [1, 2, 3].map((nodeId) => ({ nodeId, host: '127.0.0.1', port: 9000 + nodeId, rack: null })),
};

const topics: TopicDescription[] = [
  {
    name: 'orders',
    topicId: 't1',
    partitions: [
      { partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] },
      { partition: 1, leader: 2, replicas: [2, 3, 1], isr: [2, 1] },
      { partition: 2, leader: -1, replicas: [3], isr: [] },
    ],
  },
];

const logDirs: LogDirDescription[] = [
  { brokerId: 1, path: '/data/1', totalBytes: 1000n, usableBytes: 400n, partitions: [{ topic: 'orders', partition: 0, sizeBytes: 50n }, { topic: 'orders', partition: 1, sizeBytes: 25n }] },
  { brokerId: 2, path: '/data/2', totalBytes: -1n, usableBytes: -1n, partitions: [{ topic: 'orders', partition: 1, sizeBytes: 30n }, { topic: '__consumer_offsets', partition: 0, sizeBytes: 1n }] },
];

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

describe('summarizeReplication', () => {
  it('counts under-replicated and offline partitions, replicas and leaders per broker', () => {
    const summary = summarizeReplication(topics);
    expect(summary.partitions).to.equal(3);
    expect(summary.underReplicated).to.equal(2);
    expect(summary.offline).to.equal(1);
    expect(Object.fromEntries(summary.replicasByBroker)).to.deep.equal({ 1: 2, 2: 2, 3: 3 });
    expect(Object.fromEntries(summary.leadersByBroker)).to.deep.equal({ 1: 1, 2: 1 });
  });
});

describe('BrokerHealthCollector', () => {
  it('reports brokers, controller, replication and disk, describing only the non-internal topics the log directories list', async () => {
    const described: string[][] = [];
    const admin = fakeAdmin({
      describeCluster: () => Promise.resolve({ ...threeBrokers, brokers: threeBrokers.brokers.filter((broker) => broker.nodeId !== 3) }),
      describeLogDirs: () => Promise.resolve(logDirs),
      describeTopics: (names) => { described.push(names); return Promise.resolve(topics); },
    });
    const result = await new BrokerHealthCollector(admin).collect({ cluster: 'main' }, context);
    expect(result.errors).to.deep.equal([]);
    expect(described).to.deep.equal([['orders']]);
    const { samples } = result;
    expect(samples.every((sample) => sample.labels.cluster === 'main' && sample.timestampMs === nowMs && sample.source === 'broker-health')).to.be.true;
    expect(valueOf(samples, 'cluster_brokers_online')).to.equal(2);
    expect(valueOf(samples, 'cluster_controller_id')).to.equal(2);
    expect(valueOf(samples, 'cluster_partitions_under_replicated')).to.equal(2);
    expect(valueOf(samples, 'cluster_partitions_offline')).to.equal(1);
    expect(valueOf(samples, 'broker_online', { broker: '3' })).to.equal(0);
    expect(valueOf(samples, 'broker_online', { broker: '1' })).to.equal(1);
    expect(valueOf(samples, 'cluster_brokers_missing')).to.equal(1);
    expect(valueOf(samples, 'broker_leaders', { broker: '3' })).to.equal(0);
    expect(valueOf(samples, 'broker_partitions', { broker: '3' })).to.equal(3);
    expect(valueOf(samples, 'broker_log_dir_used_bytes', { broker: '1', log_dir: '/data/1' })).to.equal(600);
    expect(valueOf(samples, 'broker_log_dir_partition_bytes', { broker: '1' })).to.equal(75);
    // A volume the broker does not report is left out rather than shown as -1 bytes.
    expect(valueOf(samples, 'broker_log_dir_used_bytes', { broker: '2' })).to.be.undefined;
  });

  it('describes the configured topics and counts brokers missing against the expected count', async () => {
    const described: string[][] = [];
    const admin = fakeAdmin({
      describeCluster: () => Promise.resolve({ ...threeBrokers, brokers: threeBrokers.brokers.slice(0, 2) }),
      describeLogDirs: () => Promise.resolve([]),
      describeTopics: (names) => { described.push(names); return Promise.resolve([]); },
    });
    const result = await new BrokerHealthCollector(admin).collect({ cluster: 'main', topics: ['a', 'b'], expectedBrokers: 4 }, context);
    expect(described).to.deep.equal([['a', 'b']]);
    expect(valueOf(result.samples, 'cluster_brokers_missing')).to.equal(2);
  });

  it('turns each failed request into an error value and keeps what the others read', async () => {
    const admin = fakeAdmin({
      describeCluster: () => Promise.reject(new KafkaAdminError('BROKER_UNREACHABLE', 'describeCluster', 'cluster: connect ECONNREFUSED 127.0.0.1:1')),
      describeLogDirs: () => Promise.resolve(logDirs),
      describeTopics: () => Promise.reject(new KafkaAdminError('UNKNOWN_TOPIC', 'describeTopics', 'topic orders does not exist')),
    });
    const result = await new BrokerHealthCollector(admin).collect({ cluster: 'main' }, context);
    expect(result.partial).to.be.true;
    expect(result.errors.map((error) => error.code)).to.deep.equal(['UNREACHABLE', 'UNKNOWN_TOPIC']);
    expect(result.errors[0]?.message).to.contain('cluster main').and.contain('ECONNREFUSED');
    expect(result.errors[1]?.message).to.contain('describing topics orders');
    expect(valueOf(result.samples, 'broker_log_dir_used_bytes', { broker: '1' })).to.equal(600);
    expect(valueOf(result.samples, 'cluster_brokers_online')).to.be.undefined;
  });

  it('shares one check between collections of the same cluster within the reuse period', async () => {
    let describes = 0;
    const admin = fakeAdmin({
      describeCluster: () => { describes += 1; return Promise.resolve(threeBrokers); },
      describeLogDirs: () => Promise.resolve([]),
    });
    const collector = new BrokerHealthCollector(admin, { reuseForMs: 5_000 });
    const at = (ms: number) => ({ nowMs: nowMs + ms, signal: new AbortController().signal });
    const [first, concurrent] = await Promise.all([collector.collect({ cluster: 'main' }, at(0)), collector.collect({ cluster: 'main' }, at(0))]);
    await collector.collect({ cluster: 'main' }, at(4_999));
    expect(describes).to.equal(1);
    expect(concurrent).to.equal(first);
    await collector.collect({ cluster: 'main', expectedBrokers: 3 }, at(4_999));
    expect(describes, 'other settings are another check').to.equal(2);
    await collector.collect({ cluster: 'main' }, at(5_000));
    expect(describes, 'the period is over').to.equal(3);
  });
});
