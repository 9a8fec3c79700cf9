// `monitor`: consumer groups lagpilot only watches and exports on /metrics (as kafka-lag-exporter
// does), without scaling them. Each entry selects groups of one cluster by name and pattern and
// sweeps them all together every interval (docs/lag.md, "Monitoring groups").
import { z } from 'zod';
import { duration, regexPattern, resourceName } from './common.ts';

const pattern = (description: string) => regexPattern(description).optional();

export const monitorEntrySchema = z
  .strictObject({
    name: resourceName.describe('Unique name of the entry, used in the lagpilot_monitor_* metrics and in logs.'),
    cluster: resourceName.describe('Name of the cluster (in clusters) whose groups are watched.'),
    groups: z.array(z.string().min(1)).min(1).optional().describe('Group ids watched whenever the cluster lists them; with groupPattern, a group matching either is watched.'),
    groupPattern: pattern('Regular expression (JavaScript syntax, matched against the whole id) selecting the groups to watch; e.g. ".*" for every group of the cluster.'),
    excludeGroupPattern: pattern('Regular expression (whole id) of groups never watched, even when listed in groups or matched by groupPattern.'),
    topicPattern: pattern('Regular expression (whole name) of the topics whose lag counts; by default every topic the group has committed offsets on.'),
    interval: duration('Time between two sweeps of the entry\'s groups.', '30s'),
    lagSeconds: z
      .enum(['none', 'estimated', 'exact'])
      .default('none')
      .describe('none: lag in messages only; estimated: interpolate over the log-end history (in Redis when the daemon has it, else in memory); exact: read the record at each committed offset for its timestamp.'),
    offsetReset: z
      .enum(['earliest', 'latest'])
      .default('latest')
      .describe('Where a group starts on a partition of its topics it never committed on; decides that partition\'s lag.'),
    partitionSeries: z
      .boolean()
      .default(false)
      .describe('Export per-partition series for these groups too (they also need server.partitionMetrics); off keeps the series count to a few per group.'),
  })
  .superRefine((entry, context) => {
    if (entry.groups === undefined && entry.groupPattern === undefined) {
      context.addIssue({ code: 'custom', path: [], message: 'set groups, groupPattern or both' });
    }
  })
  .describe('Consumer groups of one cluster to watch and export on /metrics without scaling them.');

export const monitorSchema = z
  .array(monitorEntrySchema)
  .default([])
  .describe('Consumer groups lagpilot only watches (lag, status, consume rate on /metrics), as kafka-lag-exporter would; targets are exported anyway.');

export type MonitorEntryConfig = z.output<typeof monitorEntrySchema>;
