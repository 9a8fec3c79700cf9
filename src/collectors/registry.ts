// The registry of collectors: which collectors exist, how each is built from its own section of
// a target's `collectors` config, and the shared clients they use (one Kafka admin connection
// per cluster, one Prometheus client, one capacity store). For each target it gives the
// collection plan the engine's runner executes: readers (Kafka lag, Prometheus, broker health)
// and derivations over what they read (throughput, then capacity, which needs the rates).
import type { Redis } from 'ioredis';
import type { LagpilotConfig, TargetConfig } from '../config/schema.ts';
import type { CollectionPlan, DeriveStep, ReadStep } from '../engine/collection.ts';
import type { Logger } from '../logging/logger.ts';
import { RedisCapacityStore } from '../state/redis-capacity-store.ts';
import { BrokerHealthCollector } from './broker-health.ts';
import { CapacityTracker, MemoryCapacityStore, capacitySource, type CapacityStore } from './capacity.ts';
import type { CollectionError } from './collector.ts';
import { KafkaClusterRegistry, type KafkaClusterRegistryOptions } from './kafka-clusters.ts';
import { KafkaLagCollector, type LagTarget } from './kafka-lag.ts';
import { LagSweepBatcher } from './lag-batcher.ts';
import { PrometheusCollector } from './prometheus.ts';
import { RedisOffsetHistoryStore } from './redis-offset-history.ts';
import { ThroughputTracker, throughputSource } from './throughput.ts';

/** The clients and collectors every target's plan shares. */
export interface CollectorServices {
  clusters: KafkaClusterRegistry;
  lag: KafkaLagCollector;
  /** Gathers the lag collections of targets ticking together into one sweep. */
  lagBatcher: LagSweepBatcher;
  /** Undefined when the config has no prometheus section. */
  prometheus: PrometheusCollector | undefined;
  capacity: CapacityTracker;
  brokerHealth(cluster: string): BrokerHealthCollector;
  /** One throughput tracker per target: each has its own window. */
  throughput(target: string, windowMs: number): ThroughputTracker;
}

export interface CollectorServicesOptions {
  logger: Logger;
  /** The daemon's Redis client, if it has one: lag-seconds histories and capacities are kept there. Not closed here. */
  redis?: Redis | undefined;
  kafka?: KafkaClusterRegistryOptions;
  capacityStore?: CapacityStore;
}

export interface OwnedCollectorServices extends CollectorServices {
  close(): Promise<void>;
}

export function createCollectorServices(config: LagpilotConfig, options: CollectorServicesOptions): OwnedCollectorServices {
  const clusters = new KafkaClusterRegistry(config.clusters, options.kafka ?? {});
  // The daemon's client prefixes keys itself (ioredis keyPrefix), hence no prefix here.
  const lag = new KafkaLagCollector(clusters, options.redis === undefined ? {} : { historyStore: new RedisOffsetHistoryStore(options.redis, { keyPrefix: '' }) });
  const capacityStore = options.capacityStore ?? (options.redis === undefined ? new MemoryCapacityStore() : new RedisCapacityStore(options.redis, { keyPrefix: '' }));
  const prometheus = config.prometheus === undefined ? undefined : new PrometheusCollector(config.prometheus, options.logger.child({ collector: 'prometheus' }));
  const brokerHealthCollectors = new Map<string, BrokerHealthCollector>();
  const throughputTrackers = new Map<string, ThroughputTracker>();
  return {
    clusters,
    lag,
    lagBatcher: new LagSweepBatcher(lag),
    prometheus,
    capacity: new CapacityTracker(capacityStore),
    brokerHealth(cluster) {
      let collector = brokerHealthCollectors.get(cluster);
      if (collector === undefined) {
        // Targets on one cluster share the check: reused for half the shortest interval among them.
        const intervals = config.targets.filter((target) => target.cluster === cluster).map((target) => target.interval);
        collector = new BrokerHealthCollector(clusters.admin(cluster), { reuseForMs: Math.min(...intervals) / 2 });
        brokerHealthCollectors.set(cluster, collector);
      }
      return collector;
    },
    throughput(target, windowMs) {
      let tracker = throughputTrackers.get(target);
      if (tracker === undefined) {
        tracker = new ThroughputTracker({ windowMs });
        throughputTrackers.set(target, tracker);
      }
      return tracker;
    },
    async close() {
      await Promise.allSettled([lag.close(), prometheus?.close(), capacityStore.close()]);
      await clusters.close();
    },
  };
}

/** A collector kind: its section of `targets[].collectors` and how it joins a target's plan. */
export interface ReaderFactory {
  section: string;
  /** The step for the target, or null when the target does not use this collector. */
  build(target: TargetConfig, services: CollectorServices): ReadStep | null;
}

export interface DerivationFactory {
  section: string;
  build(target: TargetConfig, services: CollectorServices): DeriveStep | null;
}

export function lagTargetOf(target: TargetConfig): LagTarget {
  const selection = target.topics !== undefined ? { topics: target.topics } : target.topicPattern !== undefined ? { topicPattern: target.topicPattern } : {};
  return {
    name: target.name,
    cluster: target.cluster,
    consumerGroup: target.consumerGroup,
    ...selection,
    offsetReset: target.collectors.kafkaLag.offsetReset,
    lagSeconds: target.collectors.kafkaLag.lagSeconds,
  };
}

export const readerFactories: readonly ReaderFactory[] = [
  {
    section: 'kafkaLag',
    build: (target, services) => {
      const lagTarget = lagTargetOf(target);
      return { source: services.lagBatcher.source, collect: (context) => services.lagBatcher.collect(lagTarget, context) };
    },
  },
  {
    section: 'prometheus',
    build: (target, services) => {
      const section = target.collectors.prometheus;
      if (section === undefined) return null;
      const prometheus = services.prometheus;
      if (prometheus === undefined) {
        // The config check (collectorConfigProblems) refuses this before the daemon starts.
        throw new Error(`target ${target.name}: collectors.prometheus needs the top-level prometheus section`);
      }
      const queries = section.queries;
      return { source: prometheus.source, collect: (context) => prometheus.collect({ name: target.name, queries }, context) };
    },
  },
  {
    section: 'brokerHealth',
    build: (target, services) => {
      const section = target.collectors.brokerHealth;
      if (section === undefined) return null;
      const healthTarget = { cluster: target.cluster, topics: section.topics, expectedBrokers: section.expectedBrokers };
      // The admin client is created at the first collection, so a cluster that cannot be
      // connected to becomes that collection's error, not a failure to start.
      return { source: 'broker-health', collect: (context) => services.brokerHealth(target.cluster).collect(healthTarget, context) };
    },
  },
];

export const derivationFactories: readonly DerivationFactory[] = [
  {
    section: 'throughput',
    build: (target, services) => {
      const windowMs = target.collectors.throughput.window;
      return {
        source: throughputSource,
        derive: (samples) => Promise.resolve({ samples: services.throughput(target.name, windowMs).observe(samples), errors: [], partial: false }),
      };
    },
  },
  {
    section: 'capacity',
    build: (target, services) => ({
      source: capacitySource,
      derive: async (samples, context) => {
        const update = await services.capacity.observe({ target: target.name, configuredPerReplica: target.collectors.capacity.perReplica }, samples, context.nowMs);
        const errors: CollectionError[] = update.storeError === undefined ? [] : [{ code: 'PARTIAL', source: capacitySource, message: update.storeError }];
        return { samples: update.samples, errors, partial: false };
      },
    }),
  },
];

/** The plan of one target: its readers and derivations, in the registry's order. */
export function collectionPlan(target: TargetConfig, services: CollectorServices): CollectionPlan {
  const readers = readerFactories.map((factory) => factory.build(target, services)).filter((step) => step !== null);
  const derivations = derivationFactories.map((factory) => factory.build(target, services)).filter((step) => step !== null);
  return { target: target.name, readers, derivations };
}

/** Rules that span a target's collectors and the rest of the config, as path-named problems. */
export function collectorConfigProblems(config: LagpilotConfig): string[] {
  const problems: string[] = [];
  config.targets.forEach((target, index) => {
    if (target.collectors.prometheus !== undefined && config.prometheus === undefined) {
      problems.push(`targets[${index}].collectors.prometheus: needs the top-level prometheus section (its url)`);
    }
  });
  return problems;
}
