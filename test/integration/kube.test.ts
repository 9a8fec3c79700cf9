// The kube-apiserver of the local environment enforces RBAC on real ServiceAccount tokens: a
// token from the TokenRequest API may patch a Deployment's scale only once a Role granting
// `deployments/scale` is bound to its ServiceAccount. This is the permission lagpilot's
// Kubernetes actuator runs with.
// @kubernetes/client-node's models are classes without behaviour: fields plus a static type map
// that its serializer looks up by the type's name, never through the instance. Object literals
// are how its own examples build request bodies.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment */
import { expect } from 'chai';
import {
  AppsV1Api,
  AuthenticationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  VersionApi,
  type KubeConfig,
  type V1Deployment,
} from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureService } from '../env/environment.ts';
import { kubernetesVersion, type KubeDetails } from '../env/services/kube.ts';
import { adminKubeConfig, mergePatch, httpStatusOf, requestServiceAccountToken, tokenKubeConfig, uniqueName } from './kube-helpers.ts';

const deploymentName = 'orders-consumer';
const scalerRole = 'deployment-scaler';

function deployment(replicas: number): V1Deployment {
  const labels = { app: deploymentName };
  return {
    metadata: { name: deploymentName, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'consumer', image: 'registry.invalid/orders-consumer:1.0.0' }] },
      },
    },
  };
}

async function patchReplicas(client: KubeConfig, namespace: string, replicas: number): Promise<number | undefined> {
  const scale = await client.makeApiClient(AppsV1Api).patchNamespacedDeploymentScale(
    { name: deploymentName, namespace, body: { spec: { replicas } } },
    mergePatch,
  );
  return scale.spec?.replicas;
}

async function readReplicas(admin: KubeConfig, namespace: string): Promise<number | undefined> {
  const current = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: deploymentName, namespace });
  return current.spec?.replicas;
}

describe('kube-apiserver (local environment)', function () {
  let kube: KubeDetails;
  let admin: KubeConfig;
  // Unique per run: the apiserver is shared and namespaces never finish deleting without a
  // controller-manager, so a rerun must not meet this run's objects.
  const namespace = uniqueName('lagpilot-kube-test');
  let namespaceCreated = false;

  before(async function () {
    // A first run on a fresh machine builds the binaries (minutes). start() bounds the build,
    // etcd and the apiserver with deadlines of its own, so the hook does not need a second one.
    this.timeout(0);
    kube = await ensureService<KubeDetails>('kube');
    admin = adminKubeConfig(kube);
  });

  after(async function () {
    // Marks the namespace Terminating, which refuses new objects in it; it stays listed.
    if (namespaceCreated) await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  });

  it(`reports v${kubernetesVersion} on /version`, async function () {
    const version = await admin.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).to.equal(`v${kubernetesVersion}`);
    expect(version.gitVersion).to.match(/^v1\.36\./);
    expect(`${version.major}.${version.minor}`).to.equal('1.36');
  });

  it('refuses a bearer token it did not issue (401)', async function () {
    const stranger = tokenKubeConfig(kube, 'stranger', 'not-a-token-this-apiserver-issued');
    expect(await httpStatusOf(stranger.makeApiClient(CoreV1Api).listNamespace())).to.equal(401);
  });

  it('lets a ServiceAccount patch deployments/scale only once a Role allowing it is bound', async function () {
    const core = admin.makeApiClient(CoreV1Api);
    const apps = admin.makeApiClient(AppsV1Api);
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);

    await core.createNamespace({ body: { metadata: { name: namespace } } });
    namespaceCreated = true;
    await apps.createNamespacedDeployment({ namespace, body: deployment(1) });
    for (const name of ['scaler', 'bystander']) {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
    }
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: scalerRole },
        rules: [{ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'] }],
      },
    });

    const scalerToken = await requestServiceAccountToken(admin, namespace, 'scaler', 600);
    const bystanderToken = await requestServiceAccountToken(admin, namespace, 'bystander', 600);
    const scaler = tokenKubeConfig(kube, 'scaler', scalerToken);
    const bystander = tokenKubeConfig(kube, 'bystander', bystanderToken);

    // The token is a real, signed ServiceAccount token: the apiserver knows whose it is.
    const review = await scaler.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).to.equal(`system:serviceaccount:${namespace}:scaler`);

    // Before the binding the scaler is refused like anybody else.
    expect(await httpStatusOf(patchReplicas(scaler, namespace, 4)), 'patch before the RoleBinding').to.equal(403);
    expect(await readReplicas(admin, namespace)).to.equal(1);

    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: `${scalerRole}-scaler` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: scalerRole },
        subjects: [{ kind: 'ServiceAccount', name: 'scaler', namespace }],
      },
    });

    // The RBAC authorizer reads bindings from an informer, so a new binding takes effect a moment
    // after it is created.
    const giveUpAt = Date.now() + 10_000;
    for (;;) {
      const status = await httpStatusOf(patchReplicas(scaler, namespace, 3));
      if (status === 200) break;
      expect(status, 'patch after the RoleBinding').to.equal(403);
      if (Date.now() > giveUpAt) throw new Error('the scaler was still refused (403) 10 s after its RoleBinding was created');
      await sleep(200);
    }
    expect(await patchReplicas(scaler, namespace, 3), 'spec.replicas in the patch answer').to.equal(3);
    expect(await readReplicas(admin, namespace), 'spec.replicas read back by the admin').to.equal(3);
    const scale = await scaler.makeApiClient(AppsV1Api).readNamespacedDeploymentScale({ name: deploymentName, namespace });
    expect(scale.spec?.replicas).to.equal(3);

    // The Role covers the scale subresource only, not the Deployment itself.
    expect(
      await httpStatusOf(scaler.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: deploymentName, namespace })),
      'reading the whole Deployment',
    ).to.equal(403);

    // A ServiceAccount without the Role is refused, and the scale stays where it was.
    expect(await httpStatusOf(patchReplicas(bystander, namespace, 7)), 'patch by the unbound ServiceAccount').to.equal(403);
    expect(await readReplicas(admin, namespace)).to.equal(3);
  });
});
