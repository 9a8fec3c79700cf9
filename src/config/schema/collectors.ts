// `targets[].collectors`: what is read for a target besides its consumer lag, one section per
// collector. Each collector defines its own section's schema next to its code; this file only
// puts them together, so the config (and config/lagpilot.schema.json) lists them all.
import { z } from 'zod';
import { brokerHealthCollectorSchema } from '../../collectors/broker-health.ts';
import { prometheusCollectorSchema } from '../../collectors/prometheus.ts';
import { duration } from './common.ts';

export const kafkaLagCollectorSchema = z
  .strictObject({
    offsetReset: z
      .enum(['earliest', 'latest'])
      .default('latest')
      .describe('Where the group starts on a partition it never committed (its auto.offset.reset): earliest counts the whole retained log as lag.'),
    lagSeconds: z
      .enum(['exact', 'estimated', 'off'])
      .default('estimated')
      .describe('Lag in seconds: exact reads the record at the committed offset, estimated interpolates over a history of log-end offsets, off skips it.'),
  })
  .describe('Consumer lag of the target\'s group (always collected).');

export const throughputCollectorSchema = z
  .strictObject({
    window: duration('Span the produce and consume rates are averaged over.', '1m'),
  })
  .describe('Produce rate of the topics and consume rate of the group, from successive offset observations.');

export const capacityCollectorSchema = z
  .strictObject({
    perReplica: z
      .number()
      .positive()
      .optional()
      .describe('Messages per second one replica handles, when known; otherwise learned while the group is saturated.'),
  })
  .describe('Per-replica capacity of the target\'s consumers.');

export const targetCollectorsSchema = z
  .strictObject({
    kafkaLag: kafkaLagCollectorSchema.prefault({}),
    prometheus: prometheusCollectorSchema.optional(),
    brokerHealth: brokerHealthCollectorSchema.optional(),
    throughput: throughputCollectorSchema.prefault({}),
    capacity: capacityCollectorSchema.prefault({}),
  })
  .describe('Collectors of the target and their settings. Consumer lag, throughput and capacity are always on; prometheus and brokerHealth when present.');

export type TargetCollectorsConfig = z.output<typeof targetCollectorsSchema>;
