// `targets[].actuator`: what applies a target's decisions. One schema per kind; a new kind is
// one more entry in the union. Every kind has `dryRun`: check and log, change nothing.
import { z } from 'zod';
import { duration, httpUrl } from './common.ts';

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
      from: z.literal('kubeconfig'),
      path: z.string().min(1).optional().describe('Kubeconfig file; $KUBECONFIG or ~/.kube/config when unset.'),
      context: z.string().min(1).optional().describe('Context to use; the current context when unset.'),
    }),
    z.strictObject({
      from: z.literal('inCluster'),
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

export const actuatorSchema = z
  .discriminatedUnion('kind', [dryRunActuatorSchema, kubernetesScaleActuatorSchema, localProcessActuatorSchema, webhookActuatorSchema])
  .describe('How decisions are applied.');

export type ActuatorConfig = z.output<typeof actuatorSchema>;
export type KubernetesScaleActuatorConfig = z.output<typeof kubernetesScaleActuatorSchema>;
export type LocalProcessActuatorConfig = z.output<typeof localProcessActuatorSchema>;
export type WebhookActuatorConfig = z.output<typeof webhookActuatorSchema>;
