import { expect } from 'chai';
import { CapacityTracker, MemoryCapacityStore, activeMembers, learnCapacity, saturatedPerReplicaRate, type CapacityStore, type LearnedCapacity } from './capacity.ts';
import type { Sample } from './collector.ts';

const t0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const at = (seconds: number): number => t0 + seconds * 1000;

function sample(name: string, value: number, seconds: number): Sample {
  return { name, value, unit: 'count', labels: { target: 't' }, timestampMs: at(seconds), source: 'test' };
}

/** One evaluation's samples: the lag, the members and the consume rate over the last `windowSeconds`. */
function evaluation(seconds: number, lag: number, members: number, rate?: number, windowSeconds = 30): Sample[] {
  const samples = [sample('consumergroup_lag_messages', lag, seconds), sample('consumergroup_members', members, seconds)];
  if (rate !== undefined) samples.push(sample('consumergroup_consume_rate', rate, seconds), sample('consumergroup_consume_rate_window_seconds', windowSeconds, seconds));
  return samples;
}

describe('saturatedPerReplicaRate', () => {
  const history = [
    { timestampMs: at(0), lagMessages: 1000 },
    { timestampMs: at(30), lagMessages: 1200 },
  ];

  it('divides the consume rate by the members when the backlog did not fall', () => {
    expect(saturatedPerReplicaRate({ consumeRate: 300, fromMs: at(0), toMs: at(30), activeMembers: 3, lagHistory: history })).to.equal(100);
  });

  it('measures nothing while the backlog falls, without a backlog, or without members', () => {
    const falling = [{ timestampMs: at(0), lagMessages: 1000 }, { timestampMs: at(30), lagMessages: 900 }];
    expect(saturatedPerReplicaRate({ consumeRate: 300, fromMs: at(0), toMs: at(30), activeMembers: 3, lagHistory: falling })).to.be.null;
    const empty = [{ timestampMs: at(0), lagMessages: 0 }, { timestampMs: at(30), lagMessages: 0 }];
    expect(saturatedPerReplicaRate({ consumeRate: 300, fromMs: at(0), toMs: at(30), activeMembers: 3, lagHistory: empty })).to.be.null;
    expect(saturatedPerReplicaRate({ consumeRate: 300, fromMs: at(0), toMs: at(30), activeMembers: 0, lagHistory: history })).to.be.null;
  });

  it('measures nothing when the lag history does not reach back to the window start', () => {
    expect(saturatedPerReplicaRate({ consumeRate: 300, fromMs: at(-10), toMs: at(30), activeMembers: 3, lagHistory: history })).to.be.null;
  });

  it('measures nothing when members joined or left during the window, since the group was rebalancing', () => {
    const joining = [
      { timestampMs: at(0), lagMessages: 1000, members: 2 },
      { timestampMs: at(15), lagMessages: 1100, members: 4 },
      { timestampMs: at(30), lagMessages: 1200, members: 4 },
    ];
    expect(saturatedPerReplicaRate({ consumeRate: 300, fromMs: at(0), toMs: at(30), activeMembers: 4, lagHistory: joining })).to.be.null;
    const steady = joining.map((point) => ({ ...point, members: 4 }));
    expect(saturatedPerReplicaRate({ consumeRate: 300, fromMs: at(0), toMs: at(30), activeMembers: 4, lagHistory: steady })).to.equal(75);
  });

  it('looks only at the membership inside the window', () => {
    const changedBefore = [
      { timestampMs: at(-20), lagMessages: 900, members: 1 },
      { timestampMs: at(0), lagMessages: 1000, members: 3 },
      { timestampMs: at(30), lagMessages: 1200, members: 3 },
    ];
    expect(saturatedPerReplicaRate({ consumeRate: 300, fromMs: at(0), toMs: at(30), activeMembers: 3, lagHistory: changedBefore })).to.equal(100);
  });
});

describe('activeMembers', () => {
  it('counts at most one consuming member per partition the group reads', () => {
    const partitionSample = (partition: number): Sample => ({ ...sample('consumergroup_partition_lag_messages', 5, 0), labels: { target: 't', topic: 'a', partition: String(partition) } });
    expect(activeMembers(5, [partitionSample(0), partitionSample(1), partitionSample(1)])).to.equal(2);
    expect(activeMembers(1, [partitionSample(0), partitionSample(1)])).to.equal(1);
    expect(activeMembers(3, []), 'without partition samples every member counts').to.equal(3);
  });
});

describe('learnCapacity', () => {
  it('takes the first measurement as is and smooths the next ones', () => {
    const first = learnCapacity(null, 100, at(0));
    expect(first).to.deep.equal({ perReplica: 100, measurements: 1, updatedAtMs: at(0) });
    const second = learnCapacity(first, 200, at(30));
    expect(second.perReplica).to.equal(120);
    expect(second.measurements).to.equal(2);
  });
});

describe('CapacityTracker', () => {
  it('learns while the group is saturated, keeps it in the store and reports it', async () => {
    const store = new MemoryCapacityStore();
    const tracker = new CapacityTracker(store);
    const target = { target: 't' };
    expect((await tracker.observe(target, evaluation(0, 1000, 2), at(0))).samples).to.deep.equal([]);
    const update = await tracker.observe(target, evaluation(30, 1100, 2, 500), at(30));
    expect(update.storeError).to.be.undefined;
    const byName = Object.fromEntries(update.samples.map((s) => [s.name, s]));
    expect(byName.consumer_capacity_learned?.value).to.equal(250);
    expect(byName.consumer_capacity?.value).to.equal(250);
    expect(byName.consumer_capacity?.labels).to.deep.equal({ target: 't', origin: 'measured' });
    expect(await store.load('t')).to.deep.equal({ perReplica: 250, measurements: 1, updatedAtMs: at(30) });

    // Draining: what was learned stays, nothing new is measured.
    const draining = await tracker.observe(target, evaluation(60, 200, 2, 900), at(60));
    expect(draining.samples.find((s) => s.name === 'consumer_capacity_measurements')?.value).to.equal(1);
  });

  it('starts from what the store kept, so a restart does not forget', async () => {
    const store = new MemoryCapacityStore();
    await store.save('t', { perReplica: 80, measurements: 7, updatedAtMs: at(-3600) });
    const update = await new CapacityTracker(store).observe({ target: 't' }, evaluation(0, 10, 1), at(0));
    expect(update.samples.find((s) => s.name === 'consumer_capacity')?.value).to.equal(80);
  });

  it('reports the configured figure as the capacity, and what it learned beside it', async () => {
    const tracker = new CapacityTracker(new MemoryCapacityStore());
    await tracker.observe({ target: 't', configuredPerReplica: 40 }, evaluation(0, 1000, 2), at(0));
    const update = await tracker.observe({ target: 't', configuredPerReplica: 40 }, evaluation(30, 1000, 2, 100), at(30));
    const capacity = update.samples.find((s) => s.name === 'consumer_capacity');
    expect([capacity?.value, capacity?.labels.origin]).to.deep.equal([40, 'configured']);
    expect(update.samples.find((s) => s.name === 'consumer_capacity_learned')?.value).to.equal(50);
  });

  it('says when the store fails and still reports the configured figure', async () => {
    const broken: CapacityStore = {
      load: (): Promise<LearnedCapacity | null> => Promise.reject(new Error('redis: connection refused')),
      save: (): Promise<void> => Promise.reject(new Error('unreachable')),
      close: (): Promise<void> => Promise.resolve(),
    };
    const update = await new CapacityTracker(broken).observe({ target: 't', configuredPerReplica: 40 }, evaluation(0, 1000, 2), at(0));
    expect(update.storeError).to.contain('capacity of target t').and.contain('connection refused');
    expect(update.samples.map((s) => s.name)).to.deep.equal(['consumer_capacity']);
  });
});
