// What the collectors saw, on /metrics, so lagpilot can stand in for kafka-lag-exporter: lag in
// messages and seconds per group (and per partition, unless switched off to bound cardinality),
// consumer status, produce and consume rates, capacity and broker health. Values are read from
// each target's last collection at scrape time; a series a collection could not read is absent
// rather than stale, and lagpilot_target_collection_partial says which targets are incomplete.
//
// Group and partition levels are separate metrics (…_lag_messages and …_partition_lag_messages)
// rather than one metric with optional labels, so that sum() over a metric never adds a group's
// total to its own partitions.
//
// The sample-fed families are written as exposition text straight from the samples, not through
// prom-client gauges: at 2,000 groups a scrape is 20,000 such series, and a gauge per family
// hashed every label set into an object per series on each scrape and formatted them again,
// about 22 MiB of garbage and 0.39 s per scrape (docs/benchmarks/daemon-rss.md). Label text is
// rendered once per label object, which a watched group keeps for its lifetime. The per-target
// families (collection partial, errors, timestamp) stay prom-client gauges.
import { Gauge, type Registry } from 'prom-client';
import type { Sample } from '../collectors/collector.ts';
import type { TargetCollection } from '../engine/collection.ts';
import type { WatchedSamples } from '../engine/group-monitor.ts';

export interface CollectionsSource {
  all(): TargetCollection[];
  /** Changes whenever a collection is recorded; lets a scrape index the samples once. */
  readonly version: number;
}

export interface CollectorMetricsOptions {
  registry: Registry;
  collections: CollectionsSource;
  /** Export per-partition series. Off bounds the series count to the number of groups. */
  partitionSeries: boolean;
  /** Groups watched by the `monitor` entries: exported under the same metrics, with an empty target label. */
  watched?: WatchedSamples | undefined;
}

interface ExportedSeries {
  /** Sample names (of any collector) that feed the metric. */
  samples: readonly string[];
  metric: string;
  help: string;
  labels: readonly string[];
  partitionLevel?: boolean;
}

const groupLabels = ['target', 'cluster', 'group'] as const;
const partitionLabels = [...groupLabels, 'topic', 'partition'] as const;

export const exportedSeries: readonly ExportedSeries[] = [
  { samples: ['consumergroup_lag_messages'], metric: 'lagpilot_consumergroup_lag_messages', help: 'Retained messages not yet consumed by the group, summed over its partitions.', labels: groupLabels },
  { samples: ['consumergroup_lag_seconds'], metric: 'lagpilot_consumergroup_lag_seconds', help: 'Age of the oldest message the group has not consumed, in seconds.', labels: groupLabels },
  { samples: ['consumergroup_members'], metric: 'lagpilot_consumergroup_members', help: 'Members of the consumer group.', labels: groupLabels },
  {
    samples: ['consumergroup_partition_lag_messages', 'partition_lag_messages'],
    metric: 'lagpilot_consumergroup_partition_lag_messages',
    help: 'Retained messages of one partition not yet consumed by the group.',
    labels: partitionLabels,
    partitionLevel: true,
  },
  {
    samples: ['consumergroup_partition_lag_seconds', 'partition_lag_seconds'],
    metric: 'lagpilot_consumergroup_partition_lag_seconds',
    help: 'Age of the oldest message of one partition the group has not consumed, in seconds.',
    labels: partitionLabels,
    partitionLevel: true,
  },
  {
    samples: ['consumergroup_partition_committed_offset'],
    metric: 'lagpilot_consumergroup_partition_committed_offset',
    help: 'The group\'s committed offset of one partition.',
    labels: partitionLabels,
    partitionLevel: true,
  },
  {
    samples: ['partition_log_end_offset'],
    metric: 'lagpilot_partition_log_end_offset',
    help: 'Log-end offset of one partition.',
    labels: ['cluster', 'topic', 'partition'],
    partitionLevel: true,
  },
  { samples: ['topic_produce_rate'], metric: 'lagpilot_topic_produce_rate_messages_per_second', help: 'Messages produced to the topic per second over the throughput window.', labels: ['cluster', 'topic'] },
  { samples: ['consumergroup_consume_rate'], metric: 'lagpilot_consumergroup_consume_rate_messages_per_second', help: 'Messages the group committed per second over the throughput window.', labels: ['cluster', 'group'] },
  { samples: ['consumer_capacity'], metric: 'lagpilot_consumer_capacity_messages_per_second', help: 'Messages per second one replica handles: configured, or measured while the group was saturated.', labels: ['target', 'origin'] },
  { samples: ['cluster_brokers_online'], metric: 'lagpilot_kafka_brokers_online', help: 'Brokers the cluster reports as registered and serving.', labels: ['cluster'] },
  { samples: ['cluster_brokers_missing'], metric: 'lagpilot_kafka_brokers_missing', help: 'Brokers that hold replicas (or are expected) but are not online.', labels: ['cluster'] },
  { samples: ['cluster_controller_id'], metric: 'lagpilot_kafka_controller_id', help: 'Node id of the broker clients are told is the controller.', labels: ['cluster'] },
  { samples: ['cluster_partitions'], metric: 'lagpilot_kafka_partitions', help: 'Partitions of the checked topics.', labels: ['cluster'] },
  { samples: ['cluster_partitions_under_replicated'], metric: 'lagpilot_kafka_partitions_under_replicated', help: 'Partitions with fewer in-sync replicas than replicas.', labels: ['cluster'] },
  { samples: ['cluster_partitions_offline'], metric: 'lagpilot_kafka_partitions_offline', help: 'Partitions without a leader.', labels: ['cluster'] },
  { samples: ['broker_online'], metric: 'lagpilot_kafka_broker_online', help: '1 when the broker is online, 0 when it holds replicas but is not.', labels: ['cluster', 'broker'] },
  { samples: ['broker_partitions'], metric: 'lagpilot_kafka_broker_partitions', help: 'Replicas the broker is assigned.', labels: ['cluster', 'broker'] },
  { samples: ['broker_leaders'], metric: 'lagpilot_kafka_broker_leaders', help: 'Partitions the broker leads.', labels: ['cluster', 'broker'] },
  { samples: ['broker_log_dir_used_bytes'], metric: 'lagpilot_kafka_log_dir_used_bytes', help: 'Bytes used on the volume of the log directory.', labels: ['cluster', 'broker', 'log_dir'] },
  { samples: ['broker_log_dir_total_bytes'], metric: 'lagpilot_kafka_log_dir_total_bytes', help: 'Size of the volume of the log directory.', labels: ['cluster', 'broker', 'log_dir'] },
  { samples: ['broker_log_dir_partition_bytes'], metric: 'lagpilot_kafka_log_dir_partition_bytes', help: 'Bytes of the partitions stored in the log directory.', labels: ['cluster', 'broker', 'log_dir'] },
];

/** The families /metrics writes from samples, with or without the per-partition ones. */
function exportedFamilies(partitionSeries: boolean): readonly ExportedSeries[] {
  return exportedSeries.filter((series) => series.partitionLevel !== true || partitionSeries);
}

/** Names of the samples /metrics exports, with or without the per-partition families. */
export function exportedSampleNames(partitionSeries: boolean): ReadonlySet<string> {
  return new Set(['consumergroup_status', ...exportedFamilies(partitionSeries).flatMap((series) => series.samples)]);
}

/** Every status the lag collector can give; each gets a series so that alerts can match on value 1. */
export const consumerStatuses = ['OK', 'WARN', 'STALL', 'STOP', 'REWIND', 'UNKNOWN'] as const;

/** Samples of all targets' last collections, indexed by name once per recorded collection. */
class SampleIndex {
  readonly #collections: CollectionsSource;
  readonly #watched: WatchedSamples | undefined;
  #version = '';
  #byName = new Map<string, Sample[]>();

  constructor(collections: CollectionsSource, watched: WatchedSamples | undefined) {
    this.#collections = collections;
    this.#watched = watched;
  }

  samples(name: string): Sample[] {
    const version = `${String(this.#collections.version)}/${String(this.#watched?.version ?? 0)}`;
    if (this.#version !== version) {
      const byName = new Map<string, Sample[]>();
      const add = (samples: readonly Sample[]): void => {
        for (const sample of samples) {
          const list = byName.get(sample.name);
          if (list === undefined) byName.set(sample.name, [sample]);
          else list.push(sample);
        }
      };
      for (const collection of this.#collections.all()) add(collection.samples);
      for (const samples of this.#watched?.all() ?? []) add(samples);
      this.#byName = byName;
      this.#version = version;
      // Dropped once this scrape has read it: kept until the next scrape, it would hold the
      // previous round's samples of every target beside the current ones (about 17 MiB at
      // 2,000 targets). A read after the drop builds it again.
      setImmediate(() => {
        this.#byName = new Map();
        this.#version = '';
      });
    }
    return this.#byName.get(name) ?? [];
  }
}

/** Prometheus text format: a label value escapes backslash, double quote and line feed. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus text format: HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the text format writes it. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Renders `name="value",…` for a fixed list of label names, once per label object. */
class LabelText {
  readonly #names: readonly string[];
  readonly #rendered = new WeakMap<Readonly<Record<string, string>>, string>();

  constructor(names: readonly string[]) {
    this.#names = names;
  }

  of(labels: Readonly<Record<string, string>>): string {
    let text = this.#rendered.get(labels);
    if (text === undefined) {
      text = this.#names.map((name) => `${name}="${escapeLabelValue(labels[name] ?? '')}"`).join(',');
      this.#rendered.set(labels, text);
    }
    return text;
  }
}

/** Exposition text of the sample-fed families, appended to the registry's on /metrics. */
export interface CollectorExposition {
  /** Every family in the text format, each with its HELP and TYPE lines, ending in a line feed. */
  text(): string;
}

/**
 * Registers the per-target collection gauges in `registry` and returns the exposition of the
 * sample-fed families (lag, status, rates, broker health), which /metrics appends to the
 * registry's text.
 */
export function registerCollectorMetrics(options: CollectorMetricsOptions): CollectorExposition {
  const { registry, collections } = options;
  const index = new SampleIndex(collections, options.watched);
  const families = exportedFamilies(options.partitionSeries)
    .map((series) => ({
      series,
      header: `# HELP ${series.metric} ${escapeHelp(series.help)}\n# TYPE ${series.metric} gauge\n`,
      labels: new LabelText(series.labels),
      // Without a target label, several targets can report the same series (the same topic's
      // produce rate, the same cluster's brokers): it is written once, the last report winning.
      shared: !series.labels.includes('target'),
    }));
  const statusMetric = 'lagpilot_consumergroup_status';
  const statusHeader = `# HELP ${statusMetric} ${escapeHelp('Consumer status over the status window in Burrow\'s terms: 1 for the current status, 0 for the others.')}\n# TYPE ${statusMetric} gauge\n`;
  const statusGroupLabels = new LabelText(groupLabels);

  const exposition: CollectorExposition = {
    text() {
      const parts: string[] = [];
      for (const { series, header, labels, shared } of families) {
        parts.push(header);
        const latest = new Map<string, number>();
        for (const name of series.samples) {
          for (const sample of index.samples(name)) {
            if (shared) latest.set(labels.of(sample.labels), sample.value);
            else parts.push(`${series.metric}{${labels.of(sample.labels)}} ${formatSampleValue(sample.value)}\n`);
          }
        }
        for (const [labelText, value] of latest) parts.push(`${series.metric}{${labelText}} ${formatSampleValue(value)}\n`);
        parts.push('\n');
      }
      parts.push(statusHeader);
      for (const sample of index.samples('consumergroup_status')) {
        const current = sample.labels.status ?? 'UNKNOWN';
        const group = statusGroupLabels.of(sample.labels);
        for (const status of consumerStatuses) parts.push(`${statusMetric}{${group},status="${status}"} ${status === current ? '1' : '0'}\n`);
      }
      return parts.join('');
    },
  };

  new Gauge({
    name: 'lagpilot_target_collection_partial',
    help: '1 when the target\'s last collection could not read everything (see lagpilot_target_collection_errors), else 0.',
    labelNames: ['target'],
    registers: [registry],
    collect() {
      this.reset();
      for (const collection of collections.all()) this.set({ target: collection.target }, collection.partial ? 1 : 0);
    },
  });

  new Gauge({
    name: 'lagpilot_target_collection_errors',
    help: 'Errors in the target\'s last collection, by collector and code.',
    labelNames: ['target', 'collector', 'code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const collection of collections.all()) {
        for (const error of collection.errors) this.inc({ target: collection.target, collector: error.source, code: error.code });
      }
    },
  });

  new Gauge({
    name: 'lagpilot_target_collection_timestamp_seconds',
    help: 'When the target\'s last collection ran (Unix time); its age shows stale data.',
    labelNames: ['target'],
    registers: [registry],
    collect() {
      this.reset();
      for (const collection of collections.all()) this.set({ target: collection.target }, collection.collectedAtMs / 1000);
    },
  });
  return exposition;
}
