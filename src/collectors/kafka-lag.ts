// The Kafka consumer-lag collector. One sweep serves many targets at once and costs, per
// cluster: a Metadata request for the topics the targets need (never the whole cluster, except
// the topic-name list behind patterns, cached by the registry), one OffsetFetch for all groups
// per coordinator, two ListOffsets per leader broker (log start and log end), the group
// descriptions per coordinator and, in exact lag-seconds mode, one Fetch per leader per batch.
// What could not be read becomes an error value and marks the target partial; nothing throws.
import type { CollectionContext, CollectionError, CollectionErrorCode, CollectionResult, Collector, Sample } from './collector.ts';
import { partitionStatus, worstStatus, type GroupStatus } from './consumer-status.ts';
import type { KafkaClusterRegistry } from './kafka-clusters.ts';
import {
  appendOffsetPoint,
  defaultExactOptions,
  defaultHistoryPoints,
  estimateLagSeconds,
  readResumeTimestamps,
  type ExactLagSecondsOptions,
  type LagSecondsEstimate,
  type LagSecondsMode,
  type OffsetHistoryStore,
  type OffsetPoint,
} from './lag-seconds.ts';
import { partitionLag, type OffsetResetPolicy, type PartitionFlag } from './partition-lag.ts';
import { StatusWindow } from './status-window.ts';
import {
  requestCountsBetween,
  type CommittedOffset,
  type ConsumerGroupDescription,
  type GroupMemberDescription,
  type GroupType,
  type KafkaAdminPort,
  type OffsetSpec,
  type RequestCounts,
  type TopicDescription,
  type TopicPartition,
} from '../kafka/admin-port.ts';
import { collectionCodeForKafkaError } from './kafka-error-codes.ts';

export const kafkaLagSource = 'kafka-lag';

const aborted = Symbol('aborted');

export interface LagTarget {
  name: string;
  cluster: string;
  consumerGroup: string;
  /** The topics whose lag counts; or topicPattern. */
  topics?: readonly string[];
  /** A regular expression matched against whole topic names. */
  topicPattern?: string;
  offsetReset: OffsetResetPolicy;
  lagSeconds: LagSecondsMode;
}

export interface PartitionConsumer {
  memberId: string;
  clientId: string;
  host: string;
}

export interface PartitionReport {
  topic: string;
  partition: number;
  /** -1 when the partition has no leader. */
  leader: number;
  committedOffset: bigint | null;
  logStartOffset: bigint | null;
  logEndOffset: bigint | null;
  /** Retained messages not yet consumed; null when unknown (never 0 for unknown). */
  lag: bigint | null;
  resumeOffset: bigint | null;
  flags: PartitionFlag[];
  lagSeconds: number | null;
  lagSecondsQuality: LagSecondsEstimate['quality'] | null;
  consumer: PartitionConsumer | null;
}

export interface GroupReport {
  target: string;
  cluster: string;
  group: string;
  /** The broker's group state (Stable, Empty, Dead…); null when the group could not be described. */
  state: string | null;
  groupType: GroupType | null;
  members: GroupMemberDescription[];
  topics: string[];
  partitions: PartitionReport[];
  /** Sum of the known partition lags; null when none is known. */
  totalLag: bigint | null;
  /** The oldest unconsumed message's age over the partitions; null when unknown or off. */
  maxLagSeconds: number | null;
  status: GroupStatus;
  errors: CollectionError[];
  partial: boolean;
  timestampMs: number;
}

/** What the caller of a sweep already read, so the sweep does not ask Kafka again. */
export interface SweepPrefetch {
  /** Committed offsets of every group of the sweep's targets (a cluster's targets only, so one cluster per sweep). */
  committed?: ReadonlyMap<string, CommittedOffset[]>;
}

export interface SweepReport {
  groups: Map<string, GroupReport>;
  /** Kafka requests the sweep sent, by cluster and API. */
  requests: Map<string, RequestCounts>;
  durationMs: number;
}

export interface KafkaLagCollectorOptions {
  /** Histories for the estimated mode. Default: in memory (lost on restart). */
  historyStore?: OffsetHistoryStore;
  historyPoints?: number;
  /** Observations older than this are out of the status window. Default 10 min. */
  statusWindowMs?: number;
  exact?: ExactLagSecondsOptions;
  /** Emit per-partition samples (cardinality grows with partitions). Default true. */
  partitionSamples?: boolean;
}

/** Burrow judges over a fixed number of offsets too; this bounds memory at many groups. */
const maxStatusObservations = 20;

interface ClusterHistories {
  points: Map<string, OffsetPoint[]>;
  loaded: Set<string>;
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}/${String(partition)}`;
}

function collectionCode(error: unknown): CollectionErrorCode {
  return collectionCodeForKafkaError(error, 'QUERY_FAILED');
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function makeError(code: CollectionErrorCode, message: string, labels?: Record<string, string>): CollectionError {
  return labels === undefined ? { code, message, source: kafkaLagSource } : { code, message, source: kafkaLagSource, labels };
}

function wholeNamePattern(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

interface LeaderPartition extends TopicPartition {
  leader: number;
}

interface ListedByLeader {
  offsets: Map<string, bigint>;
  failures: { leader: number; error: unknown; partitions: LeaderPartition[] }[];
}

/** ListOffsets for all partitions; if the batched call fails, once more per leader so one bad broker costs only its partitions. */
async function listOffsetsIsolatingLeaders(admin: KafkaAdminPort, partitions: LeaderPartition[], spec: OffsetSpec): Promise<ListedByLeader> {
  const result: ListedByLeader = { offsets: new Map(), failures: [] };
  if (partitions.length === 0) return result;
  const store = (listed: { topic: string; partition: number; offset: bigint }[]): void => {
    for (const entry of listed) result.offsets.set(partitionKey(entry.topic, entry.partition), entry.offset);
  };
  try {
    store(await admin.listOffsets(partitions, spec));
    return result;
  } catch {
    const byLeader = new Map<number, LeaderPartition[]>();
    for (const partition of partitions) byLeader.set(partition.leader, [...(byLeader.get(partition.leader) ?? []), partition]);
    await Promise.all(
      [...byLeader].map(async ([leader, leaderPartitions]) => {
        try {
          store(await admin.listOffsets(leaderPartitions, spec));
        } catch (error) {
          result.failures.push({ leader, error, partitions: leaderPartitions });
        }
      }),
    );
    return result;
  }
}

export class KafkaLagCollector implements Collector<LagTarget> {
  readonly source = kafkaLagSource;
  readonly #registry: KafkaClusterRegistry;
  readonly #historyStore: OffsetHistoryStore | undefined;
  readonly #historyPoints: number;
  readonly #statusWindowMs: number;
  readonly #exact: ExactLagSecondsOptions;
  readonly #partitionSamples: boolean;
  readonly #histories = new Map<string, ClusterHistories>();
  readonly #statusWindows = new Map<string, StatusWindow>();

  constructor(registry: KafkaClusterRegistry, options: KafkaLagCollectorOptions = {}) {
    this.#registry = registry;
    this.#historyStore = options.historyStore;
    this.#historyPoints = options.historyPoints ?? defaultHistoryPoints;
    this.#statusWindowMs = options.statusWindowMs ?? 10 * 60_000;
    this.#exact = options.exact ?? defaultExactOptions;
    this.#partitionSamples = options.partitionSamples ?? true;
  }

  async collect(target: LagTarget, context: CollectionContext): Promise<CollectionResult> {
    const report = await this.sweep([target], context);
    const group = report.groups.get(target.name);
    if (group === undefined) {
      return { samples: [], errors: [makeError('INTERNAL', `the sweep returned no report for target ${target.name}`)], partial: true };
    }
    return this.resultOf(group);
  }

  /** Reads every target, sharing requests between targets of the same cluster. Never throws. */
  async sweep(targets: readonly LagTarget[], context: CollectionContext, prefetch: SweepPrefetch = {}): Promise<SweepReport> {
    const startedAt = performance.now();
    const byCluster = new Map<string, LagTarget[]>();
    for (const target of targets) {
      const clusterTargets = byCluster.get(target.cluster);
      if (clusterTargets === undefined) byCluster.set(target.cluster, [target]);
      else clusterTargets.push(target);
    }
    const groups = new Map<string, GroupReport>();
    const requests = new Map<string, RequestCounts>();
    // The tick's time limit or shutdown: answer at once; requests still under way finish unheard.
    let stopListening = (): void => undefined;
    const abortion = new Promise<typeof aborted>((resolveAbortion) => {
      if (context.signal.aborted) {
        resolveAbortion(aborted);
        return;
      }
      const onAbort = (): void => { resolveAbortion(aborted); };
      context.signal.addEventListener('abort', onAbort, { once: true });
      stopListening = () => { context.signal.removeEventListener('abort', onAbort); };
    });
    await Promise.all(
      [...byCluster].map(async ([cluster, clusterTargets]) => {
        let admin: KafkaAdminPort;
        try {
          admin = this.#registry.admin(cluster);
        } catch (error) {
          for (const target of clusterTargets) groups.set(target.name, this.#failedReport(target, context.nowMs, makeError('INTERNAL', reasonOf(error))));
          return;
        }
        const before = admin.requestCounts();
        // Every expected failure is handled inside; the catch is the net under a bug.
        const swept = this.#sweepCluster(admin, cluster, clusterTargets, context.nowMs, prefetch).catch((error: unknown) =>
          clusterTargets.map((target) => this.#failedReport(target, context.nowMs, makeError('INTERNAL', `lag sweep of cluster ${this.#registry.label(cluster)} failed: ${reasonOf(error)}`))),
        );
        const outcome = await Promise.race([swept, abortion]);
        const reports = outcome === aborted
          ? clusterTargets.map((target) => this.#failedReport(target, context.nowMs, makeError('TIMEOUT', `lag sweep of cluster ${this.#registry.label(cluster)} was abandoned: ${reasonOf(context.signal.reason)}`)))
          : outcome;
        requests.set(cluster, requestCountsBetween(before, admin.requestCounts()));
        for (const report of reports) groups.set(report.target, report);
      }),
    );
    stopListening();
    return { groups, requests, durationMs: performance.now() - startedAt };
  }

  #failedReport(target: LagTarget, nowMs: number, error: CollectionError): GroupReport {
    return {
      target: target.name,
      cluster: target.cluster,
      group: target.consumerGroup,
      state: null,
      groupType: null,
      members: [],
      topics: [],
      partitions: [],
      totalLag: null,
      maxLagSeconds: null,
      status: { status: 'UNKNOWN', reason: error.message, partitions: [] },
      errors: [error],
      partial: true,
      timestampMs: nowMs,
    };
  }

  async #resolveTopics(cluster: string, targets: readonly LagTarget[], nowMs: number): Promise<Map<string, { topics: string[]; errors: CollectionError[] }>> {
    const resolved = new Map<string, { topics: string[]; errors: CollectionError[] }>();
    let topicNames: string[] | undefined;
    let listError: unknown;
    if (targets.some((target) => target.topicPattern !== undefined)) {
      try {
        topicNames = await this.#registry.topicNames(cluster, nowMs);
      } catch (error) {
        listError = error;
      }
    }
    for (const target of targets) {
      if (target.topicPattern === undefined) {
        resolved.set(target.name, { topics: [...new Set(target.topics ?? [])].sort(), errors: [] });
        continue;
      }
      if (topicNames === undefined) {
        resolved.set(target.name, {
          topics: [],
          errors: [makeError(collectionCode(listError), `could not list the topics of cluster ${this.#registry.label(cluster)} to match /${target.topicPattern}/: ${reasonOf(listError)}`)],
        });
        continue;
      }
      const pattern = wholeNamePattern(target.topicPattern);
      const topics = topicNames.filter((name) => pattern.test(name));
      const errors = topics.length === 0 ? [makeError('UNKNOWN_TOPIC', `no topic of cluster ${cluster} matches /${target.topicPattern}/`)] : [];
      resolved.set(target.name, { topics, errors });
    }
    return resolved;
  }

  /** Metadata of the topics; if the batch fails, each topic alone, so one deleted topic costs only itself. */
  async #describeTopics(admin: KafkaAdminPort, topics: string[]): Promise<{ descriptions: Map<string, TopicDescription>; failures: Map<string, unknown> }> {
    const descriptions = new Map<string, TopicDescription>();
    const failures = new Map<string, unknown>();
    if (topics.length === 0) return { descriptions, failures };
    try {
      for (const description of await admin.describeTopics(topics)) descriptions.set(description.name, description);
    } catch {
      await Promise.all(
        topics.map(async (topic) => {
          try {
            const [description] = await admin.describeTopics([topic]);
            if (description !== undefined) descriptions.set(topic, description);
          } catch (error) {
            failures.set(topic, error);
          }
        }),
      );
    }
    return { descriptions, failures };
  }

  async #sweepCluster(admin: KafkaAdminPort, cluster: string, targets: readonly LagTarget[], nowMs: number, prefetch: SweepPrefetch): Promise<GroupReport[]> {
    const where = this.#registry.label(cluster);
    const resolved = await this.#resolveTopics(cluster, targets, nowMs);
    const neededTopics = [...new Set([...resolved.values()].flatMap((entry) => entry.topics))].sort();
    const groupIds = [...new Set(targets.map((target) => target.consumerGroup))];

    const { descriptions, failures: topicFailures } = await this.#describeTopics(admin, neededTopics);
    if (targets.some((target) => target.topicPattern !== undefined) && topicFailures.size > 0) this.#registry.forgetTopicList(cluster);
    const ledPartitions: LeaderPartition[] = [];
    for (const description of descriptions.values()) {
      for (const partition of description.partitions) {
        if (partition.leader >= 0) ledPartitions.push({ topic: description.name, partition: partition.partition, leader: partition.leader });
      }
    }

    const [committed, groupDescriptions, logStarts, logEnds] = await Promise.all([
      (prefetch.committed === undefined ? admin.fetchCommittedOffsets(groupIds) : Promise.resolve(prefetch.committed)).then(
        (offsets) => ({ ok: true as const, offsets }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      admin.describeConsumerGroups(groupIds).then(
        (described) => ({ ok: true as const, described }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      listOffsetsIsolatingLeaders(admin, ledPartitions, { kind: 'earliest' }),
      listOffsetsIsolatingLeaders(admin, ledPartitions, { kind: 'latest' }),
    ]);

    const histories = targets.some((target) => target.lagSeconds === 'estimated')
      ? await this.#updateHistories(cluster, logEnds.offsets, nowMs)
      : undefined;

    const reports = targets.map((target): GroupReport => {
      const entry = resolved.get(target.name) ?? { topics: [], errors: [] };
      const errors = [...entry.errors];
      for (const topic of entry.topics) {
        const failure = topicFailures.get(topic);
        if (failure !== undefined) {
          const code = collectionCode(failure);
          const message = code === 'UNKNOWN_TOPIC'
            ? `topic ${topic} does not exist on cluster ${where} (deleted, or never created): ${reasonOf(failure)}`
            : `could not read the metadata of topic ${topic} on cluster ${where}: ${reasonOf(failure)}`;
          errors.push(makeError(code, message, { topic }));
        }
      }
      const failedLeaders = [...logStarts.failures, ...logEnds.failures];
      for (const failure of failedLeaders) {
        if (failure.partitions.some((p) => entry.topics.includes(p.topic))) {
          errors.push(makeError(collectionCode(failure.error), `could not list offsets on broker ${String(failure.leader)} of cluster ${where}: ${reasonOf(failure.error)}`, { broker: String(failure.leader) }));
        }
      }

      let committedOffsets: CommittedOffset[] | undefined;
      if (committed.ok) {
        committedOffsets = committed.offsets.get(target.consumerGroup) ?? [];
      } else {
        errors.push(makeError(collectionCode(committed.error), `could not read the committed offsets of group ${target.consumerGroup} on cluster ${where}: ${reasonOf(committed.error)}`));
      }
      let description: ConsumerGroupDescription | undefined;
      if (groupDescriptions.ok) {
        description = groupDescriptions.described.get(target.consumerGroup);
      } else {
        errors.push(makeError(collectionCode(groupDescriptions.error), `could not describe group ${target.consumerGroup} on cluster ${where}: ${reasonOf(groupDescriptions.error)}`));
      }
      const groupKnown = (committedOffsets !== undefined && committedOffsets.length > 0) || (description !== undefined && description.state !== 'Dead');
      if (committedOffsets !== undefined && description !== undefined && !groupKnown) {
        errors.push(makeError('UNKNOWN_GROUP', `group ${target.consumerGroup} is not known to cluster ${where}: it has no members and no committed offsets`));
      }
      const committedByPartition = new Map((committedOffsets ?? []).map((offset) => [partitionKey(offset.topic, offset.partition), offset.offset]));
      const consumerByPartition = new Map<string, PartitionConsumer>();
      for (const member of description?.members ?? []) {
        for (const assigned of member.assignment) {
          for (const partition of assigned.partitions) {
            consumerByPartition.set(partitionKey(assigned.topic, partition), { memberId: member.memberId, clientId: member.clientId, host: member.clientHost });
          }
        }
      }

      const partitions: PartitionReport[] = [];
      let leaderless = 0;
      for (const topic of entry.topics) {
        const topicDescription = descriptions.get(topic);
        if (topicDescription === undefined) continue;
        for (const { partition, leader } of topicDescription.partitions) {
          const key = partitionKey(topic, partition);
          const committedOffset = committedByPartition.get(key);
          const offsets = {
            committedOffset: committedOffset === undefined || committedOffset < 0n ? null : committedOffset,
            logStartOffset: logStarts.offsets.get(key) ?? null,
            logEndOffset: logEnds.offsets.get(key) ?? null,
            hasLeader: leader >= 0,
            committedKnown: committedOffsets !== undefined,
          };
          if (leader < 0) leaderless += 1;
          const lag = partitionLag(offsets, target.offsetReset);
          partitions.push({
            topic,
            partition,
            leader,
            committedOffset: offsets.committedOffset,
            logStartOffset: offsets.logStartOffset,
            logEndOffset: offsets.logEndOffset,
            lag: lag.lag,
            resumeOffset: lag.resumeOffset,
            flags: lag.flags,
            lagSeconds: null,
            lagSecondsQuality: null,
            consumer: consumerByPartition.get(key) ?? null,
          });
        }
      }
      if (leaderless > 0) {
        errors.push(makeError('NO_LEADER', `${String(leaderless)} partition(s) of group ${target.consumerGroup}'s topics have no leader on cluster ${where}: their lag is unknown`));
      }
      if (target.lagSeconds === 'estimated' && histories !== undefined) {
        for (const report of partitions) {
          if (report.resumeOffset === null || report.logEndOffset === null) continue;
          const estimate = estimateLagSeconds(histories.get(partitionKey(report.topic, report.partition)) ?? [], report.resumeOffset, report.logEndOffset, nowMs);
          report.lagSeconds = estimate.seconds;
          report.lagSecondsQuality = estimate.quality;
        }
      }
      return {
        target: target.name,
        cluster,
        group: target.consumerGroup,
        state: description?.state ?? null,
        groupType: description?.groupType ?? null,
        members: description?.members ?? [],
        topics: entry.topics,
        partitions,
        totalLag: null,
        maxLagSeconds: null,
        status: { status: 'UNKNOWN', reason: 'not judged yet', partitions: [] },
        errors,
        partial: false,
        timestampMs: nowMs,
      };
    });

    const exactTargets = new Set(targets.filter((target) => target.lagSeconds === 'exact').map((target) => target.name));
    await this.#readExactLagSeconds(admin, cluster, reports.filter((report) => exactTargets.has(report.target)), nowMs);

    for (const report of reports) {
      const knownLags = report.partitions.flatMap((p) => (p.lag === null ? [] : [p.lag]));
      report.totalLag = knownLags.length === 0 ? null : knownLags.reduce((sum, lag) => sum + lag, 0n);
      const knownSeconds = report.partitions.flatMap((p) => (p.lagSeconds === null ? [] : [p.lagSeconds]));
      report.maxLagSeconds = knownSeconds.length === 0 ? null : Math.max(...knownSeconds);
      report.partial = report.errors.length > 0 || report.partitions.some((p) => p.lag === null);
      report.status = this.#judge(report);
    }
    return reports;
  }

  async #readExactLagSeconds(admin: KafkaAdminPort, cluster: string, reports: GroupReport[], nowMs: number): Promise<void> {
    const waiting = reports.flatMap((groupReport) =>
      groupReport.partitions.flatMap((partition) => {
        if (partition.lag === null || partition.resumeOffset === null) return [];
        if (partition.lag === 0n) {
          partition.lagSeconds = 0;
          partition.lagSecondsQuality = 'caught-up';
          return [];
        }
        return [{ partition, resumeOffset: partition.resumeOffset }];
      }),
    );
    // Several targets may wait on the same position: read each once.
    const positionIndex = new Map<string, number>();
    const positions: { topic: string; partition: number; offset: bigint }[] = [];
    for (const { partition, resumeOffset } of waiting) {
      const key = `${partitionKey(partition.topic, partition.partition)}@${String(resumeOffset)}`;
      if (!positionIndex.has(key)) {
        positionIndex.set(key, positions.length);
        positions.push({ topic: partition.topic, partition: partition.partition, offset: resumeOffset });
      }
    }
    if (positions.length === 0) return;
    const { timestamps, failures } = await readResumeTimestamps(admin, positions, this.#exact);
    const where = this.#registry.label(cluster);
    for (const { partition, resumeOffset } of waiting) {
      const timestamp = timestamps[positionIndex.get(`${partitionKey(partition.topic, partition.partition)}@${String(resumeOffset)}`) ?? -1];
      if (timestamp === undefined) continue;
      if (timestamp === null) {
        // Only transaction markers (or nothing, after a race with retention) past the offset.
        partition.lagSeconds = 0;
        partition.lagSecondsQuality = 'caught-up';
        continue;
      }
      partition.lagSeconds = Math.max(0, (nowMs - timestamp) / 1000);
      partition.lagSecondsQuality = 'exact';
    }
    if (failures.length > 0) {
      for (const report of reports) {
        if (report.partitions.some((p) => p.lag !== null && p.lag > 0n && p.lagSeconds === null)) {
          report.errors.push(makeError(collectionCode(failures[0]), `could not read the records at the committed offsets of group ${report.group} on cluster ${where} (${String(failures.length)} failed batch(es)): ${reasonOf(failures[0])}`));
        }
      }
    }
  }

  async #updateHistories(cluster: string, logEnds: ReadonlyMap<string, bigint>, nowMs: number): Promise<Map<string, OffsetPoint[]>> {
    let cache = this.#histories.get(cluster);
    if (cache === undefined) {
      cache = { points: new Map(), loaded: new Set() };
      this.#histories.set(cluster, cache);
    }
    const unloaded = [...logEnds.keys()].filter((key) => !cache.loaded.has(key));
    if (unloaded.length > 0 && this.#historyStore !== undefined) {
      try {
        for (const [key, history] of await this.#historyStore.load(cluster, unloaded)) cache.points.set(key, history);
      } catch {
        // Without the stored history the estimate starts from this sweep; it is still correct later.
      }
    }
    for (const key of unloaded) cache.loaded.add(key);
    const changed = new Map<string, OffsetPoint[]>();
    for (const [key, offset] of logEnds) {
      const updated = appendOffsetPoint(cache.points.get(key) ?? [], { offset, timeMs: nowMs }, this.#historyPoints);
      cache.points.set(key, updated);
      changed.set(key, updated);
    }
    if (this.#historyStore !== undefined) {
      try {
        await this.#historyStore.save(cluster, changed);
      } catch {
        // Kept in memory; the next sweep writes it again.
      }
    }
    return cache.points;
  }

  #judge(report: GroupReport): GroupStatus {
    const windowKey = `${report.cluster}\u0000${report.target}`;
    let window = this.#statusWindows.get(windowKey);
    // A changed partition list (topics added or matched anew) starts the window over.
    if (window?.covers(report.partitions) !== true) {
      window = new StatusWindow(report.partitions, maxStatusObservations);
      this.#statusWindows.set(windowKey, window);
    }
    const toNumber = (value: bigint | null): number => (value === null ? Number.NaN : Number(value));
    const { partitions } = report;
    window.record(report.timestampMs, report.members.length, (index) => toNumber(partitions[index]?.committedOffset ?? null), (index) => toNumber(partitions[index]?.lag ?? null));
    window.dropBefore(report.timestampMs - this.#statusWindowMs);
    const statusWindow = window;
    const verdicts = statusWindow.keys.map((key, index) => ({ key, verdict: partitionStatus(statusWindow.series(index), report.members.length) }));
    return worstStatus(verdicts);
  }

  /** The report as the collector contract's samples and errors. */
  resultOf(report: GroupReport): CollectionResult {
    const base = { target: report.target, cluster: report.cluster, group: report.group };
    const samples = groupReportSamples(report, base, { partitionSamples: this.#partitionSamples, source: kafkaLagSource });
    return { samples, errors: report.errors, partial: report.partial };
  }

  /** Drops the status window of a target that will not be read again (a monitored group that was deleted). */
  forget(cluster: string, targetName: string): void {
    this.#statusWindows.delete(`${cluster}\u0000${targetName}`);
  }

  async close(): Promise<void> {
    await this.#historyStore?.close();
  }
}

/**
 * A group report's samples: lag in messages and seconds, members and status with `groupLabels`,
 * then, with `partitionSamples`, each partition's lag, lag seconds, committed offset and log
 * offsets. Shared by the targets' collections and the monitor's watched groups, which export
 * the same series; `groupLabels` is used as given, so a caller can keep one object per group.
 */
export function groupReportSamples(report: GroupReport, groupLabels: Readonly<Record<string, string>>, options: { partitionSamples: boolean; source: string }): Sample[] {
  const samples: Sample[] = [];
  const { timestampMs } = report;
  const sample = (name: string, value: number, unit: Sample['unit'], labels: Readonly<Record<string, string>>): void => {
    samples.push({ name, value, unit, labels, timestampMs, source: options.source });
  };
  if (report.totalLag !== null) sample('consumergroup_lag_messages', Number(report.totalLag), 'messages', groupLabels);
  if (report.maxLagSeconds !== null) sample('consumergroup_lag_seconds', report.maxLagSeconds, 'seconds', groupLabels);
  sample('consumergroup_members', report.members.length, 'count', groupLabels);
  sample('consumergroup_status', 1, 'count', { ...groupLabels, status: report.status.status });
  if (!options.partitionSamples) return samples;
  for (const p of report.partitions) {
    const labels = { ...groupLabels, topic: p.topic, partition: String(p.partition) };
    const topicLabels = { cluster: report.cluster, topic: p.topic, partition: String(p.partition) };
    if (p.lag !== null) sample('consumergroup_partition_lag_messages', Number(p.lag), 'messages', labels);
    if (p.lagSeconds !== null) sample('consumergroup_partition_lag_seconds', p.lagSeconds, 'seconds', labels);
    if (p.committedOffset !== null) sample('consumergroup_partition_committed_offset', Number(p.committedOffset), 'offset', labels);
    if (p.logEndOffset !== null) sample('partition_log_end_offset', Number(p.logEndOffset), 'offset', topicLabels);
    if (p.logStartOffset !== null) sample('partition_log_start_offset', Number(p.logStartOffset), 'offset', topicLabels);
  }
  return samples;
}
