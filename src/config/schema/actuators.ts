// `targets[].actuator`: what applies a target's decisions. One schema per kind; a new kind is
// one more entry in the union. Every kind has `dryRun`: check and log, change nothing.
import { z } from 'zod';
import { duration, httpUrl } from './common.ts';
import { parseQuantity } from '../../actuators/resource-recommender.ts';
import { prometheusSchema } from './prometheus.ts';
import { brokersActuatorSchemaWith } from './brokers-actuator.ts';

const dryRunFlag = z.boolean().default(false).describe('Check everything, report what would change, change nothing.');

const dryRunActuatorSchema = z
  .strictObject({
    kind: z.literal('dryRun').describe('Decide and log, change nothing.'),
  })
  .describe('Only records what it would do.');

const kubernetesName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { error: (issue) => `"${String(issue.input)}" is not a Kubernetes object name` });

const kubernetesWorkloadSchema = z
  .strictObject({
    apiVersion: z.string().min(1).default('apps/v1').describe('apps/v1, or group/version of a custom resource.'),
    kind: z.string().min(1).describe('Deployment, StatefulSet, or the kind of a custom resource with a /scale subresource.'),
    plural: z.string().min(1).optional().describe('Plural resource name of a custom resource (e.g. kafkanodepools); required for those.'),
    namespace: kubernetesName.optional().describe('Namespace of the workload; the kubeconfig context\'s (in a pod: its own) when unset.'),
    name: kubernetesName.describe('Name of the workload.'),
  })
  .superRefine((workload, context) => {
    if (workload.apiVersion === 'apps/v1') {
      if (workload.kind !== 'Deployment' && workload.kind !== 'StatefulSet') {
        context.addIssue({ code: 'custom', path: ['kind'], message: `apps/v1 kind must be Deployment or StatefulSet, not "${workload.kind}"` });
      }
      return;
    }
    if (!/^[a-z0-9.-]+\/[a-z0-9]+$/.test(workload.apiVersion)) {
      context.addIssue({ code: 'custom', path: ['apiVersion'], message: `"${workload.apiVersion}" is not group/version` });
    }
    if (workload.plural === undefined) {
      context.addIssue({ code: 'custom', path: ['plural'], message: `set plural for the custom resource kind ${workload.kind}` });
    }
  })
  .describe('The object whose /scale subresource is set.');

const kubernetesAuthSchema = z
  .discriminatedUnion('from', [
    z.strictObject({
      from: z.literal('kubeconfig').describe('A kubeconfig file: a workstation\'s, or one mounted into the pod.'),
      path: z.string().min(1).optional().describe('Kubeconfig file; $KUBECONFIG or ~/.kube/config when unset.'),
      context: z.string().min(1).optional().describe('Context to use; the current context when unset.'),
    }),
    z.strictObject({
      from: z.literal('inCluster').describe('The pod\'s service account: its token, CA and the apiserver address from the pod\'s environment.'),
      pathPrefix: z.string().optional().describe('Prefix of the service-account files (for tests); none in a pod.'),
    }),
  ])
  .prefault({ from: 'kubeconfig' })
  .describe('Where the credentials come from.');

export const kubernetesScaleActuatorSchema = z
  .strictObject({
    kind: z.literal('kubernetesScale').describe('Sets replicas through the /scale subresource.'),
    dryRun: dryRunFlag,
    workload: kubernetesWorkloadSchema,
    auth: kubernetesAuthSchema,
    requestTimeout: duration('Time limit of one request to the apiserver.', '10s'),
    conflictRetries: z.int().min(0).max(20).default(5).describe('Retries after a 409 conflict (someone else changed the object).'),
    transientRetries: z
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe('Retries of a request the apiserver answered 429 (too many requests) or 5xx.'),
    retryBackoff: duration('Wait before the first retry of a 429 or 5xx (doubled each retry; a longer Retry-After wins, up to 10 s).', '200ms'),
    fieldManager: z.string().min(1).max(128).default('lagpilot').describe('Field manager recorded on the writes.'),
  })
  .describe('Scales a Kubernetes Deployment, StatefulSet or custom resource.');

const quantity = (description: string, defaultText: string) =>
  z
    .string()
    .regex(/^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$/, {
      error: (issue) => `"${String(issue.input)}" is not a Kubernetes quantity (e.g. 250m, 2, 512Mi)`,
    })
    .default(defaultText)
    .describe(description);

function resourcePolicySchema(resource: string, defaults: { min: string; max: string }) {
  return z
    .strictObject({
      percentile: z.number().gt(0).max(1).default(0.9).describe(`Quantile of the ${resource} usage samples the request is based on (0.9: the 90th percentile).`),
      margin: z.number().min(0).max(10).default(0.15).describe('Safety margin on top of the percentile (0.15: 15 % more).'),
      min: quantity(`Smallest ${resource} request lagpilot sets.`, defaults.min),
      max: quantity(`Largest ${resource} request lagpilot sets.`, defaults.max),
      limitRatio: z
        .union([z.number().min(1).max(100), z.literal('keep')])
        .default('keep')
        .describe('limit = request x this; "keep" keeps the limit/request ratio in force (a container without a limit keeps none).'),
    })
    .prefault({})
    .describe(`How the ${resource} request and limit are derived from usage.`);
}

const defaultCpuQuery =
  'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="${namespace}", pod=~"${workload}-.+", container="${container}"}[5m]))';
const defaultMemoryQuery = 'max by (pod) (container_memory_working_set_bytes{namespace="${namespace}", pod=~"${workload}-.+", container="${container}"})';

export const resourcesActuatorSchema = z
  .strictObject({
    kind: z.literal('resources').describe('Sets container requests and limits from their usage history in Prometheus.'),
    dryRun: z.boolean().default(true).describe('Check everything (a server-side dry run), report what would change, change nothing. On by default.'),
    workload: z
      .strictObject({
        kind: z.enum(['Deployment', 'StatefulSet']).describe('Kind of the workload whose pod template is changed.'),
        namespace: kubernetesName.optional().describe('Namespace of the workload; the kubeconfig context\'s (in a pod: its own) when unset.'),
        name: kubernetesName.describe('Name of the workload.'),
      })
      .describe('The workload whose containers are sized.'),
    containers: z.array(z.string().min(1)).min(1).optional().describe('Containers to size; every container of the pod template when unset.'),
    auth: kubernetesAuthSchema,
    prometheus: prometheusSchema,
    queries: z
      .strictObject({
        cpu: z.string().min(1).default(defaultCpuQuery).describe('PromQL of one container\'s CPU use in cores; ${namespace}, ${workload} (regex-escaped) and ${container} are filled in.'),
        memory: z.string().min(1).default(defaultMemoryQuery).describe('PromQL of one container\'s memory use in bytes; same placeholders.'),
      })
      .prefault({})
      .describe('Usage queries, evaluated as range queries over the history window.'),
    window: duration('How far back the usage history goes.', '24h'),
    step: duration('Spacing of the usage samples in the history window.', '1m'),
    minSamples: z.int().min(1).default(60).describe('Fewer samples than this (all pods together) give no recommendation for a resource.'),
    cpu: resourcePolicySchema('CPU', { min: '10m', max: '8' }),
    memory: resourcePolicySchema('memory', { min: '32Mi', max: '16Gi' }),
    minChange: z.number().min(0).max(1).default(0.1).describe('A relative change of a request or limit smaller than this (0.1: 10 %) is left alone.'),
    cooldown: duration('After a change, no other change of this workload\'s resources for this long (every change restarts its pods).', '1h'),
    requestTimeout: duration('Time limit of one request to the apiserver.', '10s'),
    fieldManager: z.string().min(1).max(128).default('lagpilot').describe('Field manager recorded on the writes.'),
  })
  .superRefine((section, context) => {
    if (section.step > section.window) context.addIssue({ code: 'custom', path: ['step'], message: 'step must not be longer than window' });
    for (const resource of ['cpu', 'memory'] as const) {
      const { min, max } = section[resource];
      // A bound that is not a quantity has been reported by its own field already.
      const bounds = [min, max].map((text) => {
        try {
          return parseQuantity(text);
        } catch {
          return Number.NaN;
        }
      });
      if ((bounds[0] ?? Number.NaN) > (bounds[1] ?? Number.NaN)) context.addIssue({ code: 'custom', path: [resource, 'min'], message: `min ${min} is above max ${max}` });
    }
  })
  .describe('Sizes container requests and limits (vertical scaling), as the VPA does.');

export const localProcessActuatorSchema = z
  .strictObject({
    kind: z.literal('localProcess').describe('Starts and stops worker processes on this machine.'),
    dryRun: dryRunFlag,
    command: z.string().min(1).describe('Executable of one worker.'),
    args: z.array(z.string()).default([]).describe('Arguments of each worker.'),
    env: z.record(z.string(), z.string()).default({}).describe('Variables added to lagpilot\'s environment for each worker.'),
    cwd: z.string().min(1).optional().describe('Working directory of the workers.'),
    stopTimeout: duration('Time a worker gets after SIGTERM before SIGKILL.', '10s'),
    logDir: z.string().min(1).optional().describe('Folder for the workers\' stdout and stderr; discarded when unset.'),
  })
  .describe('Runs consumer workers as local processes.');

export const webhookActuatorSchema = z
  .strictObject({
    kind: z.literal('webhook').describe('POSTs each decision, HMAC-SHA256 signed, to a URL.'),
    dryRun: dryRunFlag,
    url: httpUrl('Where decisions are POSTed.'),
    secret: z.string().min(16).describe('HMAC-SHA256 key (at least 16 characters; use ${VAR}).'),
    timeout: duration('Time limit of one POST.', '5s'),
    retries: z.int().min(0).max(10).default(3).describe('Retries after a 5xx answer, a timeout or a refused connection.'),
    retryBackoff: duration('Wait before the first retry; doubled each retry.', '500ms'),
  })
  .describe('Hands decisions to a system lagpilot does not drive itself.');

export const brokersActuatorSchema = brokersActuatorSchemaWith(kubernetesScaleActuatorSchema);

export const actuatorSchema = z
  .discriminatedUnion('kind', [dryRunActuatorSchema, kubernetesScaleActuatorSchema, resourcesActuatorSchema, localProcessActuatorSchema, webhookActuatorSchema, brokersActuatorSchema])
  .describe('How decisions are applied.');

export type ActuatorConfig = z.output<typeof actuatorSchema>;
export type KubernetesScaleActuatorConfig = z.output<typeof kubernetesScaleActuatorSchema>;
export type ResourcesActuatorConfig = z.output<typeof resourcesActuatorSchema>;
export type LocalProcessActuatorConfig = z.output<typeof localProcessActuatorSchema>;
export type WebhookActuatorConfig = z.output<typeof webhookActuatorSchema>;
export type BrokersActuatorConfig = z.output<typeof brokersActuatorSchema>;
