// Clients for the local kube-apiserver: as the admin of the env file, or as whoever holds a
// bearer token (a ServiceAccount token from TokenRequest, say). Both trust only the apiserver's
// own serving certificate.
import { ApiException, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeDetails } from '../env/services/kube.ts';

export function adminKubeConfig(kube: KubeDetails): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(kube.kubeconfig);
  return config;
}

export function tokenKubeConfig(kube: KubeDetails, userName: string, token: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'lagpilot-local', server: kube.serverUrl, caFile: kube.caFile, skipTLSVerify: false }],
    users: [{ name: userName, token }],
    contexts: [{ name: userName, cluster: 'lagpilot-local', user: userName }],
    currentContext: userName,
  });
  return config;
}

/** Request options that send a patch as a JSON merge patch (the client defaults to JSON Patch). */
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** A name no earlier run on the same apiserver used, valid as a namespace (DNS label). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}

/**
 * The HTTP status of an API call: 200 when it succeeded (whatever 2xx the server sent), the
 * server's code when it was refused. Anything that is not an answer of the apiserver is rethrown.
 */
export async function httpStatusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}
