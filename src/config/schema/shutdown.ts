// `shutdown`: how long a SIGTERM may take.
import { z } from 'zod';
import { duration } from './common.ts';

export const shutdownSchema = z
  .strictObject({
    deadline: duration(
      'Time allowed, after SIGTERM or SIGINT, for running ticks to finish and clients to close. Keep it below the pod\'s terminationGracePeriodSeconds (30s by default).',
      '20s',
    ),
  })
  .describe('Graceful shutdown.');

export type ShutdownConfig = z.output<typeof shutdownSchema>;
