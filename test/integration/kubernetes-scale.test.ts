// The Kubernetes scale actuator against the real kube-apiserver of the local environment, acting
// as a ServiceAccount whose only permissions are deploy/kubernetes/base/role.yaml: a Deployment, a
// StatefulSet and a custom resource (a KafkaNodePool-shaped CRD defined here, with a /scale
// subresource) are scaled, the pause annotation is obeyed, conflicts are retried, dry runs change
// nothing, and what the Role does not grant is refused.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client's models are field-only classes; request bodies are object literals */
import { expect } from 'chai';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pausedAnnotation } from '../../src/actuators/kubernetes-api.ts';
import { KubernetesScaleActuator, lastDecisionAnnotation } from '../../src/actuators/kubernetes-scale.ts';
import type { KubernetesScaleActuatorConfig } from '../../src/config/schema/actuators.ts';
import { kubernetesScaleActuatorSchema } from '../../src/config/schema/actuators.ts';
import type { Decision } from '../../src/policies/types.ts';
import { ensureService } from '../env/environment.ts';
import type { KubeDetails } from '../env/services/kube.ts';
import { adminKubeConfig, bindShippedServiceAccount, httpStatusOf, shippedServiceAccount, mergePatch, tokenKubeConfig, uniqueName } from './kube-helpers.ts';

const poolGroup = 'kafka.strimzi.io';
const poolVersion = 'v1beta2';
const poolPlural = 'kafkanodepools';
const target = { name: 'orders' };

function decision(current: number, desired: number, time = Date.now() / 1000): Decision {
  return {
    time,
    current,
    desired,
    action: desired > current ? 'scaleUp' : 'scaleDown',
    reasons: [{ code: 'LagAboveTarget', source: 'lag', message: 'lag 40 s over a 10 s target', evidence: { lagSeconds: 40 } }],
    recommendations: [],
  };
}

function podTemplate(app: string) {
  const labels = { app };
  return {
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [{ name: 'consumer', image: 'registry.invalid/consumer:1.0.0' }] } },
  };
}

function actuatorConfig(workload: Record<string, string>, extra: Record<string, unknown> = {}): KubernetesScaleActuatorConfig {
  return kubernetesScaleActuatorSchema.parse({ kind: 'kubernetesScale', workload, requestTimeout: '5s', ...extra });
}

async function ensureNodePoolDefinition(admin: KubeConfig): Promise<void> {
  const extensions = admin.makeApiClient(ApiextensionsV1Api);
  const name = `${poolPlural}.${poolGroup}`;
  const status = await httpStatusOf(
    extensions.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group: poolGroup,
          names: { kind: 'KafkaNodePool', listKind: 'KafkaNodePoolList', plural: poolPlural, singular: 'kafkanodepool' },
          scope: 'Namespaced',
          versions: [
            {
              name: poolVersion,
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { replicas: { type: 'integer', minimum: 0 }, roles: { type: 'array', items: { type: 'string' } } } },
                    status: { type: 'object', properties: { replicas: { type: 'integer' }, labelSelector: { type: 'string' } } },
                  },
                },
              },
              subresources: {
                status: {},
                scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' },
              },
            },
          ],
        },
      },
    }),
  );
  // 409: an earlier run on this apiserver defined it already.
  if (status !== 200 && status !== 409) throw new Error(`creating the CRD ${name} failed with ${status}`);
  const giveUpAt = Date.now() + 30_000;
  for (;;) {
    const definition = await extensions.readCustomResourceDefinition({ name });
    if (definition.status?.conditions?.some((condition) => condition.type === 'Established' && condition.status === 'True')) return;
    if (Date.now() > giveUpAt) throw new Error(`the CRD ${name} was not Established within 30 s`);
    await sleep(200);
  }
}

async function eventsFor(admin: KubeConfig, namespace: string, name: string) {
  const list = await admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items;
}

async function deploymentReplicas(admin: KubeConfig, namespace: string, name: string): Promise<number | undefined> {
  return (await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace })).spec?.replicas;
}

describe('Kubernetes scale actuator (real kube-apiserver, RBAC of deploy/kubernetes)', function () {
  let kube: KubeDetails;
  let admin: KubeConfig;
  let scaler: KubeConfig;
  let token: string;
  const namespace = uniqueName('lagpilot-actuator');
  let namespaceCreated = false;

  before(async function () {
    this.timeout(0);
    kube = await ensureService<KubeDetails>('kube');
    admin = adminKubeConfig(kube);
    const core = admin.makeApiClient(CoreV1Api);
    const apps = admin.makeApiClient(AppsV1Api);
    await ensureNodePoolDefinition(admin);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    namespaceCreated = true;
    for (const name of ['orders-consumer', 'paused-consumer', 'contested-consumer', 'dry-consumer', 'incluster-consumer']) {
      await apps.createNamespacedDeployment({ namespace, body: { metadata: { name }, spec: { replicas: 1, ...podTemplate(name) } } });
    }
    await apps.createNamespacedStatefulSet({
      namespace,
      body: { metadata: { name: 'brokers' }, spec: { replicas: 3, serviceName: 'brokers', ...podTemplate('brokers') } },
    });
    await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: poolGroup,
      version: poolVersion,
      namespace,
      plural: poolPlural,
      body: { apiVersion: `${poolGroup}/${poolVersion}`, kind: 'KafkaNodePool', metadata: { name: 'pool-a' }, spec: { replicas: 3, roles: ['broker'] } },
    });
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'kafka-credentials' }, stringData: { password: 'hunter2' } } });
    ({ token, kubeConfig: scaler } = await bindShippedServiceAccount(kube, admin, namespace, {
      what: 'the scale of orders-consumer',
      check: async (client) => (await httpStatusOf(client.makeApiClient(AppsV1Api).readNamespacedDeploymentScale({ name: 'orders-consumer', namespace }))) === 200,
    }));
  });

  after(async function () {
    if (namespaceCreated) await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  });

  it('scales a Deployment, records why (annotation and Event), and changes nothing the second time', async function () {
    const actuator = new KubernetesScaleActuator(actuatorConfig({ kind: 'Deployment', name: 'orders-consumer', namespace }), { kubeConfig: scaler });
    expect(await actuator.current()).to.deep.equal({ replicas: 1, notices: [] });

    const scaleUp = decision(1, 4);
    const first = await actuator.apply({ target, decision: scaleUp });
    expect(first, first.detail).to.include({ status: 'applied', code: 'Scaled', replicasBefore: 1, replicasAfter: 4 });
    expect(first.detail).to.equal(`scaled Deployment ${namespace}/orders-consumer from 1 to 4`);
    expect(await deploymentReplicas(admin, namespace, 'orders-consumer')).to.equal(4);
    expect((await actuator.current()).replicas).to.equal(4);

    const workload = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'orders-consumer', namespace });
    const recorded = JSON.parse(workload.metadata?.annotations?.[lastDecisionAnnotation] ?? '{}') as Record<string, unknown>;
    expect(recorded).to.deep.include({ target: 'orders', from: 1, to: 4, action: 'scaleUp', reasons: ['LagAboveTarget'] });
    const events = await eventsFor(admin, namespace, 'orders-consumer');
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ reason: 'ScaledUp', type: 'Normal', message: 'target orders: 1 -> 4 replicas (LagAboveTarget)' });
    expect(events[0]?.involvedObject).to.include({ kind: 'Deployment', name: 'orders-consumer', uid: workload.metadata?.uid });

    const versionBefore = workload.metadata?.resourceVersion;
    const second = await actuator.apply({ target, decision: scaleUp });
    expect(second).to.include({ status: 'noop', code: 'AlreadyAtDesired', replicasBefore: 4 });
    const after = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'orders-consumer', namespace });
    expect(after.metadata?.resourceVersion, 'the Deployment was written again').to.equal(versionBefore);
    expect(await eventsFor(admin, namespace, 'orders-consumer')).to.have.length(1);

    const scaleDown = await actuator.apply({ target, decision: decision(4, 2) });
    expect(scaleDown).to.include({ status: 'applied', replicasBefore: 4, replicasAfter: 2 });
    const reasons = (await eventsFor(admin, namespace, 'orders-consumer')).map((event) => event.reason).sort();
    expect(reasons).to.deep.equal(['ScaledDown', 'ScaledUp']);
  });

  it('scales a StatefulSet and a custom resource through their /scale subresources', async function () {
    const statefulSet = new KubernetesScaleActuator(actuatorConfig({ kind: 'StatefulSet', name: 'brokers', namespace }), { kubeConfig: scaler });
    expect((await statefulSet.current()).replicas).to.equal(3);
    const grown = await statefulSet.apply({ target, decision: decision(3, 5) });
    expect(grown, grown.detail).to.include({ status: 'applied', replicasAfter: 5 });
    const read = await admin.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name: 'brokers', namespace });
    expect(read.spec?.replicas).to.equal(5);

    const pool = new KubernetesScaleActuator(
      actuatorConfig({ apiVersion: `${poolGroup}/${poolVersion}`, kind: 'KafkaNodePool', plural: poolPlural, name: 'pool-a', namespace }),
      { kubeConfig: scaler },
    );
    expect((await pool.current()).replicas).to.equal(3);
    const result = await pool.apply({ target, decision: decision(3, 4) });
    expect(result, result.detail).to.include({ status: 'applied', code: 'Scaled', replicasBefore: 3, replicasAfter: 4 });
    const object = (await admin.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: poolGroup,
      version: poolVersion,
      namespace,
      plural: poolPlural,
      name: 'pool-a',
    })) as { spec: { replicas: number }; metadata: { annotations?: Record<string, string> } };
    expect(object.spec.replicas).to.equal(4);
    expect(object.metadata.annotations?.[lastDecisionAnnotation]).to.include('"to":4');
    expect((await eventsFor(admin, namespace, 'pool-a')).map((event) => event.involvedObject.kind)).to.deep.equal(['KafkaNodePool']);
    expect(await pool.apply({ target, decision: decision(3, 4) })).to.include({ status: 'noop' });
  });

  it('obeys lagpilot.io/paused: "true" on the workload', async function () {
    await admin.makeApiClient(AppsV1Api).patchNamespacedDeployment(
      { name: 'paused-consumer', namespace, body: { metadata: { annotations: { [pausedAnnotation]: 'true' } } } },
      mergePatch,
    );
    const actuator = new KubernetesScaleActuator(actuatorConfig({ kind: 'Deployment', name: 'paused-consumer', namespace }), { kubeConfig: scaler });
    const result = await actuator.apply({ target, decision: decision(1, 6) });
    expect(result).to.include({ status: 'noop', code: 'Paused' });
    expect(result.detail).to.contain('lagpilot.io/paused');
    expect(await deploymentReplicas(admin, namespace, 'paused-consumer')).to.equal(1);
    expect(await eventsFor(admin, namespace, 'paused-consumer')).to.have.length(0);
  });

  it('dry run: the apiserver checks the writes (RBAC included) and stores nothing', async function () {
    const actuator = new KubernetesScaleActuator(actuatorConfig({ kind: 'Deployment', name: 'dry-consumer', namespace }, { dryRun: true }), { kubeConfig: scaler });
    const before = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'dry-consumer', namespace });
    const result = await actuator.apply({ target, decision: decision(1, 5) });
    expect(result, result.detail).to.include({ status: 'dryRun', code: 'WouldScale', replicasBefore: 1, replicasAfter: 5 });
    const after = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'dry-consumer', namespace });
    expect(after.spec?.replicas).to.equal(1);
    expect(after.metadata?.resourceVersion).to.equal(before.metadata?.resourceVersion);
    expect(after.metadata?.annotations?.[lastDecisionAnnotation]).to.equal(undefined);
    expect(await eventsFor(admin, namespace, 'dry-consumer')).to.have.length(0);

    // A dry run still goes through authorization: one for a workload outside the Role's reach fails.
    const elsewhere = new KubernetesScaleActuator(actuatorConfig({ kind: 'Deployment', name: 'dry-consumer', namespace: 'default' }, { dryRun: true }), { kubeConfig: scaler });
    const refused = await elsewhere.apply({ target, decision: decision(1, 5) });
    expect(refused).to.include({ status: 'failed', code: 'Http403' });
    expect(refused.detail).to.contain('apiserver answered 403');
  });

  it('retries after a 409 when the object changes between read and write', async function () {
    const apps = admin.makeApiClient(AppsV1Api);
    let interventions = 0;
    const actuator = new KubernetesScaleActuator(actuatorConfig({ kind: 'Deployment', name: 'contested-consumer', namespace }), {
      kubeConfig: scaler,
      betweenReadAndWrite: async () => {
        interventions++;
        if (interventions > 1) return;
        // Someone else changes the Deployment after lagpilot read its scale: a new resourceVersion.
        await apps.patchNamespacedDeployment(
          { name: 'contested-consumer', namespace, body: { metadata: { labels: { touched: 'yes' } } } },
          mergePatch,
        );
      },
    });
    const result = await actuator.apply({ target, decision: decision(1, 3) });
    expect(result, result.detail).to.include({ status: 'applied', replicasAfter: 3 });
    expect(result.detail).to.contain('after 1 conflict (409)');
    expect(interventions).to.equal(2);
    expect(await deploymentReplicas(admin, namespace, 'contested-consumer')).to.equal(3);

    // With no retries allowed, the same interference is a failure that says so.
    const impatient = new KubernetesScaleActuator(actuatorConfig({ kind: 'Deployment', name: 'contested-consumer', namespace }, { conflictRetries: 0 }), {
      kubeConfig: scaler,
      betweenReadAndWrite: async () => {
        await apps.patchNamespacedDeployment(
          { name: 'contested-consumer', namespace, body: { metadata: { labels: { touched: String(Date.now()) } } } },
          mergePatch,
        );
      },
    });
    const conflicted = await impatient.apply({ target, decision: decision(3, 5) });
    expect(conflicted).to.include({ status: 'failed', code: 'Conflict' });
    expect(conflicted.detail).to.match(/still conflicting after 1 attempts \(409\)/);
    expect(await deploymentReplicas(admin, namespace, 'contested-consumer')).to.equal(3);
  });

  it('the ServiceAccount cannot delete the Deployment or read a Secret (403)', async function () {
    const apps = scaler.makeApiClient(AppsV1Api);
    const core = scaler.makeApiClient(CoreV1Api);
    expect(await httpStatusOf(apps.deleteNamespacedDeployment({ name: 'orders-consumer', namespace })), 'delete the Deployment').to.equal(403);
    expect(await httpStatusOf(core.readNamespacedSecret({ name: 'kafka-credentials', namespace })), 'read a Secret').to.equal(403);
    expect(await httpStatusOf(core.listNamespacedPod({ namespace })), 'list Pods').to.equal(403);
    expect(await deploymentReplicas(admin, namespace, 'orders-consumer')).to.be.a('number');
  });

  it('authenticates in-cluster from the service-account files (token, CA, namespace)', async function () {
    const prefix = mkdtempSync(join(tmpdir(), 'lagpilot-incluster-'));
    const accountDir = join(prefix, 'var', 'run', 'secrets', 'kubernetes.io', 'serviceaccount');
    mkdirSync(accountDir, { recursive: true });
    writeFileSync(join(accountDir, 'token'), token);
    writeFileSync(join(accountDir, 'ca.crt'), readFileSync(kube.caFile));
    writeFileSync(join(accountDir, 'namespace'), namespace);
    const url = new URL(kube.serverUrl);
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = url.hostname;
    process.env.KUBERNETES_SERVICE_PORT = url.port;
    try {
      // No namespace in the workload: the in-cluster namespace file supplies it.
      const actuator = new KubernetesScaleActuator(actuatorConfig({ kind: 'Deployment', name: 'incluster-consumer' }, { auth: { from: 'inCluster', pathPrefix: prefix } }));
      const result = await actuator.apply({ target, decision: decision(1, 2) });
      expect(result, result.detail).to.include({ status: 'applied', replicasAfter: 2 });
      expect(await deploymentReplicas(admin, namespace, 'incluster-consumer')).to.equal(2);
    } finally {
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.host;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.port;
      rmSync(prefix, { recursive: true, force: true });
    }
  });

  describe('when the apiserver answers 429 or 500', function () {
    // A plain-HTTP proxy on loopback in front of the real apiserver that answers chosen requests
    // itself with an error, the way an overloaded apiserver (or its etcd) does.
    interface Fault {
      method: string;
      pathSuffix: string;
      status: number;
      retryAfterSeconds?: number;
    }
    let proxy: HttpServer;
    let proxyUrl: string;
    const faults: Fault[] = [];
    const seen: string[] = [];

    before(async function () {
      const upstream = new URL(kube.serverUrl);
      const ca = readFileSync(kube.caFile);
      proxy = createHttpServer((request, response) => {
        const path = (request.url ?? '').split('?')[0] ?? '';
        seen.push(`${request.method ?? ''} ${path}`);
        const index = faults.findIndex((fault) => fault.method === request.method && path.endsWith(fault.pathSuffix));
        const fault = index >= 0 ? faults.splice(index, 1)[0] : undefined;
        if (fault !== undefined) {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
          const message = fault.status === 429 ? 'too many requests, please try again later' : 'etcdserver: request timed out';
          response.writeHead(fault.status, headers).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code: fault.status }));
          return;
        }
        const forwarded = httpsRequest(
          { host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: { ...request.headers, host: upstream.host }, ca },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
          },
        );
        forwarded.on('error', (error) => response.writeHead(502).end(error.message));
        request.pipe(forwarded);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });

    after(async function () {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => { resolve(); }));
    });

    beforeEach(function () {
      faults.length = 0;
      seen.length = 0;
    });

    function throughProxy(extra: Record<string, unknown>): KubernetesScaleActuator {
      const config = tokenKubeConfig(kube, shippedServiceAccount, token);
      const cluster = config.getCurrentCluster();
      if (cluster === null) throw new Error('token kubeconfig has no cluster');
      // The client refuses plain HTTP unless TLS checks are off; the proxy itself verifies the apiserver.
      config.clusters = [{ ...cluster, server: proxyUrl, skipTLSVerify: true }];
      return new KubernetesScaleActuator(actuatorConfig({ kind: 'Deployment', name: 'contested-consumer', namespace }, extra), { kubeConfig: config });
    }

    it('retries the write after 500 and 429 (honouring Retry-After) and applies it once', async function () {
      const before = await deploymentReplicas(admin, namespace, 'contested-consumer');
      const desired = (before ?? 0) + 1;
      faults.push(
        { method: 'PATCH', pathSuffix: '/scale', status: 500 },
        { method: 'PATCH', pathSuffix: '/scale', status: 429, retryAfterSeconds: 1 },
      );
      const startedAt = Date.now();
      const result = await throughProxy({ retryBackoff: '50ms' }).apply({ target, decision: decision(before ?? 0, desired) });
      expect(result, result.detail).to.include({ status: 'applied', replicasAfter: desired });
      expect(Date.now() - startedAt, 'waited the Retry-After of 1 s').to.be.at.least(1_000);
      expect(faults, 'both faults were met').to.deep.equal([]);
      expect(seen.filter((line) => line.startsWith('PATCH') && line.endsWith('/scale'))).to.have.length(3);
      expect(await deploymentReplicas(admin, namespace, 'contested-consumer')).to.equal(desired);
      expect(await eventsFor(admin, namespace, 'contested-consumer')).to.have.length.at.least(1);
    });

    it('fails naming each 500 when the apiserver keeps failing', async function () {
      faults.push(
        { method: 'GET', pathSuffix: '/scale', status: 500 },
        { method: 'GET', pathSuffix: '/scale', status: 500 },
      );
      const result = await throughProxy({ transientRetries: 1, retryBackoff: '10ms' }).apply({ target, decision: decision(1, 9) });
      expect(result).to.include({ status: 'failed', code: 'Http500' });
      expect(result.detail).to.equal(
        `could not read the scale of Deployment ${namespace}/contested-consumer: apiserver answered 500: etcdserver: request timed out (after 500)`,
      );
      expect(await deploymentReplicas(admin, namespace, 'contested-consumer')).to.not.equal(9);
    });
  });

  describe('when the apiserver cannot be reached', function () {
    let silent: Server;
    const sockets = new Set<Socket>();

    before(async function () {
      // Accepts connections and never answers: a hung apiserver.
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });

    after(async function () {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => { resolve(); }));
    });

    function pointedAt(server: string, requestTimeout: string): KubernetesScaleActuator {
      const config = tokenKubeConfig(kube, shippedServiceAccount, token);
      const cluster = config.getCurrentCluster();
      if (cluster === null) throw new Error('token kubeconfig has no cluster');
      config.clusters = [{ ...cluster, server }];
      return new KubernetesScaleActuator(actuatorConfig({ kind: 'Deployment', name: 'orders-consumer', namespace }, { requestTimeout }), { kubeConfig: config });
    }

    it('fails with the time limit when the apiserver does not answer', async function () {
      const address = silent.address();
      if (address === null || typeof address === 'string') throw new Error('silent server has no port');
      const startedAt = Date.now();
      const result = await pointedAt(`https://127.0.0.1:${address.port}`, '700ms').apply({ target, decision: decision(2, 3) });
      expect(result).to.include({ status: 'failed', code: 'Timeout' });
      expect(result.detail).to.equal(`could not read Deployment ${namespace}/orders-consumer: no answer from the apiserver within 700 ms`);
      expect(Date.now() - startedAt).to.be.below(5_000);
    });

    it('fails naming the refused connection when nothing listens', async function () {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const address = closed.address();
      await new Promise<void>((resolve) => closed.close(() => { resolve(); }));
      if (address === null || typeof address === 'string') throw new Error('no port');
      const result = await pointedAt(`https://127.0.0.1:${address.port}`, '5s').apply({ target, decision: decision(2, 3) });
      expect(result).to.include({ status: 'failed', code: 'Unreachable' });
      expect(result.detail).to.match(/apiserver unreachable \(.*ECONNREFUSED/);
    });
  });
});
