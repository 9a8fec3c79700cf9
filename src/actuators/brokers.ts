// The `brokers` actuator: changes the Kafka broker count through a broker pool and moves
// partitions to match (docs/brokers.md).
//
// Scale out: start the brokers, wait until the cluster lists them, then move replicas onto them.
// Scale in: move every replica off the brokers that go (a drain), check that they hold nothing,
// then stop and unregister them. Same count: move replicas only if the topics are unbalanced.
// Moves run in batches of at most maxConcurrentMoves partitions under replication throttles that
// are removed when the moves are done; before each batch every partition in it must have a
// leader and at least min.insync.replicas in-sync replicas, or the rest is refused. A batch that
// makes no progress within stallTimeout is reported and left in place (never submitted again);
// cancelReassignments() takes it back.
import type { BrokersActuatorConfig } from '../config/schema/actuators.ts';
import type { BrokerDescription, ConfigChange, KafkaAdminPort, OngoingReassignment, TopicDescription } from '../kafka/admin-port.ts';
import { KafkaAdminError } from '../kafka/errors.ts';
import { PlatformaticKafkaAdmin } from '../kafka/platformatic-admin.ts';
import type { Decision } from '../policies/types.ts';
import { describeError } from './actuator.ts';
import type { ActuationRequest, ActuationResult, Actuator, ActuatorState } from './actuator.ts';
import { KubernetesBrokerPool, LocalProcessBrokerPool, type BrokerPool } from './brokers-pool.ts';
import type { KubernetesScaleOptions } from './kubernetes-scale.ts';
import {
  batchMoves,
  planReassignment,
  type PartitionAssignment,
  type PartitionMove,
  type PlannedBroker,
  type ReassignmentPlan,
} from './reassignment-planner.ts';

export interface BrokersActuationResult extends ActuationResult {
  /** The reassignment computed: what was applied, or what a dry run would apply. */
  plan?: ReassignmentPlan;
}

export interface BrokersActuatorOptions {
  /** Use this admin client (tests); one is created from bootstrap otherwise, and closed by close(). */
  admin?: KafkaAdminPort;
  /** Use this broker pool instead of the one the config describes. */
  pool?: BrokerPool;
  /** For a kubernetes pool: credentials and test hooks of the kubernetesScale actuator. */
  kubernetes?: KubernetesScaleOptions;
}

const brokerThrottleRates = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'];
const leaderThrottledReplicas = 'leader.replication.throttled.replicas';
const followerThrottledReplicas = 'follower.replication.throttled.replicas';

interface MoveOutcome {
  ok: boolean;
  code: string;
  detail: string;
}

function partitionName(entry: { topic: string; partition: number }): string {
  return `${entry.topic}[${String(entry.partition)}]`;
}

/** The first few of a list, for one-line details. */
function sample(items: string[], limit = 5): string {
  return items.length <= limit ? items.join(', ') : `${items.slice(0, limit).join(', ')} and ${String(items.length - limit)} more`;
}

function addedReplicas(move: PartitionMove): number[] {
  return move.to.filter((nodeId) => !move.from.includes(nodeId));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

export class BrokersActuator implements Actuator {
  readonly kind = 'brokers';
  readonly dryRun: boolean;
  private readonly config: BrokersActuatorConfig;
  private readonly admin: KafkaAdminPort;
  private readonly ownsAdmin: boolean;
  private readonly pool: BrokerPool;
  private readonly topicPattern: RegExp;
  /** Where lagpilot has set throttles that are still in force. */
  private readonly throttled = { brokers: new Set<number>(), topics: new Set<string>() };
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(config: BrokersActuatorConfig, options: BrokersActuatorOptions = {}) {
    this.config = config;
    this.dryRun = config.dryRun;
    this.topicPattern = new RegExp(config.topics);
    this.ownsAdmin = options.admin === undefined;
    this.admin =
      options.admin ?? new PlatformaticKafkaAdmin({ bootstrapServers: config.bootstrap, clientId: config.clientId, requestTimeoutMs: config.requestTimeout });
    this.pool = options.pool ?? this.poolFromConfig(options.kubernetes);
  }

  async current(): Promise<ActuatorState> {
    const replicas = await this.pool.size();
    const ongoing = await this.admin.listPartitionReassignments();
    const notices = ongoing.length === 0 ? [] : [`${String(ongoing.length)} partition reassignments in progress: ${sample(ongoing.map(partitionName))}`];
    return { replicas, notices };
  }

  apply(request: ActuationRequest): Promise<BrokersActuationResult> {
    return this.serialized(async () => {
      if (this.closed) return { status: 'failed', code: 'Closed', detail: `${request.target.name}: the brokers actuator is closed` };
      try {
        return await this.applyNow(request.decision);
      } catch (error) {
        const code = error instanceof KafkaAdminError ? `Kafka${error.code}` : 'Unexpected';
        return { status: 'failed', code, detail: `${request.target.name}: ${describeError(error)}` };
      }
    });
  }

  /**
   * Cancels every partition reassignment in progress (AlterPartitionReassignments with no
   * target: the replicas go back to the lists they had) and removes lagpilot's throttles.
   */
  cancelReassignments(): Promise<ActuationResult> {
    return this.serialized(async () => {
      try {
        const ongoing = await this.admin.listPartitionReassignments();
        if (ongoing.length > 0) {
          await this.admin.alterPartitionReassignments(ongoing.map(({ topic, partition }) => ({ topic, partition, replicas: null })));
          for (const { topic } of ongoing) this.throttled.topics.add(topic);
          const deadline = Date.now() + this.config.requestTimeout;
          while ((await this.admin.listPartitionReassignments()).length > 0) {
            if (Date.now() > deadline) {
              return { status: 'failed', code: 'CancelPending', detail: `asked to cancel ${String(ongoing.length)} reassignments; still listed after ${seconds(this.config.requestTimeout)} s` };
            }
            await sleep(this.config.pollInterval);
          }
        }
        const removed = await this.removeThrottles();
        if (ongoing.length === 0) return { status: 'noop', code: 'NothingToCancel', detail: `no partition reassignment in progress${removed}` };
        return { status: 'applied', code: 'Cancelled', detail: `cancelled the reassignment of ${sample(ongoing.map(partitionName))}${removed}` };
      } catch (error) {
        return { status: 'failed', code: 'CancelFailed', detail: `could not cancel the reassignments: ${describeError(error)}` };
      }
    });
  }

  close(): Promise<void> {
    return this.serialized(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.pool.close();
      if (this.ownsAdmin) await this.admin.close();
    });
  }

  private serialized<T>(action: () => Promise<T>): Promise<T> {
    const run = this.queue.then(action);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private poolFromConfig(kubernetes: KubernetesScaleOptions | undefined): BrokerPool {
    const pool = this.config.pool;
    if (pool.kind === 'kubernetes') {
      return new KubernetesBrokerPool({ ...pool, scale: { ...pool.scale, dryRun: this.config.dryRun } }, 'brokers', kubernetes);
    }
    return new LocalProcessBrokerPool(pool, async () => (await this.admin.describeCluster()).brokers.map((broker) => broker.nodeId));
  }

  private async applyNow(decision: Decision): Promise<BrokersActuationResult> {
    const ongoing = await this.admin.listPartitionReassignments();
    if (ongoing.length > 0) {
      return {
        status: 'failed',
        code: 'ReassignmentInProgress',
        detail:
          `${String(ongoing.length)} partition reassignments are still in progress (${sample(ongoing.map(partitionName))}); ` +
          'nothing new is submitted over them: wait for them, or cancel them',
      };
    }
    // Throttles left by a batch that stalled and has finished (or was cancelled) since.
    await this.removeThrottles();
    const before = await this.pool.size();
    const desired = decision.desired;
    if (desired > before) return this.scaleOut(before, desired, decision);
    if (desired < before) return this.scaleIn(before, desired, decision);
    return this.rebalance(before);
  }

  private async scaleOut(before: number, desired: number, decision: Decision): Promise<BrokersActuationResult> {
    const targetIds = this.pool.nodeIds(desired);
    const added = targetIds.filter((nodeId) => !this.pool.nodeIds(before).includes(nodeId));
    const scaled = { replicasBefore: before, replicasAfter: desired };
    if (this.dryRun) {
      const plan = await this.plan(this.plannedBrokers(targetIds, (await this.admin.describeCluster()).brokers));
      return {
        status: 'dryRun',
        code: 'WouldScale',
        detail: `would add broker ${added.join(', ')} to ${this.pool.description} (${String(before)} -> ${String(desired)}) and ${this.describePlan(plan)}`,
        plan,
        ...scaled,
      };
    }
    const startFailure = await this.resizePool(desired, decision);
    if (startFailure !== undefined) return { status: 'failed', code: 'PoolResizeFailed', detail: `could not add broker ${added.join(', ')}: ${startFailure}`, replicasBefore: before };
    const registered = await this.waitForBrokers(targetIds);
    if (registered === undefined) {
      return {
        status: 'failed',
        code: 'RegistrationTimeout',
        detail: `started broker ${added.join(', ')} in ${this.pool.description}, but the cluster did not list ${added.length === 1 ? 'it' : 'them all'} within ${seconds(this.config.registrationTimeout)} s; no partition moved`,
        ...scaled,
      };
    }
    const plan = await this.plan(this.plannedBrokers(targetIds, registered));
    const moved = await this.execute(plan, registered);
    const prefix = `added broker ${added.join(', ')} (${String(before)} -> ${String(desired)}); `;
    if (!moved.ok) return { status: 'failed', code: moved.code, detail: prefix + moved.detail, plan, ...scaled };
    return { status: 'applied', code: 'Scaled', detail: prefix + moved.detail, plan, ...scaled };
  }

  private async scaleIn(before: number, desired: number, decision: Decision): Promise<BrokersActuationResult> {
    const keep = this.pool.nodeIds(desired);
    const removing = this.pool.nodeIds(before).filter((nodeId) => !keep.includes(nodeId));
    const scaled = { replicasBefore: before, replicasAfter: desired };
    const cluster = await this.admin.describeCluster();
    const assignments = await this.assignments();
    const held = this.replicasOn(assignments, removing);
    if (!this.config.drainBeforeRemove && held.length > 0) {
      return {
        status: 'failed',
        code: 'BrokerHoldsReplicas',
        detail: `broker ${removing.join(', ')} still holds ${String(held.length)} replicas (${sample(held)}); not removed (drainBeforeRemove is off: move them first)`,
        replicasBefore: before,
      };
    }
    const plan = await this.plan(this.plannedBrokers(keep, cluster.brokers), assignments);
    if (plan.unplaceable.length > 0) {
      const reasons = plan.unplaceable.map((entry) => `${partitionName(entry)} on broker ${String(entry.nodeId)}: ${entry.reason}`);
      return {
        status: 'failed',
        code: 'CannotDrain',
        detail: `cannot drain broker ${removing.join(', ')}: ${sample(reasons, 3)}; nothing moved, no broker removed`,
        plan,
        replicasBefore: before,
      };
    }
    if (this.dryRun) {
      return {
        status: 'dryRun',
        code: 'WouldScale',
        detail: `would drain broker ${removing.join(', ')} (${this.describePlan(plan)}), then remove it from ${this.pool.description} (${String(before)} -> ${String(desired)})`,
        plan,
        ...scaled,
      };
    }
    const moved = await this.execute(plan, cluster.brokers);
    if (!moved.ok) return { status: 'failed', code: moved.code, detail: `draining broker ${removing.join(', ')}: ${moved.detail}; no broker removed`, plan, replicasBefore: before };
    // A topic created while the drain ran can have put replicas back on them.
    const stillHeld = this.replicasOn(await this.assignments(), removing);
    if (stillHeld.length > 0) {
      return {
        status: 'failed',
        code: 'BrokerHoldsReplicas',
        detail: `broker ${removing.join(', ')} still holds ${String(stillHeld.length)} replicas after the drain (${sample(stillHeld)}); not removed`,
        plan,
        replicasBefore: before,
      };
    }
    const stopFailure = await this.resizePool(desired, decision);
    if (stopFailure !== undefined) {
      return { status: 'failed', code: 'PoolResizeFailed', detail: `drained broker ${removing.join(', ')} (${moved.detail}), but could not remove it: ${stopFailure}`, plan, replicasBefore: before };
    }
    const unregistered = await this.unregister(removing);
    return {
      status: 'applied',
      code: 'Scaled',
      detail: `drained broker ${removing.join(', ')} (${moved.detail}), removed it (${String(before)} -> ${String(desired)})${unregistered}`,
      plan,
      ...scaled,
    };
  }

  private async rebalance(count: number): Promise<BrokersActuationResult> {
    const targetIds = this.pool.nodeIds(count);
    const registered = (await this.admin.describeCluster()).brokers;
    const plan = await this.plan(this.plannedBrokers(targetIds, registered));
    const same = { replicasBefore: count, replicasAfter: count };
    if (plan.moves.length === 0) {
      return { status: 'noop', code: 'AlreadyAtDesired', detail: `${this.pool.description} already runs ${String(count)} brokers and the partitions are balanced`, plan, ...same };
    }
    if (this.dryRun) return { status: 'dryRun', code: 'WouldRebalance', detail: `${String(count)} brokers already; would ${this.describePlan(plan)}`, plan, ...same };
    const moved = await this.execute(plan, registered);
    if (!moved.ok) return { status: 'failed', code: moved.code, detail: `rebalancing ${String(count)} brokers: ${moved.detail}`, plan, ...same };
    return { status: 'applied', code: 'Rebalanced', detail: `${String(count)} brokers already; ${moved.detail}`, plan, ...same };
  }

  /** Resizes the pool; a failure becomes the message of a failed result instead of an exception. */
  private async resizePool(count: number, decision: Decision): Promise<string | undefined> {
    try {
      await this.pool.resize(count, decision);
      return undefined;
    } catch (error) {
      return `${this.pool.description}: ${describeError(error)}`;
    }
  }

  private describePlan(plan: ReassignmentPlan): string {
    return `move ${String(plan.replicaMoves)} replicas of ${String(plan.moves.length)} partitions (${String(plan.leaderChanges)} preferred leader changes)`;
  }

  private plannedBrokers(nodeIds: number[], registered: BrokerDescription[]): PlannedBroker[] {
    return nodeIds.map((nodeId) => ({ nodeId, rack: registered.find((broker) => broker.nodeId === nodeId)?.rack ?? null }));
  }

  /** Every partition of every topic, internal ones included. */
  private async assignments(): Promise<PartitionAssignment[]> {
    const topics = await this.admin.listTopics({ includeInternal: true });
    const described: TopicDescription[] = await this.admin.describeTopics(topics);
    return described.flatMap((topic) => topic.partitions.map((p) => ({ topic: topic.name, partition: p.partition, replicas: p.replicas })));
  }

  private replicasOn(assignments: PartitionAssignment[], nodeIds: number[]): string[] {
    return assignments.filter((a) => a.replicas.some((nodeId) => nodeIds.includes(nodeId))).map(partitionName);
  }

  /** Balances the configured topics over `brokers`; drains every other topic off brokers not listed. */
  private async plan(brokers: PlannedBroker[], known?: PartitionAssignment[]): Promise<ReassignmentPlan> {
    const assignments = known ?? (await this.assignments());
    const rackAware = this.config.rackAware;
    const balanced = planReassignment({ assignments: assignments.filter((a) => this.topicPattern.test(a.topic)), brokers, rackAware });
    const drained = planReassignment({ assignments: assignments.filter((a) => !this.topicPattern.test(a.topic)), brokers, rackAware, balance: false });
    return {
      moves: [...balanced.moves, ...drained.moves],
      replicaMoves: balanced.replicaMoves + drained.replicaMoves,
      leaderChanges: balanced.leaderChanges + drained.leaderChanges,
      unplaceable: [...balanced.unplaceable, ...drained.unplaceable],
    };
  }

  private async waitForBrokers(nodeIds: number[]): Promise<BrokerDescription[] | undefined> {
    const deadline = Date.now() + this.config.registrationTimeout;
    for (;;) {
      try {
        const cluster = await this.admin.describeCluster();
        if (nodeIds.every((nodeId) => cluster.brokers.some((broker) => broker.nodeId === nodeId))) return cluster.brokers;
      } catch {
        // A cluster busy taking a new broker in may miss an answer; the deadline decides.
      }
      if (Date.now() > deadline) return undefined;
      await sleep(this.config.pollInterval);
    }
  }

  private async unregister(nodeIds: number[]): Promise<string> {
    if (!this.config.unregisterRemoved) return '';
    const problems: string[] = [];
    for (const nodeId of nodeIds) {
      try {
        await this.admin.unregisterBroker(nodeId);
      } catch (error) {
        problems.push(`broker ${String(nodeId)}: ${describeError(error)}`);
      }
    }
    return problems.length === 0 ? `, unregistered ${nodeIds.join(', ')}` : `; not unregistered: ${problems.join('; ')}`;
  }

  private async minInsyncReplicas(topics: string[]): Promise<Map<string, number>> {
    const configs = await this.admin.describeConfigs(topics.map((name) => ({ kind: 'topic' as const, name })));
    return new Map(configs.map((config) => [config.name, Number(config.entries.get('min.insync.replicas')?.value ?? '1')]));
  }

  /** Why the partitions of `moves` must not move now, or undefined when they may. */
  private async isrRefusal(moves: PartitionMove[], minIsr: Map<string, number>): Promise<{ code: string; reason: string } | undefined> {
    const topics = [...new Set(moves.map((move) => move.topic))];
    const described = new Map((await this.admin.describeTopics(topics)).map((topic) => [topic.name, topic]));
    const leaderless: string[] = [];
    const underMinIsr: string[] = [];
    for (const move of moves) {
      const partition = described.get(move.topic)?.partitions.find((p) => p.partition === move.partition);
      if (partition === undefined) continue;
      const required = minIsr.get(move.topic) ?? 1;
      if (partition.leader < 0) leaderless.push(partitionName(move));
      else if (partition.isr.length < required) {
        underMinIsr.push(`${partitionName(move)} has ${String(partition.isr.length)} in-sync (${partition.isr.join(',')}) of min.insync.replicas ${String(required)}`);
      }
    }
    if (leaderless.length > 0) return { code: 'PartitionOffline', reason: `${sample(leaderless)} ${leaderless.length === 1 ? 'has' : 'have'} no leader` };
    if (underMinIsr.length > 0) {
      return { code: 'BelowMinIsr', reason: `${sample(underMinIsr, 3)}: moving would risk leaving ${underMinIsr.length === 1 ? 'it' : 'them'} unable to take writes` };
    }
    return undefined;
  }

  /** Moves the plan's partitions in batches; `registered` is the cluster's broker list the plan was made from. */
  private async execute(plan: ReassignmentPlan, registered: BrokerDescription[]): Promise<MoveOutcome> {
    if (plan.moves.length === 0) return { ok: true, code: 'NothingToMove', detail: 'no partition to move' };
    const started = Date.now();
    const minIsr = await this.minInsyncReplicas([...new Set(plan.moves.map((move) => move.topic))]);
    // Nothing is changed when the first check already refuses.
    const upFront = await this.isrRefusal(plan.moves, minIsr);
    if (upFront !== undefined) return { ok: false, code: upFront.code, detail: `refused before any move: ${upFront.reason}` };
    await this.setThrottles(plan.moves, registered);
    let leaveThrottles = false;
    let throttleNote = '';
    let done = 0;
    const batches = batchMoves(plan.moves, this.config.maxConcurrentMoves);
    try {
      for (const [index, batch] of batches.entries()) {
        // The first batch was just checked together with all the others, up front.
        const refusal = index === 0 ? undefined : await this.isrRefusal(batch, minIsr);
        if (refusal !== undefined) {
          return { ok: false, code: refusal.code, detail: `moved ${String(done)} of ${String(plan.moves.length)} partitions, then refused: ${refusal.reason}` };
        }
        await this.admin.alterPartitionReassignments(batch.map((move) => ({ topic: move.topic, partition: move.partition, replicas: move.to })));
        const stalled = await this.follow(batch);
        if (stalled !== undefined) {
          leaveThrottles = true;
          const waiting = stalled.map((entry) => `${partitionName(entry)} adding ${entry.addingReplicas.join(',')}`);
          return {
            ok: false,
            code: 'ReassignmentStalled',
            detail:
              `moved ${String(done)} of ${String(plan.moves.length)} partitions; the reassignment of ${sample(waiting)} made no progress for ` +
              `${seconds(this.config.stallTimeout)} s (throttle ${String(this.config.throttleBytesPerSecond)} B/s); left in progress with its throttles, ` +
              'not submitted again: raise the throttle, wait, or cancel it',
          };
        }
        done += batch.length;
      }
    } finally {
      if (!leaveThrottles) throttleNote = await this.removeThrottles();
    }
    const elected = await this.electLeaders(plan.moves);
    return {
      ok: true,
      code: 'Moved',
      detail: `moved ${String(plan.replicaMoves)} replicas of ${String(plan.moves.length)} partitions in ${String(batches.length)} batches in ${seconds(Date.now() - started)} s${elected}${throttleNote}`,
    };
  }

  /** Polls the batch until Kafka lists none of it; returns what is left if nothing progressed for stallTimeout. */
  private async follow(batch: PartitionMove[]): Promise<OngoingReassignment[] | undefined> {
    const inBatch = new Set(batch.map(partitionName));
    const topics = [...new Set(batch.map((move) => move.topic))];
    let remaining = Number.POSITIVE_INFINITY;
    let copiedBytes = -1n;
    let lastProgress = Date.now();
    for (;;) {
      const ongoing = (await this.admin.listPartitionReassignments(topics)).filter((entry) => inBatch.has(partitionName(entry)));
      if (ongoing.length === 0) return undefined;
      const copied = await this.bytesOnAddingReplicas(ongoing);
      if (ongoing.length < remaining || copied > copiedBytes) lastProgress = Date.now();
      remaining = ongoing.length;
      copiedBytes = copied;
      if (Date.now() - lastProgress >= this.config.stallTimeout) return ongoing;
      await sleep(this.config.pollInterval);
    }
  }

  /** Bytes the adding replicas hold so far: a partition still copying is progress too. */
  private async bytesOnAddingReplicas(ongoing: OngoingReassignment[]): Promise<bigint> {
    const wanted = new Set(ongoing.flatMap((entry) => entry.addingReplicas.map((nodeId) => `${String(nodeId)}/${partitionName(entry)}`)));
    let total = 0n;
    for (const dir of await this.admin.describeLogDirs()) {
      for (const partition of dir.partitions) {
        if (wanted.has(`${String(dir.brokerId)}/${partitionName(partition)}`)) total += partition.sizeBytes;
      }
    }
    return total;
  }

  /** Throttles the copy of the moves' new replicas on the brokers of `registered` that take part in it. */
  private async setThrottles(moves: PartitionMove[], registered: BrokerDescription[]): Promise<void> {
    const copying = moves.filter((move) => addedReplicas(move).length > 0);
    if (copying.length === 0) return;
    const registeredIds = new Set(registered.map((broker) => broker.nodeId));
    const brokers = [...new Set(copying.flatMap((move) => [...move.from, ...move.to]))].filter((nodeId) => registeredIds.has(nodeId)).sort((a, b) => a - b);
    const rate = String(this.config.throttleBytesPerSecond);
    const changes: ConfigChange[] = brokers.map((nodeId) => ({
      kind: 'broker',
      name: String(nodeId),
      set: Object.fromEntries(brokerThrottleRates.map((name) => [name, rate])),
    }));
    for (const topic of [...new Set(copying.map((move) => move.topic))]) {
      const ofTopic = copying.filter((move) => move.topic === topic);
      // The leaders serving the copy are the current replicas; the followers are the new ones.
      const leaders = ofTopic.flatMap((move) => move.from.map((nodeId) => `${String(move.partition)}:${String(nodeId)}`));
      const followers = ofTopic.flatMap((move) => addedReplicas(move).map((nodeId) => `${String(move.partition)}:${String(nodeId)}`));
      changes.push({ kind: 'topic', name: topic, set: { [leaderThrottledReplicas]: leaders.join(','), [followerThrottledReplicas]: followers.join(',') } });
    }
    for (const nodeId of brokers) this.throttled.brokers.add(nodeId);
    for (const change of changes) if (change.kind === 'topic') this.throttled.topics.add(change.name);
    await this.admin.incrementalAlterConfigs(changes);
  }

  /** Removes the throttles lagpilot set; returns a note for the detail when some could not be removed. */
  private async removeThrottles(): Promise<string> {
    if (this.throttled.brokers.size === 0 && this.throttled.topics.size === 0) return '';
    const registered = new Set((await this.admin.describeCluster()).brokers.map((broker) => broker.nodeId));
    const existing = new Set(await this.admin.listTopics({ includeInternal: true }));
    const problems: string[] = [];
    for (const nodeId of [...this.throttled.brokers]) {
      // A broker that is gone took its dynamic settings' meaning with it.
      if (!registered.has(nodeId)) {
        this.throttled.brokers.delete(nodeId);
        continue;
      }
      try {
        await this.admin.incrementalAlterConfigs([{ kind: 'broker', name: String(nodeId), delete: brokerThrottleRates }]);
        this.throttled.brokers.delete(nodeId);
      } catch (error) {
        problems.push(`broker ${String(nodeId)}: ${describeError(error)}`);
      }
    }
    for (const topic of [...this.throttled.topics]) {
      if (!existing.has(topic)) {
        this.throttled.topics.delete(topic);
        continue;
      }
      try {
        await this.admin.incrementalAlterConfigs([{ kind: 'topic', name: topic, delete: [leaderThrottledReplicas, followerThrottledReplicas] }]);
        this.throttled.topics.delete(topic);
      } catch (error) {
        problems.push(`topic ${topic}: ${describeError(error)}`);
      }
    }
    return problems.length === 0 ? '' : `; throttles not removed: ${problems.join('; ')}`;
  }

  private async electLeaders(moves: PartitionMove[]): Promise<string> {
    if (!this.config.electLeaders) return '';
    try {
      const results = await this.admin.electPreferredLeaders(moves.map(({ topic, partition }) => ({ topic, partition })));
      const failed = results.filter((result) => result.error !== null).map((result) => `${partitionName(result)}: ${result.error ?? ''}`);
      return failed.length === 0 ? '; preferred leaders elected' : `; preferred leader election failed for ${sample(failed, 3)}`;
    } catch (error) {
      return `; preferred leader election failed: ${describeError(error)}`;
    }
  }
}
