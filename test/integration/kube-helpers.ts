// Clients for the local kube-apiserver: as the admin of the env file, or as whoever holds a
// bearer token (a ServiceAccount token from TokenRequest, say). Both trust only the apiserver's
// own serving certificate.
// @kubernetes/client-node's models are plain data classes; object literals are how its own
// examples build request bodies.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment */
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Role,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../env/paths.ts';
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

/** The kustomize base of deploy/kubernetes/: the one source of lagpilot's RBAC. */
export const kubernetesBaseDir = join(repoRoot, 'deploy', 'kubernetes', 'base');

/** The ServiceAccount that the base's rolebinding.yaml binds. */
export const shippedServiceAccount = 'lagpilot';

/** The Role and RoleBinding exactly as the kustomize base ships them, placed in `namespace`. */
export function shippedRbac(namespace: string): { role: V1Role; binding: V1RoleBinding } {
  const read = (file: string): unknown => parseAllDocuments(readFileSync(join(kubernetesBaseDir, file), 'utf8'))[0]?.toJS();
  const role = read('role.yaml') as V1Role;
  const binding = read('rolebinding.yaml') as V1RoleBinding;
  role.metadata = Object.assign(role.metadata ?? {}, { namespace });
  binding.metadata = Object.assign(binding.metadata ?? {}, { namespace });
  for (const subject of binding.subjects ?? []) subject.namespace = namespace;
  return { role, binding };
}

/** A token for the ServiceAccount from the TokenRequest API, as the kubelet would mount it. */
export async function requestServiceAccountToken(admin: KubeConfig, namespace: string, serviceAccount: string, expirationSeconds = 3600): Promise<string> {
  const answer = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const token = answer.status?.token;
  if (token === undefined || token === '') throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  return token;
}

export interface ShippedServiceAccount {
  token: string;
  /** A client that authenticates with the token. */
  kubeConfig: KubeConfig;
}

/**
 * Creates lagpilot's ServiceAccount in `namespace`, binds it to the shipped Role, and resolves
 * once `permitted` (a call the Role allows, made as the ServiceAccount) says the binding is in
 * force: the RBAC authorizer sees a new binding through an informer, a moment after it is created.
 */
export async function bindShippedServiceAccount(
  kube: KubeDetails,
  admin: KubeConfig,
  namespace: string,
  permitted: { what: string; check: (client: KubeConfig) => Promise<boolean> },
): Promise<ShippedServiceAccount> {
  await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccount({ namespace, body: { metadata: { name: shippedServiceAccount } } });
  const { role, binding } = shippedRbac(namespace);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace, body: role });
  await rbac.createNamespacedRoleBinding({ namespace, body: binding });
  const token = await requestServiceAccountToken(admin, namespace, shippedServiceAccount);
  const kubeConfig = tokenKubeConfig(kube, shippedServiceAccount, token);
  const giveUpAt = Date.now() + 15_000;
  while (!(await permitted.check(kubeConfig))) {
    if (Date.now() > giveUpAt) {
      throw new Error(`the ${shippedServiceAccount} ServiceAccount was still refused ${permitted.what} 15 s after its RoleBinding was created`);
    }
    await sleep(200);
  }
  return { token, kubeConfig };
}
