// One Kafka admin connection per cluster, shared by every target and collector that reads it,
// and a cache of each cluster's topic names for targets that select topics by pattern: a
// pattern needs the full topic list, which is fetched once per refresh interval rather than on
// every sweep of every target.
import type { ClusterConfig } from '../config/schema.ts';
import type { KafkaAdminPort } from '../kafka/admin-port.ts';
import { PlatformaticKafkaAdmin } from '../kafka/platformatic-admin.ts';

export type AdminFactory = (cluster: ClusterConfig) => KafkaAdminPort;

export interface KafkaClusterRegistryOptions {
  /** How long a fetched topic list is used before it is fetched again. Default 60 s. */
  topicListRefreshMs?: number;
  /** Per-request timeout of the admin clients this registry creates. Default 10 s. */
  requestTimeoutMs?: number;
  createAdmin?: AdminFactory;
}

export function platformaticAdminFactory(requestTimeoutMs: number): AdminFactory {
  return (cluster) => {
    if (cluster.sasl !== undefined || cluster.ssl !== undefined) {
      throw new Error(`cluster ${cluster.name}: SASL and TLS are not supported by the lag collector yet; remove sasl/ssl or use a plaintext listener`);
    }
    return new PlatformaticKafkaAdmin({ bootstrapServers: cluster.bootstrap, clientId: cluster.clientId, requestTimeoutMs });
  };
}

interface TopicList {
  names: string[];
  fetchedAtMs: number;
}

export class KafkaClusterRegistry {
  readonly #clusters: Map<string, ClusterConfig>;
  readonly #admins = new Map<string, KafkaAdminPort>();
  readonly #topicLists = new Map<string, TopicList>();
  readonly #topicListRefreshMs: number;
  readonly #createAdmin: AdminFactory;
  #closed = false;

  constructor(clusters: readonly ClusterConfig[], options: KafkaClusterRegistryOptions = {}) {
    this.#clusters = new Map(clusters.map((cluster) => [cluster.name, cluster]));
    this.#topicListRefreshMs = options.topicListRefreshMs ?? 60_000;
    this.#createAdmin = options.createAdmin ?? platformaticAdminFactory(options.requestTimeoutMs ?? 10_000);
  }

  /** The cluster's one admin client, created on first use. Throws for a cluster not in the config. */
  admin(clusterName: string): KafkaAdminPort {
    if (this.#closed) throw new Error(`the Kafka cluster registry is closed (cluster ${clusterName})`);
    const existing = this.#admins.get(clusterName);
    if (existing !== undefined) return existing;
    const cluster = this.#clusters.get(clusterName);
    if (cluster === undefined) {
      throw new Error(`cluster "${clusterName}" is not configured (configured: ${[...this.#clusters.keys()].join(', ') || 'none'})`);
    }
    const admin = this.#createAdmin(cluster);
    this.#admins.set(clusterName, admin);
    return admin;
  }

  /** "name (host:port,…)": how errors name a cluster, so an unreachable one shows where it was looked for. */
  label(clusterName: string): string {
    const cluster = this.#clusters.get(clusterName);
    return cluster === undefined ? clusterName : `${clusterName} (${cluster.bootstrap.join(',')})`;
  }

  /** The cluster's topic names, from the cache while it is younger than the refresh interval. */
  async topicNames(clusterName: string, nowMs: number): Promise<string[]> {
    const cached = this.#topicLists.get(clusterName);
    if (cached !== undefined && nowMs - cached.fetchedAtMs < this.#topicListRefreshMs) return cached.names;
    const names = await this.admin(clusterName).listTopics();
    this.#topicLists.set(clusterName, { names, fetchedAtMs: nowMs });
    return names;
  }

  /** Drops the cached topic list, e.g. after a listed topic turned out to be deleted. */
  forgetTopicList(clusterName: string): void {
    this.#topicLists.delete(clusterName);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#admins.values()].map((admin) => admin.close()));
    this.#admins.clear();
  }
}
