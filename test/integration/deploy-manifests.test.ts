// The Kubernetes manifests of deploy/kubernetes/ as an operator applies them: each overlay is
// rendered by kustomize (built at a pinned version), checked for what the deployment relies on
// (one namespace, a binding that reaches the ServiceAccount, selectors that match, the
// restricted security context, probes, a config that `lagpilot validate-config` accepts), then
// server-side applied to the real kube-apiserver with the prometheus-operator CRDs installed:
// every overlay as a dry run, the prod overlay for real, twice (the second apply changes
// nothing). The namespaces enforce and warn on the "restricted" Pod Security Standard, so any
// Warning the apiserver sends back fails the test.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client's models are field-only classes; request bodies are object literals */
import { expect } from 'chai';
import { AuthorizationV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { ensureService } from '../env/environment.ts';
import { ensurePrometheusOperatorCrds, renderKustomization } from '../env/kustomize.ts';
import { repoRoot } from '../env/paths.ts';
import type { KubeDetails } from '../env/services/kube.ts';
import { adminKubeConfig, parseManifests, ServerSideApplier, uniqueName, type ManifestObject } from './kube-helpers.ts';

const overlaysDir = join(repoRoot, 'deploy', 'kubernetes', 'overlays');
const fieldManager = 'lagpilot-deploy-test';

interface Overlay {
  name: string;
  namespace: string;
  replicas: number;
}

const prodOverlay: Overlay = { name: 'prod', namespace: 'lagpilot', replicas: 2 };
const overlays: Overlay[] = [
  { name: 'dev', namespace: 'lagpilot-dev', replicas: 1 },
  { name: 'staging', namespace: 'lagpilot-staging', replicas: 2 },
  prodOverlay,
];

const expectedKinds = [
  'ConfigMap',
  'Deployment',
  'Namespace',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'PrometheusRule',
  'Role',
  'RoleBinding',
  'Service',
  'ServiceAccount',
  'ServiceMonitor',
];

function only(objects: ManifestObject[], kind: string): ManifestObject {
  const found = objects.filter((object) => object.kind === kind);
  const [first] = found;
  if (first === undefined || found.length !== 1) throw new Error(`expected exactly one ${kind}, found ${found.length}`);
  return first;
}

function labelsMatch(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** The ConfigMap's lagpilot.yaml, written to a file, checked by the real CLI with the pod's environment. */
function validateConfig(config: string, environment: NodeJS.ProcessEnv): { status: number | null; output: string } {
  const folder = mkdtempSync(join(tmpdir(), 'lagpilot-deploy-config-'));
  try {
    const file = join(folder, 'lagpilot.yaml');
    writeFileSync(file, config);
    const result = spawnSync(process.execPath, [join(repoRoot, 'src', 'cli.ts'), 'validate-config', file], {
      env: { PATH: process.env.PATH, ...environment },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** What the kubelet would put in the container's environment from the Deployment's env list (a Secret's key: a stand-in value). */
function podEnvironment(deployment: V1Deployment, namespace: string): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const entry of deployment.spec?.template.spec?.containers[0]?.env ?? []) {
    const field = entry.valueFrom?.fieldRef?.fieldPath;
    if (entry.value !== undefined) environment[entry.name] = entry.value;
    else if (field === 'metadata.name') environment[entry.name] = 'lagpilot-6d8f9c7b5-x2k4q';
    else if (field === 'metadata.namespace') environment[entry.name] = namespace;
    else if (entry.valueFrom?.secretKeyRef !== undefined) environment[entry.name] = `secret-${entry.valueFrom.secretKeyRef.name}-${entry.valueFrom.secretKeyRef.key}-0123456789abcdef`;
    else throw new Error(`env ${entry.name}: a source this test does not model (${JSON.stringify(entry.valueFrom)})`);
  }
  return environment;
}

/** An overlay rendered into another namespace, through a kustomization built on it (kustomize takes only relative paths). */
async function renderIntoNamespace(overlay: Overlay, namespace: string): Promise<ManifestObject[]> {
  const folder = mkdtempSync(join(tmpdir(), 'lagpilot-kustomization-'));
  try {
    writeFileSync(
      join(folder, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${namespace}\nresources:\n  - ${relative(folder, join(overlaysDir, overlay.name))}\n`,
    );
    return parseManifests(await renderKustomization(folder));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('deploy/kubernetes manifests (kustomize, server-side apply to the real kube-apiserver)', function () {
  let kube: KubeDetails;
  let applier: ServerSideApplier;
  const rendered = new Map<string, ManifestObject[]>();

  before(async function () {
    this.timeout(15 * 60_000);
    kube = await ensureService<KubeDetails>('kube');
    applier = new ServerSideApplier(kube, fieldManager);
    for (const overlay of overlays) rendered.set(overlay.name, parseManifests(await renderKustomization(join(overlaysDir, overlay.name))));

    // ServiceMonitor and PrometheusRule are kinds of the prometheus-operator's CRDs.
    for (const crdFile of await ensurePrometheusOperatorCrds()) {
      const crd = parseManifests(readFileSync(crdFile, 'utf8'))[0];
      if (crd === undefined) throw new Error(`${crdFile} holds no object`);
      const answer = await applier.apply(crd);
      if (answer.status >= 300) throw new Error(`installing the CRD ${crd.metadata.name} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    const giveUpAt = Date.now() + 30_000;
    for (;;) {
      applier.forgetDiscovery();
      try {
        await applier.objectPath({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'probe', namespace: 'default' } });
        await applier.objectPath({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'probe', namespace: 'default' } });
        break;
      } catch (error) {
        if (Date.now() > giveUpAt) throw new Error(`the prometheus-operator CRDs were not served 30 s after they were created: ${String(error)}`);
        await sleep(200);
      }
    }
  });

  function renderedOverlay(name: string): ManifestObject[] {
    const objects = rendered.get(name);
    if (objects === undefined) throw new Error(`overlay ${name} was not rendered`);
    return objects;
  }

  for (const overlay of overlays) {
    describe(`overlay ${overlay.name}`, function () {
      it('renders every object once, all in its namespace, and nothing cluster-wide but the Namespace', function () {
        const objects = renderedOverlay(overlay.name);
        expect(objects.map((object) => object.kind).sort()).to.deep.equal(expectedKinds);
        expect(only(objects, 'Namespace').metadata.name).to.equal(overlay.namespace);
        for (const object of objects.filter((candidate) => candidate.kind !== 'Namespace')) {
          expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).to.equal(overlay.namespace);
        }
        expect(only(objects, 'Namespace').metadata.labels).to.include({ 'pod-security.kubernetes.io/enforce': 'restricted' });
      });

      it('binds the Role to the ServiceAccount the pods run as, and the Role grants no delete, list, wildcard or Secret', function () {
        const objects = renderedOverlay(overlay.name);
        const binding = only(objects, 'RoleBinding') as ManifestObject & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };
        const role = only(objects, 'Role') as ManifestObject & { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
        const deployment = only(objects, 'Deployment') as unknown as V1Deployment;
        expect(binding.roleRef).to.include({ kind: 'Role', name: role.metadata.name });
        expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: only(objects, 'ServiceAccount').metadata.name, namespace: overlay.namespace }]);
        expect(deployment.spec?.template.spec?.serviceAccountName).to.equal(only(objects, 'ServiceAccount').metadata.name);
        for (const rule of role.rules) {
          expect(rule.verbs, JSON.stringify(rule)).to.not.include.members(['*']);
          expect(rule.verbs.filter((verb) => ['delete', 'deletecollection', 'list', 'watch', 'escalate', 'bind', 'impersonate'].includes(verb)), JSON.stringify(rule)).to.deep.equal([]);
          expect(rule.resources.filter((resource) => resource === '*' || resource === 'secrets' || resource === 'pods' || resource === 'configmaps'), JSON.stringify(rule)).to.deep.equal([]);
          expect(rule.apiGroups, JSON.stringify(rule)).to.not.include('*');
        }
        const grants = role.rules.flatMap((rule) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${verb} ${resource}`)));
        expect(grants).to.include.members(['get deployments/scale', 'patch deployments/scale', 'get statefulsets/scale', 'patch statefulsets/scale', 'create events', 'get leases', 'create leases', 'update leases']);
      });

      it(`runs ${overlay.replicas} replica(s) non-root on a read-only root filesystem, without capabilities, probed on /healthz and /readyz`, function () {
        const objects = renderedOverlay(overlay.name);
        const deployment = only(objects, 'Deployment') as unknown as V1Deployment;
        const pod = deployment.spec?.template.spec;
        const container = pod?.containers[0];
        expect(deployment.spec?.replicas).to.equal(overlay.replicas);
        expect(pod?.containers).to.have.length(1);
        expect(pod?.securityContext).to.deep.include({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod?.securityContext?.runAsUser).to.be.above(0);
        expect(container?.securityContext).to.deep.include({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
        expect(container?.livenessProbe?.httpGet).to.deep.include({ path: '/healthz', port: 'http' });
        expect(container?.startupProbe?.httpGet).to.deep.include({ path: '/healthz', port: 'http' });
        expect(container?.readinessProbe?.httpGet).to.deep.include({ path: '/readyz', port: 'http' });
        expect(container?.image).to.match(/^[^:]+\/lagpilot:[\w.-]+$/);
        // Writable only where an emptyDir is mounted: /tmp.
        const writable = (container?.volumeMounts ?? []).filter((mount) => mount.readOnly !== true).map((mount) => [mount.mountPath, pod?.volumes?.find((volume) => volume.name === mount.name)?.emptyDir !== undefined]);
        expect(writable).to.deep.equal([['/tmp', true]]);
        const configVolume = pod?.volumes?.find((volume) => volume.configMap !== undefined);
        expect(configVolume?.configMap?.name, 'the config volume names the generated ConfigMap').to.equal(only(objects, 'ConfigMap').metadata.name);
        expect(container?.volumeMounts?.find((mount) => mount.name === configVolume?.name)?.mountPath).to.equal('/etc/lagpilot');
      });

      it('connects Service, ServiceMonitor, PodDisruptionBudget and NetworkPolicy to the pods and their http port', function () {
        const objects = renderedOverlay(overlay.name);
        const deployment = only(objects, 'Deployment') as unknown as V1Deployment;
        const podLabels = deployment.spec?.template.metadata?.labels;
        const containerPorts = deployment.spec?.template.spec?.containers[0]?.ports?.map((port) => port.name) ?? [];
        const service = only(objects, 'Service') as ManifestObject & { spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] } };
        const monitor = only(objects, 'ServiceMonitor') as ManifestObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } };
        const budget = only(objects, 'PodDisruptionBudget') as ManifestObject & { spec: { selector: { matchLabels: Record<string, string> } } };
        const policy = only(objects, 'NetworkPolicy') as ManifestObject & { spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: { ports: { port: string }[] }[] } };
        expect(labelsMatch(service.spec.selector, podLabels), 'Service selects the pods').to.equal(true);
        expect(containerPorts).to.include.members(service.spec.ports.map((port) => port.targetPort));
        expect(labelsMatch(monitor.spec.selector.matchLabels, service.metadata.labels as Record<string, string>), 'ServiceMonitor selects the Service').to.equal(true);
        expect(monitor.spec.endpoints.map((endpoint) => [endpoint.port, endpoint.path])).to.deep.equal([[service.spec.ports[0]?.name, '/metrics']]);
        expect(labelsMatch(budget.spec.selector.matchLabels, podLabels), 'PodDisruptionBudget selects the pods').to.equal(true);
        expect(labelsMatch(policy.spec.podSelector.matchLabels, podLabels), 'NetworkPolicy selects the pods').to.equal(true);
        expect(policy.spec.policyTypes).to.have.members(['Ingress', 'Egress']);
        expect(policy.spec.ingress.flatMap((rule) => rule.ports.map((port) => port.port))).to.deep.equal(['http']);
      });

      it('carries a config that `lagpilot validate-config` accepts in the pod\'s environment, listening on the container port', function () {
        const objects = renderedOverlay(overlay.name);
        const deployment = only(objects, 'Deployment') as unknown as V1Deployment;
        const configMap = only(objects, 'ConfigMap') as ManifestObject & { data: Record<string, string> };
        const text = configMap.data['lagpilot.yaml'];
        if (text === undefined) throw new Error(`ConfigMap ${configMap.metadata.name} has no lagpilot.yaml`);
        const environment = podEnvironment(deployment, overlay.namespace);
        const validation = validateConfig(text, environment);
        expect(validation.status, validation.output).to.equal(0);
        expect(validation.output).to.match(/: OK \(/);
        // Without the downward-API variable the config is refused: the check above is real.
        const withoutPodName = validateConfig(text, { ...environment, POD_NAME: undefined });
        expect(withoutPodName.status, withoutPodName.output).to.equal(2);
        expect(withoutPodName.output).to.include('POD_NAME');

        const config = parseYaml(text) as { server: { port: number }; leaderElection: { backend: string } };
        expect(config.server.port).to.equal(deployment.spec?.template.spec?.containers[0]?.ports?.find((port) => port.name === 'http')?.containerPort);
        expect(config.leaderElection.backend, 'replicas elect a leader through a Lease').to.equal('kubernetes');
      });

      it('is accepted by the apiserver: server-side apply as a dry run, no warnings (Pod Security "restricted" included)', async function () {
        this.timeout(60_000);
        const namespace = uniqueName(`lagpilot-${overlay.name}`);
        const objects = await renderIntoNamespace(overlay, namespace);
        // The Namespace for real: the objects in it can only be checked once it exists.
        const namespaceObject = only(objects, 'Namespace');
        const created = await applier.apply(namespaceObject);
        expect(created.status, JSON.stringify(created.body)).to.be.oneOf([200, 201]);
        for (const object of objects.filter((candidate) => candidate.kind !== 'Namespace')) {
          const answer = await applier.apply(object, { dryRun: true });
          expect(answer.status, `${object.kind} ${object.metadata.name}: ${JSON.stringify(answer.body)}`).to.be.oneOf([200, 201]);
          expect(answer.warnings, `${object.kind} ${object.metadata.name}`).to.deep.equal([]);
          const stored = await applier.get(object);
          expect(stored.status, `${object.kind} ${object.metadata.name} must not exist after a dry run`).to.equal(404);
        }
      });
    });
  }

  it('the warning check can fail: a pod template without the security context is warned about in the same namespace', async function () {
    const namespace = uniqueName('lagpilot-psa');
    const objects = await renderIntoNamespace(prodOverlay, namespace);
    expect((await applier.apply(only(objects, 'Namespace'))).status).to.be.oneOf([200, 201]);
    const deployment = structuredClone(only(objects, 'Deployment')) as unknown as V1Deployment;
    const pod = deployment.spec?.template.spec;
    if (pod === undefined) throw new Error('the Deployment has no pod template');
    delete pod.securityContext;
    for (const container of pod.containers) delete container.securityContext;
    const answer = await applier.apply(deployment as unknown as ManifestObject, { dryRun: true });
    expect(answer.status).to.be.oneOf([200, 201]);
    expect(answer.warnings.join('\n')).to.match(/would violate PodSecurity \\?"restricted/);
  });

  it('applies the prod overlay for real in a fresh namespace; applying it again changes nothing; the ServiceAccount gets exactly its Role', async function () {
    this.timeout(60_000);
    const namespace = uniqueName('lagpilot-prod');
    const objects = await renderIntoNamespace(prodOverlay, namespace);
    const firstVersions = new Map<string, string | undefined>();
    for (const object of objects) {
      const answer = await applier.apply(object);
      expect(answer.status, `${object.kind} ${object.metadata.name}: ${JSON.stringify(answer.body)}`).to.be.oneOf([200, 201]);
      expect(answer.warnings, `${object.kind} ${object.metadata.name}`).to.deep.equal([]);
      firstVersions.set(`${object.kind}/${object.metadata.name}`, answer.body.metadata.resourceVersion as string | undefined);
    }
    for (const object of objects) {
      const stored = await applier.get(object);
      expect(stored.status, `${object.kind} ${object.metadata.name} after the apply`).to.equal(200);
      const managers = (stored.body.metadata.managedFields as { manager: string; operation: string }[]).map((entry) => `${entry.manager}:${entry.operation}`);
      expect(managers, `${object.kind} ${object.metadata.name}`).to.include(`${fieldManager}:Apply`);
    }
    for (const object of objects) {
      const again = await applier.apply(object);
      expect(again.status).to.equal(200);
      expect(again.body.metadata.resourceVersion, `${object.kind} ${object.metadata.name} changed on the second apply`).to.equal(firstVersions.get(`${object.kind}/${object.metadata.name}`));
    }

    // The apiserver's own authorizer, asked about the rendered ServiceAccount.
    const admin = adminKubeConfig(kube);
    const authorization = admin.makeApiClient(AuthorizationV1Api);
    const user = `system:serviceaccount:${namespace}:${only(objects, 'ServiceAccount').metadata.name}`;
    const allowed = async (verb: string, group: string, resource: string, subresource = ''): Promise<boolean> => {
      const review = await authorization.createSubjectAccessReview({
        body: { spec: { user, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'], resourceAttributes: { namespace, verb, group, resource, subresource } } },
      });
      return review.status?.allowed === true;
    };
    const answers = {
      patchDeploymentScale: await allowed('patch', 'apps', 'deployments', 'scale'),
      patchStatefulSetScale: await allowed('patch', 'apps', 'statefulsets', 'scale'),
      createEvent: await allowed('create', '', 'events'),
      updateLease: await allowed('update', 'coordination.k8s.io', 'leases'),
      deleteDeployment: await allowed('delete', 'apps', 'deployments'),
      updateDeployment: await allowed('update', 'apps', 'deployments'),
      getSecret: await allowed('get', '', 'secrets'),
      listPods: await allowed('list', '', 'pods'),
      deleteLease: await allowed('delete', 'coordination.k8s.io', 'leases'),
    };
    expect(answers).to.deep.equal({
      patchDeploymentScale: true,
      patchStatefulSetScale: true,
      createEvent: true,
      updateLease: true,
      deleteDeployment: false,
      updateDeployment: false,
      getSecret: false,
      listPods: false,
      deleteLease: false,
    });
    // Namespaces never finish deleting without a controller-manager; the unique name keeps runs apart.
    await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
  });
});
