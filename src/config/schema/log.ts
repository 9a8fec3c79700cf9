// `log`: how much the daemon writes. Lines are JSON, one per event, on standard output.
import { z } from 'zod';

export const logSchema = z
  .strictObject({
    level: z
      .enum(['error', 'warn', 'info', 'debug'])
      .default('info')
      .describe('Lowest level written. debug adds one line per tick.'),
  })
  .describe('Logging (JSON lines on standard output; secrets are redacted).');

export type LogConfig = z.output<typeof logSchema>;
