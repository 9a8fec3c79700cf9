// `targets[].lagCollection`: how the consumer-lag collector reads a target's lag
// (docs/lag.md explains the modes and their accuracy).
import { z } from 'zod';

export const lagCollectionSchema = z
  .strictObject({
    offsetReset: z
      .enum(['earliest', 'latest'])
      .default('latest')
      .describe('Where the group starts on a partition it never committed on (its consumers\' auto.offset.reset); decides that partition\'s lag.'),
    lagSeconds: z
      .enum(['exact', 'estimated', 'off'])
      .default('exact')
      .describe('exact: read the record at the committed offset for its timestamp; estimated: interpolate over the log-end history kept in the state store; off: messages only.'),
  })
  .describe('How the lag of the target is read.');

export type LagCollectionConfig = z.output<typeof lagCollectionSchema>;
