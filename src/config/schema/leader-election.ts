// `leaderElection`: which of several lagpilot replicas actuates.
import { z } from 'zod';
import { duration, resourceName } from './common.ts';

export const leaderElectionSchema = z
  .strictObject({
    backend: z
      .enum(['none', 'kubernetes', 'redis'])
      .default('none')
      .describe('none: this replica always acts (run one replica only). kubernetes: a coordination.k8s.io Lease. redis: a lock in the `redis` section\'s Redis.'),
    name: resourceName
      .default('lagpilot')
      .describe('Name of the Lease or lock; replicas with the same name compete, so give each lagpilot installation its own.'),
    namespace: z
      .string()
      .min(1)
      .optional()
      .describe('Namespace of the Lease. Default: the pod\'s own namespace (from the service account files), else "default".'),
    kubeconfig: z
      .string()
      .min(1)
      .optional()
      .describe('Path of a kubeconfig for the Lease. Default: the in-cluster service account.'),
    identity: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe('This replica\'s name in the election, unique per replica (e.g. ${POD_NAME}). Default: host name, process id and a random suffix.'),
    leaseDuration: duration('How long followers wait after the last renewal they saw before they take over.', '15s'),
    renewDeadline: duration('A leader that could not renew for this long stops acting. Must be shorter than leaseDuration.', '10s'),
    retryPeriod: duration('Pause between attempts to acquire or renew. Must be shorter than renewDeadline.', '2s'),
  })
  .superRefine((section, context) => {
    if (section.renewDeadline >= section.leaseDuration) {
      context.addIssue({ code: 'custom', path: ['renewDeadline'], message: 'must be shorter than leaseDuration, or a leader could still act after another replica took over' });
    }
    if (section.retryPeriod >= section.renewDeadline) {
      context.addIssue({ code: 'custom', path: ['retryPeriod'], message: 'must be shorter than renewDeadline, or a leader loses its lease between two attempts' });
    }
  })
  .describe('Leader election between replicas: only the leader actuates; followers keep collecting to take over warm.');

export type LeaderElectionConfig = z.output<typeof leaderElectionSchema>;
