// `targets[].actuator`: what applies a target's decisions. One schema per kind; a new kind is
// one more entry in the union.
import { z } from 'zod';

const dryRunActuatorSchema = z
  .strictObject({
    kind: z.literal('dryRun').describe('Decide and log, change nothing.'),
  })
  .describe('Only records what it would do.');

export const actuatorSchema = z
  .discriminatedUnion('kind', [dryRunActuatorSchema])
  .describe('How decisions are applied.');

export type ActuatorConfig = z.output<typeof actuatorSchema>;
