// The elector the `leaderElection` config section asks for, and its metrics. The Lease elector
// and the Kubernetes client are imported only when the kubernetes backend is chosen: the client
// costs about 37 MiB of memory, which a daemon without Kubernetes should not carry.
import { existsSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';
import type { LeaderElectionConfig } from '../config/schema/leader-election.ts';
import type { Logger } from '../logging/logger.ts';
import type { Clock } from './clock.ts';
import { defaultIdentity, SoleReplicaElector, type LeaderElector } from './leader-election.ts';
import { RedisElector } from './redis-elector.ts';

const serviceAccountNamespaceFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export interface ElectorDependencies {
  clock: Clock;
  logger: Logger;
  /** The daemon's Redis client, which prefixes keys itself; needed by the redis backend. */
  redis?: Redis;
  /** Where the pod's namespace is written; a test points it elsewhere. */
  namespaceFile?: string;
}

export async function electorFromConfig(config: LeaderElectionConfig, dependencies: ElectorDependencies): Promise<LeaderElector> {
  const identity = config.identity ?? defaultIdentity();
  const common = {
    identity,
    clock: dependencies.clock,
    logger: dependencies.logger,
    timings: {
      leaseDurationMillis: config.leaseDuration,
      renewDeadlineMillis: config.renewDeadline,
      retryPeriodMillis: config.retryPeriod,
    },
  };
  switch (config.backend) {
    case 'none':
      return new SoleReplicaElector(identity);
    case 'redis':
      if (dependencies.redis === undefined) throw new Error('leaderElection.backend is redis, but no redis section is configured');
      return new RedisElector({ ...common, client: dependencies.redis, electionName: config.name, keyPrefix: '' });
    case 'kubernetes': {
      const { kubernetesLeaseElector } = await import('./kubernetes-lease-elector.ts');
      const namespace = config.namespace ?? podNamespace(dependencies.namespaceFile ?? serviceAccountNamespaceFile);
      return kubernetesLeaseElector(config.kubeconfig, { ...common, namespace, leaseName: config.name });
    }
  }
}

function podNamespace(file: string): string {
  // Outside a pod there is no such file; "default" is what kubectl assumes too.
  if (!existsSync(file)) return 'default';
  const namespace = readFileSync(file, 'utf8').trim();
  return namespace === '' ? 'default' : namespace;
}

/** lagpilot_leader (1 while this replica may actuate) and lagpilot_leader_term, read at scrape time. */
export function registerLeadershipMetrics(registry: Registry, elector: LeaderElector): void {
  new Gauge({
    name: 'lagpilot_leader',
    help: '1 while this replica leads (may actuate), else 0.',
    labelNames: ['identity'],
    registers: [registry],
    collect() {
      this.set({ identity: elector.identity }, elector.isLeader() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lagpilot_leader_term',
    help: 'Fencing term of this replica\'s current or last leadership (0: never led).',
    registers: [registry],
    collect() {
      this.set(elector.term);
    },
  });
}
