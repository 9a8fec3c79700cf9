// The whole lagpilot config: one section per file under schema/, put together here with the
// rules that span sections. Every object is strict: an unknown key is refused, because a
// misspelled option that is silently ignored is worse than a refusal.
import { z } from 'zod';
import { alertRouteProblems, alertsSchema } from './schema/alerts.ts';
import { clustersSchema } from './schema/clusters.ts';
import { leaderElectionSchema } from './schema/leader-election.ts';
import { logSchema } from './schema/log.ts';
import { memorySchema } from './schema/memory.ts';
import { monitorSchema } from './schema/monitor.ts';
import { prometheusSchema } from './schema/prometheus.ts';
import { redisSchema } from './schema/redis.ts';
import { serverSchema } from './schema/server.ts';
import { shutdownSchema } from './schema/shutdown.ts';
import { targetsSchema } from './schema/targets.ts';

export const configSchema = z
  .strictObject({
    server: serverSchema.prefault({}),
    log: logSchema.prefault({}),
    clusters: clustersSchema,
    redis: redisSchema.optional(),
    prometheus: prometheusSchema.optional(),
    targets: targetsSchema,
    monitor: monitorSchema,
    shutdown: shutdownSchema.prefault({}),
    leaderElection: leaderElectionSchema.prefault({}),
    alerts: alertsSchema.prefault({}),
    memory: memorySchema.prefault({}),
  })
  .superRefine((config, context) => {
    reportDuplicates(config.clusters.map((cluster) => cluster.name), 'clusters', 'cluster', context);
    reportDuplicates(config.targets.map((target) => target.name), 'targets', 'target', context);
    reportDuplicates(config.monitor.map((entry) => entry.name), 'monitor', 'monitor entry', context);
    if (config.leaderElection.backend === 'redis' && config.redis === undefined) {
      context.addIssue({ code: 'custom', path: ['leaderElection', 'backend'], message: 'the redis backend needs the redis section (its url)' });
    }
    config.targets.forEach((target, index) => {
      if (target.collectors.prometheus !== undefined && config.prometheus === undefined) {
        context.addIssue({ code: 'custom', path: ['targets', index, 'collectors', 'prometheus'], message: 'needs the top-level prometheus section (its url)' });
      }
    });
    for (const problem of alertRouteProblems(config.alerts, config.targets)) context.addIssue({ code: 'custom', ...problem });
    const clusterNames = new Set(config.clusters.map((cluster) => cluster.name));
    config.targets.forEach((target, index) => {
      if (!clusterNames.has(target.cluster)) {
        const known = clusterNames.size === 0 ? 'none is defined' : `defined: ${[...clusterNames].join(', ')}`;
        context.addIssue({
          code: 'custom',
          path: ['targets', index, 'cluster'],
          message: `"${target.cluster}" is not a cluster in clusters (${known})`,
        });
      }
    });
    config.monitor.forEach((entry, index) => {
      if (!clusterNames.has(entry.cluster)) {
        context.addIssue({ code: 'custom', path: ['monitor', index, 'cluster'], message: `"${entry.cluster}" is not a cluster in clusters` });
      }
    });
  })
  .describe('lagpilot configuration.');

function reportDuplicates(names: string[], section: string, what: string, context: z.RefinementCtx): void {
  const firstIndex = new Map<string, number>();
  names.forEach((name, index) => {
    const earlier = firstIndex.get(name);
    if (earlier === undefined) {
      firstIndex.set(name, index);
      return;
    }
    context.addIssue({
      code: 'custom',
      path: [section, index, 'name'],
      message: `duplicate ${what} name "${name}" (also ${section}[${earlier}])`,
    });
  });
}

export type LagpilotConfig = z.output<typeof configSchema>;
export type { ClusterConfig } from './schema/clusters.ts';
export type { TargetConfig } from './schema/targets.ts';
export type { MonitorEntryConfig } from './schema/monitor.ts';
export type { RedisConfig } from './schema/redis.ts';
export type { PrometheusConfig } from './schema/prometheus.ts';
export type { LeaderElectionConfig } from './schema/leader-election.ts';
export type { AlertsConfig } from './schema/alerts.ts';
