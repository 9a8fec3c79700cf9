import { expect } from 'chai';
import type { ClusterConfig } from '../config/schema.ts';
import type {
  CommittedOffset,
  ConsumerGroupDescription,
  KafkaAdminPort,
  ListedOffset,
  OffsetSpec,
  TopicDescription,
  TopicPartition,
} from '../kafka/admin-port.ts';
import { KafkaAdminError } from '../kafka/errors.ts';
import { KafkaClusterRegistry } from './kafka-clusters.ts';
import { KafkaLagCollector, type LagTarget } from './kafka-lag.ts';

const cluster: ClusterConfig = { name: 'c1', bootstrap: ['127.0.0.1:9092'], clientId: 'test' };

/** A two-topic cluster in memory: topic "a" on leader 1, topic "b" partition 0 on leader 1 and partition 1 on leader 2. */
class FakeAdmin {
  calls: { method: string; argument: unknown }[] = [];
  failLeader: number | undefined;
  hang = false;
  readonly leaders = new Map([['a/0', 1], ['a/1', 1], ['b/0', 1], ['b/1', 2]]);

  async #record<T>(method: string, argument: unknown, answer: () => T): Promise<T> {
    this.calls.push({ method, argument });
    if (this.hang) await new Promise(() => undefined);
    return answer();
  }

  describeTopics(topics: string[]): Promise<TopicDescription[]> {
    return this.#record('describeTopics', topics, () =>
      topics.map((name) => ({ name, topicId: name, partitions: [0, 1].map((partition) => ({ partition, leader: this.leaders.get(`${name}/${String(partition)}`) ?? -1, replicas: [], isr: [] })) })),
    );
  }

  fetchCommittedOffsets(groupIds: string[]): Promise<Map<string, CommittedOffset[]>> {
    return this.#record('fetchCommittedOffsets', groupIds, () =>
      new Map(groupIds.map((group) => [group, group === 'g1' ? [{ topic: 'a', partition: 0, offset: 4n, metadata: null }, { topic: 'b', partition: 1, offset: 2n, metadata: null }] : []])),
    );
  }

  describeConsumerGroups(groupIds: string[]): Promise<Map<string, ConsumerGroupDescription>> {
    return this.#record('describeConsumerGroups', groupIds, () =>
      new Map(groupIds.map((groupId) => [groupId, { groupId, groupType: 'classic' as const, state: groupId === 'g1' ? 'Empty' : 'Dead', assignor: '', members: [] }])),
    );
  }

  listOffsets(partitions: TopicPartition[], spec: OffsetSpec): Promise<ListedOffset[]> {
    return this.#record('listOffsets', { partitions, spec }, () => {
      if (this.failLeader !== undefined && partitions.some((p) => this.leaders.get(`${p.topic}/${String(p.partition)}`) === this.failLeader)) {
        throw new KafkaAdminError('BROKER_UNREACHABLE', 'listOffsets', `broker ${String(this.failLeader)} at 127.0.0.1:9093: connection refused`);
      }
      return partitions.map((p) => ({ ...p, offset: spec.kind === 'earliest' ? 1n : 10n, timestampMs: -1 }));
    });
  }

  requestCounts(): Record<string, number> {
    return {};
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setUp(): { admin: FakeAdmin; collector: KafkaLagCollector } {
  const admin = new FakeAdmin();
  const registry = new KafkaClusterRegistry([cluster], { createAdmin: () => admin as unknown as KafkaAdminPort });
  return { admin, collector: new KafkaLagCollector(registry) };
}

function target(name: string, group: string, topics: string[]): LagTarget {
  return { name, cluster: 'c1', consumerGroup: group, topics, offsetReset: 'earliest', lagSeconds: 'off' };
}

const context = (signal = new AbortController().signal): { nowMs: number; signal: AbortSignal } => ({ nowMs: 1_000_000, signal });

describe('KafkaLagCollector (fake admin)', () => {
  it('serves many targets with one call of each kind, for the union of their topics and groups', async () => {
    const { admin, collector } = setUp();
    const sweep = await collector.sweep([target('t1', 'g1', ['a', 'b']), target('t2', 'g2', ['a']), target('t3', 'g1', ['b'])], context());
    expect(admin.calls.map((call) => call.method).sort()).to.deep.equal(['describeConsumerGroups', 'describeTopics', 'fetchCommittedOffsets', 'listOffsets', 'listOffsets']);
    expect(admin.calls.find((call) => call.method === 'describeTopics')?.argument).to.deep.equal(['a', 'b']);
    expect(admin.calls.find((call) => call.method === 'fetchCommittedOffsets')?.argument).to.deep.equal(['g1', 'g2']);
    const t1 = sweep.groups.get('t1');
    // a/0 committed 4: 6; a/1 none, earliest: 9; b/0 none: 9; b/1 committed 2: 8.
    expect(t1?.partitions.map((p) => Number(p.lag))).to.deep.equal([6, 9, 9, 8]);
    expect(t1?.totalLag).to.equal(32n);
    expect(t1?.errors).to.deep.equal([]);
    expect(sweep.groups.get('t2')?.errors.map((e) => e.code)).to.deep.equal(['UNKNOWN_GROUP']);
  });

  it('retries ListOffsets per leader so a dead broker costs only its own partitions', async () => {
    const { admin, collector } = setUp();
    admin.failLeader = 2;
    const report = (await collector.sweep([target('t1', 'g1', ['a', 'b'])], context())).groups.get('t1');
    expect(report?.partitions.map((p) => (p.lag === null ? p.flags.join() : Number(p.lag)))).to.deep.equal([6, 9, 9, 'offsets-unavailable']);
    expect(report?.partial).to.equal(true);
    expect(report?.errors.map((e) => e.code)).to.deep.equal(['UNREACHABLE', 'UNREACHABLE']);
    expect(report?.errors[0]?.message).to.contain('broker 2 of cluster c1 (127.0.0.1:9092)');
    expect(report?.totalLag).to.equal(24n);
  });

  it('answers at once with TIMEOUT when the tick is aborted while Kafka does not answer', async () => {
    const { admin, collector } = setUp();
    admin.hang = true;
    const controller = new AbortController();
    const sweep = collector.sweep([target('t1', 'g1', ['a'])], context(controller.signal));
    setTimeout(() => { controller.abort(new Error('tick timeout of 10s')); }, 20);
    const startedAt = Date.now();
    const report = (await sweep).groups.get('t1');
    expect(Date.now() - startedAt).to.be.below(1000);
    expect(report?.errors.map((e) => e.code)).to.deep.equal(['TIMEOUT']);
    expect(report?.errors[0]?.message).to.contain('was abandoned: tick timeout of 10s');
    expect(report?.partial).to.equal(true);
  });

  it('turns a report into samples, without per-partition series when they are switched off', async () => {
    const { collector } = setUp();
    const result = await collector.collect(target('t1', 'g1', ['a']), context());
    expect(result.samples.find((s) => s.name === 'consumergroup_lag_messages')).to.deep.include({ value: 15, unit: 'messages', labels: { target: 't1', cluster: 'c1', group: 'g1' } });
    expect(result.samples.filter((s) => s.name === 'consumergroup_partition_lag_messages')).to.have.length(2);
    const registry = new KafkaClusterRegistry([cluster], { createAdmin: () => new FakeAdmin() as unknown as KafkaAdminPort });
    const quiet = new KafkaLagCollector(registry, { partitionSamples: false });
    const fewer = await quiet.collect(target('t1', 'g1', ['a']), context());
    expect(fewer.samples.map((s) => s.name).sort()).to.deep.equal(['consumergroup_lag_messages', 'consumergroup_members', 'consumergroup_status']);
  });
});
