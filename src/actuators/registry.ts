// The explicit list of actuator kinds. Each factory validates its own config section with its
// own schema, so an actuator built outside the config loader (a test, the simulator) meets the
// same rules and defaults as one built from lagpilot.yaml.
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
import { BrokersActuator } from './brokers.ts';
import { RecordingActuator, recordingActuatorSchema } from './dry-run.ts';
import { KubernetesScaleActuator } from './kubernetes-scale.ts';
import { LocalProcessActuator } from './local-process.ts';
import { ResourcesActuator } from './resources.ts';
import { WebhookActuator } from './webhook.ts';

export class ActuatorConfigError extends Error {
  override name = 'ActuatorConfigError';
}

export interface ActuatorFactory {
  kind: string;
  configSchema: z.ZodType;
  /** Validates `section` with configSchema, then builds; throws ActuatorConfigError naming each problem. */
  create(section: unknown): Actuator;
  /**
   * Builds from what configSchema already produced (the config loader's output: durations are
   * milliseconds by then, and parsing them again would refuse them).
   */
  fromParsed(config: unknown): Actuator;
}

function factory<Schema extends z.ZodType>(
  kind: string,
  configSchema: Schema,
  build: (config: z.output<Schema>) => Actuator,
): ActuatorFactory {
  return {
    kind,
    configSchema,
    create(section) {
      const parsed = configSchema.safeParse(section);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(section)'}: ${issue.message}`);
        throw new ActuatorConfigError(`invalid ${kind} actuator config: ${problems.join('; ')}`);
      }
      return build(parsed.data);
    },
    fromParsed(config) {
      return build(config as z.output<Schema>);
    },
  };
}

export const actuatorFactories: readonly ActuatorFactory[] = [
  factory('dryRun', recordingActuatorSchema, () => new RecordingActuator()),
  factory('kubernetesScale', kubernetesScaleActuatorSchema, (config) => new KubernetesScaleActuator(config)),
  factory('localProcess', localProcessActuatorSchema, (config) => new LocalProcessActuator(config)),
  factory('resources', resourcesActuatorSchema, (config) => new ResourcesActuator(config)),
  factory('webhook', webhookActuatorSchema, (config) => new WebhookActuator(config)),
  factory('brokers', brokersActuatorSchema, (config) => new BrokersActuator(config)),
];

/** Builds the actuator of a target from the loaded config (targets[].actuator). */
export function actuatorFromConfig(config: ActuatorConfig, factories: readonly ActuatorFactory[] = actuatorFactories): Actuator {
  const chosen = factories.find((entry) => entry.kind === config.kind);
  if (chosen === undefined) throw new ActuatorConfigError(`unknown actuator kind "${config.kind}" (one of: ${factories.map((entry) => entry.kind).join(', ')})`);
  return chosen.fromParsed(config);
}

/** Builds the actuator a config section asks for, or throws naming the kind and each problem. */
export function createActuator(section: unknown, factories: readonly ActuatorFactory[] = actuatorFactories): Actuator {
  const kind = typeof section === 'object' && section !== null && 'kind' in section ? section.kind : undefined;
  const known = factories.map((entry) => entry.kind).join(', ');
  if (typeof kind !== 'string') throw new ActuatorConfigError(`actuator config has no kind (one of: ${known})`);
  const chosen = factories.find((entry) => entry.kind === kind);
  if (chosen === undefined) throw new ActuatorConfigError(`unknown actuator kind "${kind}" (one of: ${known})`);
  return chosen.create(section);
}
