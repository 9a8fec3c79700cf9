// The Lease elector with the Kubernetes client it talks through. elector-from-config.ts imports
// this module only when leaderElection.backend is kubernetes, so a daemon without Kubernetes
// never loads the client.
import { KubeConfig } from '@kubernetes/client-node';
import { LeaseElector, type LeaseElectorOptions } from './lease-elector.ts';

/** A Lease elector on the kubeconfig at `kubeconfigPath`, or on the pod's service account when undefined. */
export function kubernetesLeaseElector(kubeconfigPath: string | undefined, options: Omit<LeaseElectorOptions, 'kubeConfig' | 'leases'>): LeaseElector {
  const kubeConfig = new KubeConfig();
  if (kubeconfigPath === undefined) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromFile(kubeconfigPath);
  return new LeaseElector({ ...options, kubeConfig });
}
