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
import { request as httpsRequest } from 'node:https';
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

/** A Kubernetes object as YAML or JSON gives it: only apiVersion, kind and metadata are typed. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface ApplyAnswer {
  status: number;
  /** The object as the apiserver stored it (or would have, in a dry run), or its Status. */
  body: ManifestObject;
  /** Every Warning header of the answer: deprecations, Pod Security violations, ... */
  warnings: string[];
}

interface ApiResource {
  plural: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/**
 * Server-side apply (PATCH application/apply-patch+yaml) of arbitrary objects as the admin, the
 * way `kubectl apply --server-side` does it: the resource path of each kind comes from the
 * apiserver's discovery, so custom resources work once their CRD is established.
 */
export class ServerSideApplier {
  private readonly kube: KubeDetails;
  private readonly fieldManager: string;
  private readonly discovered = new Map<string, Map<string, ApiResource>>();

  constructor(kube: KubeDetails, fieldManager: string) {
    this.kube = kube;
    this.fieldManager = fieldManager;
  }

  /** Forgets what discovery said, e.g. after a CRD was installed. */
  forgetDiscovery(): void {
    this.discovered.clear();
  }

  async apply(object: ManifestObject, options: { dryRun?: boolean } = {}): Promise<ApplyAnswer> {
    const query = new URLSearchParams({ fieldManager: this.fieldManager, force: 'true' });
    if (options.dryRun === true) query.set('dryRun', 'All');
    const answer = await this.request('PATCH', `${await this.objectPath(object)}?${query.toString()}`, JSON.stringify(object));
    return { status: answer.status, body: parseBody(answer.body), warnings: answer.warnings };
  }

  async get(object: ManifestObject): Promise<ApplyAnswer> {
    const answer = await this.request('GET', await this.objectPath(object));
    return { status: answer.status, body: parseBody(answer.body), warnings: answer.warnings };
  }

  /** /apis/GROUP/VERSION[/namespaces/NS]/PLURAL/NAME (or /api/v1/... for the core group). */
  async objectPath(object: ManifestObject): Promise<string> {
    const resource = (await this.resourcesOf(object.apiVersion)).get(object.kind);
    if (resource === undefined) throw new Error(`the apiserver serves no kind ${object.kind} in ${object.apiVersion} (is its CRD installed?)`);
    const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
    const { name, namespace } = object.metadata;
    if (!resource.namespaced) return `${base}/${resource.plural}/${name}`;
    if (namespace === undefined) throw new Error(`${object.kind} ${name} is namespaced but names no namespace`);
    return `${base}/namespaces/${namespace}/${resource.plural}/${name}`;
  }

  private async resourcesOf(apiVersion: string): Promise<Map<string, ApiResource>> {
    const known = this.discovered.get(apiVersion);
    if (known !== undefined) return known;
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const answer = await this.request('GET', path);
    if (answer.status !== 200) throw new Error(`discovery of ${apiVersion} (GET ${path}) answered ${answer.status}: ${answer.body}`);
    const list = JSON.parse(answer.body) as ApiResourceList;
    const byKind = new Map<string, ApiResource>();
    // Subresources (deployments/scale) share their parent's kind name only by accident; skip them.
    for (const resource of list.resources) if (!resource.name.includes('/')) byKind.set(resource.kind, { plural: resource.name, namespaced: resource.namespaced });
    this.discovered.set(apiVersion, byKind);
    return byKind;
  }

  private request(method: string, path: string, body?: string): Promise<{ status: number; body: string; warnings: string[] }> {
    const ca = readFileSync(this.kube.caFile);
    const headers: Record<string, string> = { authorization: `Bearer ${this.kube.adminToken}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/apply-patch+yaml';
    return new Promise((resolveAnswer, reject) => {
      const outgoing = httpsRequest(new URL(path, this.kube.serverUrl), { method, ca, headers, timeout: 30_000 }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => { text += chunk; });
        response.on('end', () => {
          const warnings: string[] = [];
          for (let index = 0; index + 1 < response.rawHeaders.length; index += 2) {
            if (response.rawHeaders[index]?.toLowerCase() === 'warning') warnings.push(response.rawHeaders[index + 1] ?? '');
          }
          resolveAnswer({ status: response.statusCode ?? 0, body: text, warnings });
        });
        response.on('error', reject);
      });
      outgoing.on('timeout', () => { outgoing.destroy(new Error(`${method} ${path} timed out after 30 s`)); });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}

function parseBody(text: string): ManifestObject {
  try {
    return JSON.parse(text) as ManifestObject;
  } catch {
    return { apiVersion: 'v1', kind: 'Unparsed', metadata: { name: '' }, text };
  }
}

/** The objects of a multi-document YAML text (kustomize's output), in order. */
export function parseManifests(text: string): ManifestObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as unknown)
    .filter((value): value is ManifestObject => value !== null && typeof value === 'object' && 'kind' in value);
}
