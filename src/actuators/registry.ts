// The explicit list of actuator kinds. Each factory validates its own config section with its
// own schema, so an actuator built outside the config loader (a test, the simulator) meets the
// same rules and defaults as one built from lagpilot.yaml.
//
// Each kind's module is imported when an actuator of that kind is built, not before: the
// Kubernetes kinds bring the Kubernetes client (about 37 MiB of memory once loaded), which a
// daemon scaling only local processes or webhooks should not carry.
import type { z } from 'zod';
import {
  type ActuatorConfig,
  brokersActuatorSchema,
  kubernetesScaleActuatorSchema,
  localProcessActuatorSchema,
  resourcesActuatorSchema,
  webhookActuatorSchema,
} from '../config/schema/actuators.ts';
import type { Actuator } from './actuator.ts';
import { RecordingActuator, recordingActuatorSchema } from './dry-run.ts';

export class ActuatorConfigError extends Error {
  override name = 'ActuatorConfigError';
}

export interface ActuatorFactory {
  kind: string;
  configSchema: z.ZodType;
  /** Validates `section` with configSchema, then builds; rejects with ActuatorConfigError naming each problem. */
  create(section: unknown): Promise<Actuator>;
  /**
   * Builds from what configSchema already produced (the config loader's output: durations are
   * milliseconds by then, and parsing them again would refuse them).
   */
  fromParsed(config: unknown): Promise<Actuator>;
}

function factory<Schema extends z.ZodType>(
  kind: string,
  configSchema: Schema,
  build: (config: z.output<Schema>) => Actuator | Promise<Actuator>,
): ActuatorFactory {
  return {
    kind,
    configSchema,
    async create(section) {
      const parsed = configSchema.safeParse(section);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(section)'}: ${issue.message}`);
        throw new ActuatorConfigError(`invalid ${kind} actuator config: ${problems.join('; ')}`);
      }
      return build(parsed.data);
    },
    async fromParsed(config) {
      return build(config as z.output<Schema>);
    },
  };
}

export const actuatorFactories: readonly ActuatorFactory[] = [
  factory('dryRun', recordingActuatorSchema, () => new RecordingActuator()),
  factory('kubernetesScale', kubernetesScaleActuatorSchema, async (config) => new (await import('./kubernetes-scale.ts')).KubernetesScaleActuator(config)),
  factory('localProcess', localProcessActuatorSchema, async (config) => new (await import('./local-process.ts')).LocalProcessActuator(config)),
  factory('resources', resourcesActuatorSchema, async (config) => new (await import('./resources.ts')).ResourcesActuator(config)),
  factory('webhook', webhookActuatorSchema, async (config) => new (await import('./webhook.ts')).WebhookActuator(config)),
  factory('brokers', brokersActuatorSchema, async (config) => new (await import('./brokers.ts')).BrokersActuator(config)),
];

/** Builds the actuator of a target from the loaded config (targets[].actuator). */
export async function actuatorFromConfig(config: ActuatorConfig, factories: readonly ActuatorFactory[] = actuatorFactories): Promise<Actuator> {
  const chosen = factories.find((entry) => entry.kind === config.kind);
  if (chosen === undefined) throw new ActuatorConfigError(`unknown actuator kind "${config.kind}" (one of: ${factories.map((entry) => entry.kind).join(', ')})`);
  return chosen.fromParsed(config);
}

/** Builds the actuator a config section asks for, or rejects naming the kind and each problem. */
export async function createActuator(section: unknown, factories: readonly ActuatorFactory[] = actuatorFactories): Promise<Actuator> {
  const kind = typeof section === 'object' && section !== null && 'kind' in section ? section.kind : undefined;
  const known = factories.map((entry) => entry.kind).join(', ');
  if (typeof kind !== 'string') throw new ActuatorConfigError(`actuator config has no kind (one of: ${known})`);
  const chosen = factories.find((entry) => entry.kind === kind);
  if (chosen === undefined) throw new ActuatorConfigError(`unknown actuator kind "${kind}" (one of: ${known})`);
  return chosen.create(section);
}
