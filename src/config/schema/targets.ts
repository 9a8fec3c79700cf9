// `targets`: what lagpilot scales. One target is one consumer group, the topics whose lag it
// watches, the bounds of its replica count and the actuator that applies decisions.
import { z } from 'zod';
import { duration, regexPattern, resourceName } from './common.ts';
import { actuatorSchema } from './actuators.ts';
import { lagCollectionSchema } from './lag-collection.ts';
import { targetCollectorsSchema } from './collectors.ts';
import { formatDurationMillis } from '../../util/duration.ts';

const replicasSchema = z
  .strictObject({
    min: z.int().min(0).default(1).describe('Fewest replicas lagpilot may set (0 allows scaling to zero).'),
    max: z.int().min(1).describe('Most replicas lagpilot may set; more than the partition count is never useful.'),
  })
  .describe('Bounds of the replica count.');

const lagSchema = z
  .strictObject({
    targetSeconds: z
      .number()
      .positive()
      .optional()
      .describe('Desired lag in seconds (time a new message waits before it is consumed).'),
    targetMessagesPerReplica: z
      .int()
      .positive()
      .optional()
      .describe('Desired lag in messages per replica (as KEDA\'s lagThreshold).'),
  })
  .describe('The lag to keep; at least one of the two.');

const scalingSchema = z
  .strictObject({
    scaleUpCooldown: duration('No further scale-up for this long after a scale-up (0s: lag never waits).', '0s'),
    scaleDownCooldown: duration('No scale-down for this long after any change of the count (the new count must show what it does).', '1m'),
    scaleDownStabilization: duration('A scale-down goes only to the highest count recommended within this window; each reversed scale-down beyond the first (in 30 min) doubles it, up to 10 min.', '15s'),
    replicaStartup: duration('How long a new replica takes from the scale-up until it consumes (sizes scale-ups for the backlog they will find; weighs whether a step pays).', '30s'),
    rebalancePause: duration('How long the group stops consuming at each change of its members (weighs whether a scale-up or scale-down pays).', '10s'),
  })
  .describe('Timing of scaling changes; the defaults suit production, tests shorten them.');

export const targetSchema = z
  .strictObject({
    name: resourceName.describe('Unique name, used in metrics, logs and state keys.'),
    cluster: resourceName.describe('Name of the cluster (in clusters) the consumer group lives in.'),
    consumerGroup: z.string().min(1).describe('Kafka consumer group id.'),
    topics: z.array(z.string().min(1)).min(1).optional().describe('Topics whose lag counts; or use topicPattern.'),
    topicPattern: regexPattern('Regular expression (JavaScript syntax, matched against the whole name) selecting the topics; or use topics.').optional(),
    interval: duration('Time between two evaluations.', '15s'),
    tickTimeout: duration('Time limit of one evaluation; must not exceed interval.', '10s'),
    replicas: replicasSchema,
    lag: lagSchema,
    lagCollection: lagCollectionSchema.prefault({}),
    actuator: actuatorSchema,
    collectors: targetCollectorsSchema.prefault({}),
    scaling: scalingSchema.prefault({}),
  })
  .superRefine((target, context) => {
    const hasTopics = target.topics !== undefined;
    const hasPattern = target.topicPattern !== undefined;
    if (hasTopics === hasPattern) {
      context.addIssue({
        code: 'custom',
        path: [],
        message: hasTopics ? 'set topics or topicPattern, not both' : 'set one of topics or topicPattern',
      });
    }
    if (target.replicas.min > target.replicas.max) {
      context.addIssue({
        code: 'custom',
        path: ['replicas'],
        message: `min (${target.replicas.min}) must not exceed max (${target.replicas.max})`,
      });
    }
    if (target.lag.targetSeconds === undefined && target.lag.targetMessagesPerReplica === undefined) {
      context.addIssue({ code: 'custom', path: ['lag'], message: 'set targetSeconds, targetMessagesPerReplica or both' });
    }
    if (target.tickTimeout > target.interval) {
      context.addIssue({
        code: 'custom',
        path: ['tickTimeout'],
        message: `${formatDurationMillis(target.tickTimeout)} must not exceed interval (${formatDurationMillis(target.interval)})`,
      });
    }
  })
  .describe('A consumer group to keep sized right.');

export const targetsSchema = z.array(targetSchema).default([]).describe('What lagpilot scales.');

export type TargetConfig = z.output<typeof targetSchema>;
