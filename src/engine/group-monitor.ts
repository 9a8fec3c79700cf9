// The `monitor` loop: consumer groups lagpilot watches without scaling them, so its /metrics can
// stand in for kafka-lag-exporter's. Each entry sweeps on its own interval: one ListGroups, one
// OffsetFetch for all matched groups (their committed topics decide which partitions count), then
// the lag collector's shared sweep with those offsets (Metadata for the topics, ListOffsets per
// leader, group descriptions), whose reports become the same samples targets export, with an
// empty `target`.
//
// State per group is kept small on purpose (docs/decisions/0023-group-monitor.md): its label set,
// its last samples (4 to 5 at group level), the committed-offset sum of the previous sweep for the
// consume rate, and the lag collector's status window (at most 20 observations of two numbers
// per partition). No policy, reconciler, history or histogram exists per group. A group that is
// no longer listed is dropped with all of that, so its series disappear from the next scrape.
//
// Nothing here throws into the loop: a failed listing or offset fetch marks the entry stale (its
// groups' series are withdrawn until a sweep succeeds) and counts the error the way the
// collection runner counts collectors' errors.
import { Gauge, type Counter, type Histogram, type Registry } from 'prom-client';
import type { MonitorEntryConfig } from '../config/schema.ts';
import type { CollectionContext, CollectionErrorCode, Sample } from '../collectors/collector.ts';
import { committedTopics, discoverGroups, groupMatcher, type GroupMatcher } from '../collectors/group-discovery.ts';
import { groupReportSamples, type GroupReport, type LagTarget, type SweepPrefetch, type SweepReport } from '../collectors/kafka-lag.ts';
import type { LagSecondsMode } from '../collectors/lag-seconds.ts';
import { collectionCodeForKafkaError } from '../collectors/kafka-error-codes.ts';
import type { CommittedOffset, KafkaAdminPort } from '../kafka/admin-port.ts';
import { errorMessage, type Logger } from '../logging/logger.ts';
import { collectorMeasures } from './collection.ts';

export const groupMonitorSource = 'group-monitor';

/** Samples of every watched group, for /metrics. */
export interface WatchedSamples {
  /** Changes whenever a sweep replaced samples; lets a scrape index them once. */
  readonly version: number;
  all(): Iterable<readonly Sample[]>;
}

export interface MonitorClusters {
  admin(cluster: string): Pick<KafkaAdminPort, 'listConsumerGroups' | 'fetchCommittedOffsets'>;
  label(cluster: string): string;
}

export interface MonitorLagSweeper {
  sweep(targets: readonly LagTarget[], context: CollectionContext, prefetch?: SweepPrefetch): Promise<SweepReport>;
  forget(cluster: string, targetName: string): void;
}

export interface GroupMonitorOptions {
  entries: readonly MonitorEntryConfig[];
  /** Groups the targets scale: exported by their targets, never by the monitor. */
  targets: readonly { cluster: string; consumerGroup: string }[];
  clusters: MonitorClusters;
  lag: MonitorLagSweeper;
  registry: Registry;
  logger: Logger;
  now?: () => number;
  /** Called after each scheduled sweep of an entry, whatever its outcome (the heap release waits for it). */
  afterSweep?: () => void;
}

interface WatchedGroup {
  /** Shared by the group's samples: one object per group, not one per sample. */
  labels: Readonly<Record<string, string>>;
  samples: Sample[];
  /** Sum of the committed offsets and the partitions it covers, at the previous sweep. */
  committedSum: number;
  committedPartitions: number;
  committedAtMs: number;
}

interface EntryState {
  entry: MonitorEntryConfig;
  matcher: GroupMatcher;
  claimedElsewhere: GroupMatcher;
  groups: Map<string, WatchedGroup>;
  stale: boolean;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
}

export interface EntrySweepOutcome {
  groups: number;
  partialGroups: number;
  /** Set when the sweep as a whole failed (listing, offsets): the entry is stale. */
  failure?: string;
  durationMs: number;
}

const lagSecondsModes: Readonly<Record<MonitorEntryConfig['lagSeconds'], LagSecondsMode>> = { none: 'off', estimated: 'estimated', exact: 'exact' };

/** The lag collector's name for a watched group: unique per entry, never a target's name (those cannot hold "/"). */
function lagTargetName(entry: string, group: string): string {
  return `monitor/${entry}/${group}`;
}

export class GroupMonitor {
  readonly #entries: EntryState[];
  readonly #clusters: MonitorClusters;
  readonly #lag: MonitorLagSweeper;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #afterSweep: (() => void) | undefined;
  readonly #stopping = new AbortController();
  readonly #duration: Histogram<'collector'>;
  readonly #errors: Counter<'collector' | 'code'>;
  #version = 0;
  #started = false;
  /** The watched groups' samples, for the /metrics export. */
  readonly samples: WatchedSamples;

  constructor(options: GroupMonitorOptions) {
    this.#clusters = options.clusters;
    this.#lag = options.lag;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#afterSweep = options.afterSweep;
    const targetGroups = new Set(options.targets.map((target) => `${target.cluster}\u0000${target.consumerGroup}`));
    this.#entries = options.entries.map((entry, index) => {
      const earlier = options.entries.slice(0, index).filter((other) => other.cluster === entry.cluster).map(groupMatcher);
      return {
        entry,
        matcher: groupMatcher(entry),
        claimedElsewhere: (group: string) => targetGroups.has(`${entry.cluster}\u0000${group}`) || earlier.some((matches) => matches(group)),
        groups: new Map(),
        stale: false,
        timer: undefined,
        running: undefined,
      };
    });
    const registry = options.registry;
    ({ duration: this.#duration, errors: this.#errors } = collectorMeasures(registry));
    const entries = this.#entries;
    const versionOf = (): number => this.#version;
    this.samples = {
      get version(): number {
        return versionOf();
      },
      all: () => entries.flatMap((state) => [...state.groups.values()].map((group) => group.samples)),
    };
    new Gauge({
      name: 'lagpilot_monitor_groups',
      help: 'Consumer groups a monitor entry watches (listed by the cluster, selected, not owned by a target or an earlier entry).',
      labelNames: ['monitor', 'cluster'],
      registers: [registry],
      collect() {
        this.reset();
        for (const state of entries) this.set({ monitor: state.entry.name, cluster: state.entry.cluster }, state.groups.size);
      },
    });
    new Gauge({
      name: 'lagpilot_monitor_stale',
      help: '1 when the monitor entry\'s last sweep failed as a whole (its groups\' series are withdrawn until one succeeds), else 0.',
      labelNames: ['monitor', 'cluster'],
      registers: [registry],
      collect() {
        this.reset();
        for (const state of entries) this.set({ monitor: state.entry.name, cluster: state.entry.cluster }, state.stale ? 1 : 0);
      },
    });
  }


  /** Starts every entry's sweeps: the first at once, then one per interval (never two of an entry at a time). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const state of this.#entries) this.#schedule(state, 0);
  }

  /** Stops sweeping; a sweep under way is abandoned (its requests finish unheard). */
  async stop(): Promise<void> {
    this.#stopping.abort(new Error('lagpilot is stopping'));
    for (const state of this.#entries) clearTimeout(state.timer);
    await Promise.allSettled(this.#entries.flatMap((state) => (state.running === undefined ? [] : [state.running])));
  }

  /** Groups an entry watches now, sorted (for the CLI and tests). */
  watchedGroups(entryName: string): string[] {
    return [...(this.#entry(entryName).groups.keys())].sort();
  }

  /** One sweep of the entry, now or right after the sweeps asked for before it. Never rejects. */
  async sweepNow(entryName: string): Promise<EntrySweepOutcome> {
    const state = this.#entry(entryName);
    let outcome: EntrySweepOutcome | undefined;
    // Chained onto the sweep before (rather than awaiting it, then starting) so that two callers
    // waiting on the same sweep do not both start one at once.
    const running = (state.running ?? Promise.resolve()).then(() => this.#sweep(state)).then((result) => { outcome = result; });
    state.running = running;
    await running;
    if (state.running === running) state.running = undefined;
    return outcome ?? { groups: 0, partialGroups: 0, failure: 'the sweep ended without an outcome', durationMs: 0 };
  }

  #entry(name: string): EntryState {
    const state = this.#entries.find((candidate) => candidate.entry.name === name);
    if (state === undefined) throw new Error(`no monitor entry named ${name} (entries: ${this.#entries.map((candidate) => candidate.entry.name).join(', ') || 'none'})`);
    return state;
  }

  #schedule(state: EntryState, delayMs: number): void {
    if (this.#stopping.signal.aborted) return;
    state.timer = setTimeout(() => {
      const startedAt = this.#now();
      void this.sweepNow(state.entry.name).then(() => {
        this.#afterSweep?.();
        this.#schedule(state, Math.max(0, startedAt + state.entry.interval - this.#now()));
      });
    }, delayMs);
  }

  #count(code: CollectionErrorCode): void {
    this.#errors.inc({ collector: groupMonitorSource, code });
  }

  /** The entry's data can no longer be trusted: withdraw its series until a sweep succeeds. */
  #markStale(state: EntryState, code: CollectionErrorCode, message: string): string {
    this.#count(code);
    for (const group of state.groups.values()) group.samples = [];
    this.#version += 1;
    if (!state.stale) this.#logger.warn('monitor sweep failed; its groups are stale', { monitor: state.entry.name, cluster: state.entry.cluster, error: message });
    state.stale = true;
    return message;
  }

  async #sweep(state: EntryState): Promise<EntrySweepOutcome> {
    const startedAt = performance.now();
    const { entry } = state;
    const finish = (groups: number, partialGroups: number, failure?: string): EntrySweepOutcome => {
      const durationMs = performance.now() - startedAt;
      this.#duration.observe({ collector: groupMonitorSource }, durationMs / 1000);
      return failure === undefined ? { groups, partialGroups, durationMs } : { groups, partialGroups, failure, durationMs };
    };
    try {
      const where = this.#clusters.label(entry.cluster);
      const admin = this.#clusters.admin(entry.cluster);
      let groupIds: string[];
      try {
        groupIds = discoverGroups(await admin.listConsumerGroups(), { matcher: state.matcher, claimedElsewhere: state.claimedElsewhere });
      } catch (error) {
        return finish(state.groups.size, state.groups.size, this.#markStale(state, collectionCodeForKafkaError(error, 'QUERY_FAILED'), `could not list the consumer groups of cluster ${where}: ${errorMessage(error)}`));
      }
      const listed = new Set(groupIds);
      for (const group of state.groups.keys()) {
        if (listed.has(group)) continue;
        state.groups.delete(group);
        this.#lag.forget(entry.cluster, lagTargetName(entry.name, group));
      }
      let committed = new Map<string, CommittedOffset[]>();
      if (groupIds.length > 0) {
        try {
          committed = await admin.fetchCommittedOffsets(groupIds);
        } catch (error) {
          return finish(groupIds.length, groupIds.length, this.#markStale(state, collectionCodeForKafkaError(error, 'QUERY_FAILED'), `could not read the committed offsets of ${String(groupIds.length)} group(s) on cluster ${where}: ${errorMessage(error)}`));
        }
      }
      const targets: LagTarget[] = groupIds.map((group) => ({
        name: lagTargetName(entry.name, group),
        cluster: entry.cluster,
        consumerGroup: group,
        topics: committedTopics(committed.get(group) ?? [], entry.topicPattern),
        offsetReset: entry.offsetReset,
        lagSeconds: lagSecondsModes[entry.lagSeconds],
      }));
      const nowMs = this.#now();
      // A sweep may take at most the entry's interval: the next one is due then.
      const signal = AbortSignal.any([this.#stopping.signal, AbortSignal.timeout(entry.interval)]);
      // The offsets just read decided the topics; the sweep uses them instead of asking again.
      const report = await this.#lag.sweep(targets, { nowMs, signal }, { committed });
      committed = new Map();
      let partialGroups = 0;
      for (const target of targets) {
        const groupReport = report.groups.get(target.name);
        if (groupReport === undefined) {
          partialGroups += 1;
          this.#count('INTERNAL');
          state.groups.get(target.consumerGroup)?.samples.splice(0);
          continue;
        }
        if (groupReport.partial) partialGroups += 1;
        for (const error of groupReport.errors) this.#count(error.code);
        this.#record(state, target.consumerGroup, groupReport);
      }
      this.#version += 1;
      if (state.stale) this.#logger.info('monitor sweep succeeded again', { monitor: entry.name, cluster: entry.cluster, groups: groupIds.length });
      state.stale = false;
      return finish(groupIds.length, partialGroups);
    } catch (error) {
      // Every expected failure is handled above; this is the net under a bug.
      return finish(state.groups.size, state.groups.size, this.#markStale(state, 'INTERNAL', `monitor ${entry.name} failed: ${errorMessage(error)}`));
    }
  }

  #record(state: EntryState, group: string, report: GroupReport): void {
    const { entry } = state;
    let watched = state.groups.get(group);
    if (watched === undefined) {
      watched = { labels: { target: '', cluster: entry.cluster, group }, samples: [], committedSum: 0, committedPartitions: 0, committedAtMs: 0 };
      state.groups.set(group, watched);
    }
    const labels = watched.labels;
    const timestampMs = report.timestampMs;
    // The same series a target's collection exports, with the group's one label object.
    const samples = groupReportSamples(report, labels, { partitionSamples: entry.partitionSeries, source: groupMonitorSource });

    // Consume rate between two sweeps, over the same committed partitions; unknown after a change of them or a rewind.
    let committedSum = 0;
    let committedPartitions = 0;
    for (const partition of report.partitions) {
      if (partition.committedOffset === null) continue;
      committedSum += Number(partition.committedOffset);
      committedPartitions += 1;
    }
    const elapsedMs = timestampMs - watched.committedAtMs;
    if (watched.committedAtMs > 0 && elapsedMs > 0 && committedPartitions > 0 && committedPartitions === watched.committedPartitions && committedSum >= watched.committedSum) {
      const rate = ((committedSum - watched.committedSum) * 1000) / elapsedMs;
      samples.push({ name: 'consumergroup_consume_rate', value: rate, unit: 'messages_per_second', labels, timestampMs, source: groupMonitorSource });
    }
    watched.committedSum = committedSum;
    watched.committedPartitions = committedPartitions;
    watched.committedAtMs = timestampMs;

    watched.samples = samples;
  }
}
