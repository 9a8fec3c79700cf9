import { expect } from 'chai';
import fc from 'fast-check';
import {
  batchMoves,
  planReassignment,
  rackLimit,
  type PartitionAssignment,
  type PartitionMove,
  type PlannedBroker,
  type ReassignmentPlan,
} from './reassignment-planner.ts';

interface Scenario {
  assignments: PartitionAssignment[];
  before: number[];
  after: PlannedBroker[];
  racks: number;
}

/** Brokers 1..n; with racks, broker i is in rack i mod racks. */
function brokersUpTo(count: number, racks: number): PlannedBroker[] {
  return Array.from({ length: count }, (_, index) => ({ nodeId: index + 1, rack: racks === 0 ? null : `rack-${String((index + 1) % racks)}` }));
}

/**
 * A cluster of `before` brokers whose topics were placed at random (each partition's replicas
 * distinct, and rack-valid when racks are used), scaled to `after` brokers.
 */
function scenarios(options: { racks: boolean }): fc.Arbitrary<Scenario> {
  return fc
    .record({
      before: fc.integer({ min: 1, max: 6 }),
      after: fc.integer({ min: 1, max: 7 }),
      racks: options.racks ? fc.integer({ min: 2, max: 3 }) : fc.constant(0),
      topics: fc.array(fc.record({ partitions: fc.integer({ min: 1, max: 12 }), replicationFactor: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 }),
      seed: fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
    })
    .map(({ before, after, racks, topics, seed }) => {
      const brokers = brokersUpTo(before, racks);
      let cursor = 0;
      const next = () => seed[cursor++ % seed.length] ?? 0;
      const assignments: PartitionAssignment[] = [];
      topics.forEach(({ partitions, replicationFactor }, topicIndex) => {
        const factor = Math.min(replicationFactor, before);
        const limit = rackLimit(factor, brokers, racks > 0);
        for (let partition = 0; partition < partitions; partition++) {
          const replicas: number[] = [];
          const rackCounts = new Map<string, number>();
          while (replicas.length < factor) {
            const allowed = brokers.filter((b) => !replicas.includes(b.nodeId) && (rackCounts.get(b.rack ?? '') ?? 0) < limit);
            const chosen = allowed[next() % allowed.length];
            if (chosen === undefined) break;
            replicas.push(chosen.nodeId);
            rackCounts.set(chosen.rack ?? '', (rackCounts.get(chosen.rack ?? '') ?? 0) + 1);
          }
          assignments.push({ topic: `t${String(topicIndex)}`, partition, replicas });
        }
      });
      return { assignments, before: brokers.map((b) => b.nodeId), after: brokersUpTo(after, racks), racks };
    });
}

function applyPlan(assignments: PartitionAssignment[], plan: ReassignmentPlan): PartitionAssignment[] {
  const byKey = new Map(plan.moves.map((move) => [`${move.topic}/${String(move.partition)}`, move.to]));
  return assignments.map((a) => ({ ...a, replicas: byKey.get(`${a.topic}/${String(a.partition)}`) ?? a.replicas }));
}

function topicsOf(assignments: PartitionAssignment[]): Map<string, PartitionAssignment[]> {
  const byTopic = new Map<string, PartitionAssignment[]>();
  for (const a of assignments) byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a]);
  return byTopic;
}

function countsOn(assignments: PartitionAssignment[], brokers: number[], leadersOnly: boolean): number[] {
  return brokers.map((nodeId) => assignments.filter((a) => (leadersOnly ? a.replicas[0] === nodeId : a.replicas.includes(nodeId))).length);
}

function spread(counts: number[]): number {
  return Math.max(...counts) - Math.min(...counts);
}

const targetIds = (brokers: PlannedBroker[]) => brokers.map((b) => b.nodeId);

describe('reassignment planner', () => {
  it('keeps every partition\'s replication factor, with distinct replicas, all on the target brokers', () => {
    fc.assert(
      fc.property(scenarios({ racks: false }), ({ assignments, after }) => {
        const plan = planReassignment({ assignments, brokers: after, rackAware: false });
        const result = applyPlan(assignments, plan);
        for (const [index, partition] of result.entries()) {
          expect(partition.replicas).to.have.length(assignments[index]?.replicas.length ?? -1);
          expect(new Set(partition.replicas).size).to.equal(partition.replicas.length);
        }
        const fits = assignments.every((a) => a.replicas.length <= after.length);
        expect(plan.unplaceable.length === 0).to.equal(fits);
        if (fits) for (const partition of result) expect(targetIds(after)).to.include.members(partition.replicas);
      }),
    );
  });

  it('balances each topic\'s replicas and preferred leaders across the target brokers (counts differ by at most 1)', () => {
    fc.assert(
      fc.property(scenarios({ racks: false }), ({ assignments, after }) => {
        fc.pre(assignments.every((a) => a.replicas.length <= after.length));
        const result = applyPlan(assignments, planReassignment({ assignments, brokers: after, rackAware: false }));
        for (const [topic, partitions] of topicsOf(result)) {
          expect(spread(countsOn(partitions, targetIds(after), false)), `replicas of ${topic}`).to.be.at.most(1);
          expect(spread(countsOn(partitions, targetIds(after), true)), `leaders of ${topic}`).to.be.at.most(1);
        }
      }),
    );
  });

  it('moves no more replicas than needed: exactly the least that balances a topic, plus at most one per drained replica', () => {
    fc.assert(
      fc.property(scenarios({ racks: false }), ({ assignments, after }) => {
        fc.pre(assignments.every((a) => a.replicas.length <= after.length));
        const plan = planReassignment({ assignments, brokers: after, rackAware: false });
        const targets = targetIds(after);
        let drainedTotal = 0;
        let balancingBound = 0;
        for (const partitions of topicsOf(assignments).values()) {
          const total = partitions.reduce((sum, a) => sum + a.replicas.length, 0);
          const floor = Math.floor(total / targets.length);
          const ceil = Math.ceil(total / targets.length);
          const counts = countsOn(partitions, targets, false);
          drainedTotal += partitions.reduce((sum, a) => sum + a.replicas.filter((nodeId) => !targets.includes(nodeId)).length, 0);
          const lacking = counts.reduce((sum, count) => sum + Math.max(0, floor - count), 0);
          const surplus = counts.reduce((sum, count) => sum + Math.max(0, count - ceil), 0);
          balancingBound += Math.max(lacking, surplus);
        }
        // Every move gives one broker one replica: the emptiest brokers' shortfall and the surplus
        // of the fullest are each a lower bound when nothing is drained.
        if (drainedTotal === 0) expect(plan.replicaMoves).to.equal(balancingBound);
        else expect(plan.replicaMoves).to.be.within(drainedTotal, drainedTotal + balancingBound);
      }),
    );
  });

  it('is idempotent: planning again on the planned assignment moves nothing', () => {
    fc.assert(
      fc.property(scenarios({ racks: false }), ({ assignments, after }) => {
        fc.pre(assignments.every((a) => a.replicas.length <= after.length));
        const result = applyPlan(assignments, planReassignment({ assignments, brokers: after, rackAware: false }));
        expect(planReassignment({ assignments: result, brokers: after, rackAware: false }).moves).to.deep.equal([]);
      }),
    );
  });

  it('honours racks: no rack holds more than its share of a partition\'s replicas, before or after any move', () => {
    fc.assert(
      fc.property(scenarios({ racks: true }), ({ assignments, after }) => {
        const plan = planReassignment({ assignments, brokers: after, rackAware: true });
        const rackOf = new Map(after.map((b) => [b.nodeId, b.rack]));
        for (const partition of applyPlan(assignments, plan)) {
          if (!partition.replicas.every((nodeId) => rackOf.has(nodeId))) continue;
          const limit = rackLimit(partition.replicas.length, after, true);
          const perRack = new Map<string, number>();
          for (const nodeId of partition.replicas) perRack.set(rackOf.get(nodeId) ?? '', (perRack.get(rackOf.get(nodeId) ?? '') ?? 0) + 1);
          expect(Math.max(...perRack.values()), `${partition.topic}[${String(partition.partition)}] ${partition.replicas.join(',')}`).to.be.at.most(limit);
        }
        const fits = assignments.every((a) => a.replicas.length <= after.length);
        if (!fits) expect(plan.unplaceable).to.not.be.empty;
      }),
    );
  });

  it('splits the moves into batches of at most the concurrency limit, in plan order', () => {
    const move = (partition: number): PartitionMove => ({ topic: 't', partition, from: [1], to: [2] });
    fc.assert(
      fc.property(fc.array(fc.nat(50).map(move), { maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (moves, limit) => {
        const batches = batchMoves(moves, limit);
        for (const batch of batches) expect(batch.length).to.be.within(1, limit);
        expect(batches.flat()).to.deep.equal(moves);
      }),
    );
    expect(() => batchMoves([], 0)).to.throw(RangeError, 'maxConcurrentMoves must be a positive integer, not 0');
  });

  it('scales 3 -> 4 brokers for a 12-partition topic of RF 2: broker 4 gets 6 replicas and 3 leaders, 6 replica moves', () => {
    const assignments = Array.from({ length: 12 }, (_, partition) => ({ topic: 'orders', partition, replicas: [(partition % 3) + 1, ((partition + 1) % 3) + 1] }));
    const plan = planReassignment({ assignments, brokers: brokersUpTo(4, 0), rackAware: false });
    const result = applyPlan(assignments, plan);
    expect(countsOn(result, [1, 2, 3, 4], false)).to.deep.equal([6, 6, 6, 6]);
    expect(countsOn(result, [1, 2, 3, 4], true)).to.deep.equal([3, 3, 3, 3]);
    expect(plan.replicaMoves).to.equal(6);
    expect(plan.unplaceable).to.deep.equal([]);
  });

  it('names the replicas it cannot drain: RF 3 cannot live on 2 brokers', () => {
    const plan = planReassignment({ assignments: [{ topic: 'x', partition: 0, replicas: [1, 2, 3] }], brokers: brokersUpTo(2, 0), rackAware: false });
    expect(plan.unplaceable).to.deep.equal([{ topic: 'x', partition: 0, nodeId: 3, reason: 'replication factor 3 needs 3 brokers, only 2 would remain' }]);
  });
});
