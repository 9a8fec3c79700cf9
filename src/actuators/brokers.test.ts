import { expect } from 'chai';
import { brokersActuatorSchema } from '../config/schema/actuators.ts';
import type { ConfigChange, KafkaAdminPort, OngoingReassignment, ReassignmentRequest, TopicDescription } from '../kafka/admin-port.ts';
import { KafkaAdminError } from '../kafka/errors.ts';
import type { Decision } from '../policies/types.ts';
import { BrokersActuator } from './brokers.ts';
import type { BrokerPool } from './brokers-pool.ts';

/** A cluster held in memory: reassignments complete at once unless `stuck`, and every write is recorded. */
class FakeCluster {
  brokers = [1, 2, 3];
  topics = new Map<string, number[][]>();
  ongoing: OngoingReassignment[] = [];
  stuck = false;
  failWith: Error | undefined;
  readonly submitted: ReassignmentRequest[][] = [];
  readonly configChanges: ConfigChange[][] = [];
  readonly elections: number[] = [];
  readonly describedTopics: string[][] = [];
  clusterDescriptions = 0;

  admin(): KafkaAdminPort {
    const check = () => {
      if (this.failWith !== undefined) throw this.failWith;
    };
    const port: Partial<KafkaAdminPort> = {
      listPartitionReassignments: () => {
        check();
        return Promise.resolve(this.ongoing);
      },
      describeCluster: () => {
        this.clusterDescriptions += 1;
        return Promise.resolve({ clusterId: 'c', controllerId: 1, brokers: this.brokers.map((nodeId) => ({ nodeId, host: '127.0.0.1', port: 9000 + nodeId, rack: null })) });
      },
      listTopics: () => Promise.resolve([...this.topics.keys()]),
      describeTopics: (names) => {
        this.describedTopics.push([...names]);
        return Promise.resolve(
          names.map((name): TopicDescription => ({
            name,
            topicId: name,
            partitions: (this.topics.get(name) ?? []).map((replicas, partition) => ({ partition, leader: replicas[0] ?? -1, replicas, isr: replicas })),
          })),
        );
      },
      describeConfigs: (resources) =>
        Promise.resolve(resources.map((resource) => ({ ...resource, entries: new Map([['min.insync.replicas', { name: 'min.insync.replicas', value: '2', readOnly: false, isDefault: false, isSensitive: false }]]) }))),
      describeLogDirs: () => Promise.resolve([]),
      incrementalAlterConfigs: (changes) => {
        this.configChanges.push(changes);
        return Promise.resolve();
      },
      alterPartitionReassignments: (requests) => {
        this.submitted.push(requests);
        for (const { topic, partition, replicas } of requests) {
          if (replicas === null) {
            this.ongoing = this.ongoing.filter((entry) => !(entry.topic === topic && entry.partition === partition));
            continue;
          }
          const partitions = this.topics.get(topic) ?? [];
          const from = partitions[partition] ?? [];
          if (this.stuck) this.ongoing.push({ topic, partition, replicas, addingReplicas: replicas.filter((id) => !from.includes(id)), removingReplicas: [] });
          else partitions[partition] = replicas;
        }
        return Promise.resolve();
      },
      electPreferredLeaders: (partitions) => {
        this.elections.push(partitions.length);
        return Promise.resolve(partitions.map((p) => ({ ...p, error: null })));
      },
      unregisterBroker: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    return port as KafkaAdminPort;
  }
}

function fakePool(cluster: FakeCluster): BrokerPool & { resizes: number[] } {
  const resizes: number[] = [];
  return {
    description: 'test pool',
    resizes,
    nodeIds: (count) => [1, 2, 3, 4].slice(0, count),
    size: () => Promise.resolve(cluster.brokers.length),
    resize(count) {
      resizes.push(count);
      cluster.brokers = [1, 2, 3, 4].slice(0, count);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

function decision(current: number, desired: number): Decision {
  return { time: 0, current, desired, action: desired > current ? 'scaleUp' : desired < current ? 'scaleDown' : 'none', reasons: [], recommendations: [] };
}

function actuator(cluster: FakeCluster, settings: Record<string, unknown> = {}): { actuator: BrokersActuator; pool: ReturnType<typeof fakePool> } {
  const config = brokersActuatorSchema.parse({
    kind: 'brokers',
    bootstrap: ['127.0.0.1:9001'],
    pool: { kind: 'localProcess', nodes: [{ nodeId: 1 }, { nodeId: 2 }, { nodeId: 3 }, { nodeId: 4 }] },
    pollInterval: '10ms',
    stallTimeout: '50ms',
    ...settings,
  });
  const pool = fakePool(cluster);
  return { actuator: new BrokersActuator(config, { admin: cluster.admin(), pool }), pool };
}

const target = { name: 'brokers' };
const sixPartitionsOnThree = () => Array.from({ length: 6 }, (_, p) => [(p % 3) + 1, ((p + 1) % 3) + 1]);

describe('brokers actuator', () => {
  it('scales out, moves replicas onto the new broker under throttles, removes them, elects leaders; the same decision again is a noop', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', sixPartitionsOnThree());
    const { actuator: brokers, pool } = actuator(cluster, { maxConcurrentMoves: 2 });
    const result = await brokers.apply({ target, decision: decision(3, 4) });
    expect(result.status, result.detail).to.equal('applied');
    expect(pool.resizes).to.deep.equal([4]);
    expect(cluster.topics.get('orders')?.filter((replicas) => replicas.includes(4))).to.have.length(3);
    expect(cluster.submitted.every((batch) => batch.length <= 2)).to.equal(true);
    const [set, ...removals] = cluster.configChanges;
    expect(set?.find((change) => change.kind === 'topic')?.set).to.have.keys('leader.replication.throttled.replicas', 'follower.replication.throttled.replicas');
    expect(removals.flat().every((change) => change.delete !== undefined && change.set === undefined)).to.equal(true);
    expect(cluster.elections).to.have.length(1);
    const again = await brokers.apply({ target, decision: decision(3, 4) });
    expect(again.status, again.detail).to.equal('noop');
    expect(again.code).to.equal('AlreadyAtDesired');
  });

  it('reads the partitions once per batch (the up-front ISR check stands for the first batch) and the broker list twice', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', sixPartitionsOnThree());
    const { actuator: brokers } = actuator(cluster, { maxConcurrentMoves: 2 });
    const result = await brokers.apply({ target, decision: decision(3, 4) });
    expect(result.status, result.detail).to.equal('applied');
    const batches = cluster.submitted.length;
    expect(batches).to.be.greaterThan(1);
    // The assignments, the up-front check, then one check before each batch after the first.
    expect(cluster.describedTopics).to.deep.equal(Array.from({ length: 1 + batches }, () => ['orders']));
    // The broker list that showed the new broker registered also serves the plan and the throttles;
    // it is read once more only to lift the throttles.
    expect(cluster.configChanges[0]?.filter((change) => change.kind === 'broker').map((change) => change.name)).to.deep.equal(['1', '2', '3', '4']);
    expect(cluster.clusterDescriptions).to.equal(2);
  });

  it('dry run: returns the plan and changes nothing', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', sixPartitionsOnThree());
    const { actuator: brokers, pool } = actuator(cluster, { dryRun: true });
    const result = await brokers.apply({ target, decision: decision(3, 4) });
    expect(result.status).to.equal('dryRun');
    expect(result.plan?.replicaMoves).to.equal(3);
    expect(pool.resizes).to.deep.equal([]);
    expect(cluster.submitted).to.deep.equal([]);
  });

  it('scale in with drain off: refuses while the broker holds replicas, naming them', async () => {
    const cluster = new FakeCluster();
    cluster.brokers = [1, 2, 3, 4];
    cluster.topics.set('orders', [[4, 1], [1, 2]]);
    const { actuator: brokers, pool } = actuator(cluster, { drainBeforeRemove: false });
    const result = await brokers.apply({ target, decision: decision(4, 3) });
    expect(result).to.include({ status: 'failed', code: 'BrokerHoldsReplicas' });
    expect(result.detail).to.equal('broker 4 still holds 1 replicas (orders[0]); not removed (drainBeforeRemove is off: move them first)');
    expect(pool.resizes).to.deep.equal([]);
  });

  it('a stalled batch is reported once, never submitted again, and can be cancelled', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', [[1, 2], [1, 2], [1, 2]]);
    cluster.stuck = true;
    const { actuator: brokers } = actuator(cluster);
    const stalled = await brokers.apply({ target, decision: decision(3, 3) });
    expect(stalled).to.include({ status: 'failed', code: 'ReassignmentStalled' });
    expect(stalled.detail).to.match(/made no progress for 0\.1 s .*not submitted again/);
    const submittedOnce = cluster.submitted.length;
    const again = await brokers.apply({ target, decision: decision(3, 3) });
    expect(again).to.include({ status: 'failed', code: 'ReassignmentInProgress' });
    expect(cluster.submitted).to.have.length(submittedOnce);
    const cancelled = await brokers.cancelReassignments();
    expect(cancelled).to.include({ status: 'applied', code: 'Cancelled' });
    expect(cluster.ongoing).to.deep.equal([]);
    expect(cluster.configChanges.at(-1)?.every((change) => change.delete !== undefined)).to.equal(true);
  });

  it('never throws into the loop: a Kafka failure is a failed result with the error\'s code', async () => {
    const cluster = new FakeCluster();
    cluster.failWith = new KafkaAdminError('BROKER_UNREACHABLE', 'listPartitionReassignments', 'no broker answered');
    const { actuator: brokers } = actuator(cluster);
    const result = await brokers.apply({ target, decision: decision(3, 4) });
    expect(result).to.include({ status: 'failed', code: 'KafkaBROKER_UNREACHABLE' });
    expect(result.detail).to.equal('brokers: listPartitionReassignments: no broker answered');
  });

  it('a pool that cannot start a broker gives a failed result naming it, and moves nothing', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', sixPartitionsOnThree());
    const { actuator: brokers, pool } = actuator(cluster);
    pool.resize = () => Promise.reject(new Error('no room for broker 4'));
    const result = await brokers.apply({ target, decision: decision(3, 4) });
    expect(result).to.include({ status: 'failed', code: 'PoolResizeFailed', detail: 'could not add broker 4: test pool: no room for broker 4' });
    expect(cluster.submitted).to.deep.equal([]);
  });
});
