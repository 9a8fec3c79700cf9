// The partition reassignment plan of the brokers actuator: a pure function from the replica
// lists in force and the brokers that should hold replicas to the replica lists to ask Kafka for.
//
// Per topic, in three passes, each touching as little as it can:
// 1. drain: a replica on a broker that is not in the target set is replaced, in place, by the
//    target broker with the fewest replicas of the topic (rack rules permitting);
// 2. balance: while two brokers' replica counts of the topic differ by 2 or more, one replica
//    moves from the fuller to the emptier one; every move closes that gap by one, so the number
//    of replica moves is the least that balances the topic;
// 3. leaders: the preferred leader (the first replica) is shifted along chains of partitions
//    until the brokers' leader counts differ by at most 1 where the replica lists allow it. Only
//    the order of a list changes: no data moves for it.
// Ties are broken by the broker's replica count over all topics, then by the lower node id, so
// the plan is deterministic and spreads the remainders of uneven topics across the brokers.
//
// Racks (when rackAware): no rack holds more of a partition's replicas than
// ceil(replication factor / racks among the target brokers): one per rack when there are enough
// racks. A move that would break this is not made.

export interface PartitionAssignment {
  topic: string;
  partition: number;
  /** Replica node ids; the first is the preferred leader. */
  replicas: number[];
}

export interface PlannedBroker {
  nodeId: number;
  rack: string | null;
}

export interface PlanInput {
  assignments: PartitionAssignment[];
  /** The brokers that hold the replicas once the plan is done (brokers not listed are drained). */
  brokers: PlannedBroker[];
  rackAware: boolean;
  /** False: only drain (move replicas off brokers outside the target set), balance nothing. Default true. */
  balance?: boolean;
}

export interface PartitionMove {
  topic: string;
  partition: number;
  from: number[];
  to: number[];
}

export interface UnplaceableReplica {
  topic: string;
  partition: number;
  /** The broker whose replica could not be moved. */
  nodeId: number;
  reason: string;
}

export interface ReassignmentPlan {
  /** Partitions whose replica list changes, in topic then partition order. */
  moves: PartitionMove[];
  /** Replicas that have to be copied to a new broker (a reorder copies nothing). */
  replicaMoves: number;
  /** Partitions whose preferred leader changes. */
  leaderChanges: number;
  /** Replicas on brokers outside the target set that no target broker can take. */
  unplaceable: UnplaceableReplica[];
}

interface LeaderStep {
  entry: TopicState['partitions'][number];
  from: number;
  to: number;
}

interface TopicState {
  topic: string;
  partitions: { partition: number; replicas: number[] }[];
}

function groupByTopic(assignments: PartitionAssignment[]): TopicState[] {
  const byTopic = new Map<string, TopicState>();
  for (const { topic, partition, replicas } of assignments) {
    const state = byTopic.get(topic) ?? { topic, partitions: [] };
    state.partitions.push({ partition, replicas: [...replicas] });
    byTopic.set(topic, state);
  }
  const topics = [...byTopic.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  for (const state of topics) state.partitions.sort((a, b) => a.partition - b.partition);
  return topics;
}

/** Most replicas of one partition a rack may hold; Infinity when racks are not considered. */
export function rackLimit(replicationFactor: number, brokers: PlannedBroker[], rackAware: boolean): number {
  if (!rackAware) return Number.POSITIVE_INFINITY;
  const racks = new Set(brokers.map((broker) => broker.rack ?? ''));
  return Math.ceil(replicationFactor / Math.max(1, racks.size));
}

class Planner {
  private readonly brokerIds: number[];
  private readonly rackOf: Map<number, string>;
  private readonly globalCount = new Map<number, number>();
  private readonly input: PlanInput;

  constructor(input: PlanInput) {
    this.input = input;
    this.brokerIds = [...new Set(input.brokers.map((broker) => broker.nodeId))].sort((a, b) => a - b);
    this.rackOf = new Map(input.brokers.map((broker) => [broker.nodeId, broker.rack ?? '']));
    for (const { replicas } of input.assignments) {
      for (const nodeId of replicas) this.globalCount.set(nodeId, (this.globalCount.get(nodeId) ?? 0) + 1);
    }
  }

  plan(): ReassignmentPlan {
    const moves: PartitionMove[] = [];
    const unplaceable: UnplaceableReplica[] = [];
    let replicaMoves = 0;
    let leaderChanges = 0;
    for (const state of groupByTopic(this.input.assignments)) {
      const before = new Map(state.partitions.map((p) => [p.partition, [...p.replicas]]));
      this.drain(state, unplaceable);
      if (this.input.balance !== false) {
        this.balanceReplicas(state);
        this.balanceLeaders(state);
      }
      for (const { partition, replicas } of state.partitions) {
        const from = before.get(partition) ?? [];
        if (from.length === replicas.length && from.every((nodeId, index) => replicas[index] === nodeId)) continue;
        moves.push({ topic: state.topic, partition, from, to: replicas });
        replicaMoves += replicas.filter((nodeId) => !from.includes(nodeId)).length;
        if (from[0] !== replicas[0]) leaderChanges++;
      }
    }
    return { moves, replicaMoves, leaderChanges, unplaceable };
  }

  private moveGlobal(from: number, to: number): void {
    this.globalCount.set(from, (this.globalCount.get(from) ?? 0) - 1);
    this.globalCount.set(to, (this.globalCount.get(to) ?? 0) + 1);
  }

  private topicCounts(state: TopicState): Map<number, number> {
    const counts = new Map(this.brokerIds.map((nodeId) => [nodeId, 0]));
    for (const { replicas } of state.partitions) {
      for (const nodeId of replicas) {
        if (counts.has(nodeId)) counts.set(nodeId, (counts.get(nodeId) ?? 0) + 1);
      }
    }
    return counts;
  }

  /** True when `replicas` with the replica at `index` replaced by `candidate` keeps the rack rule. */
  private rackAllows(replicas: number[], index: number, candidate: number): boolean {
    if (!this.input.rackAware) return true;
    const limit = rackLimit(replicas.length, this.input.brokers, true);
    const rack = this.rackOf.get(candidate) ?? '';
    const sameRack = replicas.filter((nodeId, position) => position !== index && (this.rackOf.get(nodeId) ?? '') === rack).length;
    return sameRack + 1 <= limit;
  }

  /** Target brokers ordered as receivers: fewest replicas of the topic, then overall, then lowest id. */
  private receivers(counts: Map<number, number>): number[] {
    return [...this.brokerIds].sort(
      (a, b) => (counts.get(a) ?? 0) - (counts.get(b) ?? 0) || (this.globalCount.get(a) ?? 0) - (this.globalCount.get(b) ?? 0) || a - b,
    );
  }

  private drain(state: TopicState, unplaceable: UnplaceableReplica[]): void {
    const targets = new Set(this.brokerIds);
    const counts = this.topicCounts(state);
    for (const entry of state.partitions) {
      entry.replicas.forEach((nodeId, index) => {
        if (targets.has(nodeId)) return;
        const receiver = this.receivers(counts).find((candidate) => !entry.replicas.includes(candidate) && this.rackAllows(entry.replicas, index, candidate));
        if (receiver === undefined) {
          const reason = entry.replicas.length > this.brokerIds.length
            ? `replication factor ${entry.replicas.length} needs ${entry.replicas.length} brokers, only ${this.brokerIds.length} would remain`
            : 'no remaining broker can take it without breaking the rack rule or holding two replicas of the partition';
          unplaceable.push({ topic: state.topic, partition: entry.partition, nodeId, reason });
          return;
        }
        entry.replicas[index] = receiver;
        counts.set(receiver, (counts.get(receiver) ?? 0) + 1);
        this.moveGlobal(nodeId, receiver);
      });
    }
  }

  private balanceReplicas(state: TopicState): void {
    const counts = this.topicCounts(state);
    for (;;) {
      const donors = [...this.brokerIds].sort(
        (a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || (this.globalCount.get(b) ?? 0) - (this.globalCount.get(a) ?? 0) || a - b,
      );
      const receivers = this.receivers(counts);
      const move = this.findReplicaMove(state, counts, donors, receivers);
      if (move === undefined) return;
      const { entry, index, receiver, donor } = move;
      entry.replicas[index] = receiver;
      counts.set(donor, (counts.get(donor) ?? 0) - 1);
      counts.set(receiver, (counts.get(receiver) ?? 0) + 1);
      this.moveGlobal(donor, receiver);
    }
  }

  private findReplicaMove(
    state: TopicState,
    counts: Map<number, number>,
    donors: number[],
    receivers: number[],
  ): { entry: TopicState['partitions'][number]; index: number; donor: number; receiver: number } | undefined {
    for (const donor of donors) {
      for (const receiver of receivers) {
        if ((counts.get(donor) ?? 0) - (counts.get(receiver) ?? 0) < 2) break;
        // A follower replica first: moving it leaves the partition's leadership where it is.
        let leaderMove: { entry: TopicState['partitions'][number]; index: number } | undefined;
        for (const entry of state.partitions) {
          const index = entry.replicas.indexOf(donor);
          if (index < 0 || entry.replicas.includes(receiver) || !this.rackAllows(entry.replicas, index, receiver)) continue;
          if (index > 0) return { entry, index, donor, receiver };
          leaderMove ??= { entry, index };
        }
        if (leaderMove !== undefined) return { ...leaderMove, donor, receiver };
      }
    }
    return undefined;
  }

  private balanceLeaders(state: TopicState): void {
    const leaders = new Map(this.brokerIds.map((nodeId) => [nodeId, 0]));
    for (const { replicas } of state.partitions) {
      const leader = replicas[0];
      if (leader !== undefined && leaders.has(leader)) leaders.set(leader, (leaders.get(leader) ?? 0) + 1);
    }
    // Each shift lowers the sum of squared leader counts, so this ends.
    for (;;) {
      const most = Math.max(...leaders.values());
      const overloaded = this.brokerIds.filter((nodeId) => leaders.get(nodeId) === most);
      const path = overloaded.map((start) => this.leaderShiftPath(state, leaders, start, most - 2)).find((found) => found !== undefined);
      if (path === undefined) return;
      // Each step is a different partition (each is led by a different broker of the chain).
      for (const { entry, from, to } of path) {
        const position = entry.replicas.indexOf(to);
        entry.replicas[position] = from;
        entry.replicas[0] = to;
      }
      const first = path[0];
      const last = path[path.length - 1];
      if (first === undefined || last === undefined) return;
      leaders.set(first.from, (leaders.get(first.from) ?? 0) - 1);
      leaders.set(last.to, (leaders.get(last.to) ?? 0) + 1);
    }
  }

  /**
   * Breadth-first over "x leads a partition that y also holds": a chain of leadership hand-overs
   * from `start` to a broker leading at most `atMost` partitions, or undefined.
   */
  private leaderShiftPath(
    state: TopicState,
    leaders: Map<number, number>,
    start: number,
    atMost: number,
  ): LeaderStep[] | undefined {
    const cameFrom = new Map<number, LeaderStep | null>([[start, null]]);
    const queue = [start];
    while (queue.length > 0) {
      const current = queue.shift();
      if (current === undefined) break;
      for (const entry of state.partitions) {
        if (entry.replicas[0] !== current) continue;
        for (const next of entry.replicas.slice(1)) {
          if (cameFrom.has(next) || !leaders.has(next)) continue;
          cameFrom.set(next, { entry, from: current, to: next });
          if ((leaders.get(next) ?? 0) <= atMost) {
            const path: LeaderStep[] = [];
            for (let step = cameFrom.get(next); step != null; step = cameFrom.get(step.from)) path.unshift(step);
            return path;
          }
          queue.push(next);
        }
      }
    }
    return undefined;
  }
}

/** The reassignment that drains brokers outside the target set and balances replicas and leaders. */
export function planReassignment(input: PlanInput): ReassignmentPlan {
  return new Planner(input).plan();
}

/** The moves in batches of at most `maxConcurrentMoves` partitions, in plan order. */
export function batchMoves(moves: PartitionMove[], maxConcurrentMoves: number): PartitionMove[][] {
  if (!Number.isInteger(maxConcurrentMoves) || maxConcurrentMoves < 1) {
    throw new RangeError(`maxConcurrentMoves must be a positive integer, not ${String(maxConcurrentMoves)}`);
  }
  const batches: PartitionMove[][] = [];
  for (let start = 0; start < moves.length; start += maxConcurrentMoves) batches.push(moves.slice(start, start + maxConcurrentMoves));
  return batches;
}
