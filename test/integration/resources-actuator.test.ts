// The resources (vertical) actuator against the real kube-apiserver and the real Prometheus of the
// local environment. No kubelet runs here, so the container usage series come from a loopback
// endpoint this test serves in cAdvisor's shape and Prometheus scrapes: a CPU counter rising at a
// known rate and a constant working set, per pod, each sample carrying its own timestamp so the
// rate Prometheus computes is exact. The actuator acts as a ServiceAccount bound to the Role of
// deploy/kubernetes/base.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client's models are field-only classes; request bodies are object literals */
import { expect } from 'chai';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pausedAnnotation } from '../../src/actuators/kubernetes-api.ts';
import { lastResourcesAnnotation, renderUsageQuery, ResourcesActuator } from '../../src/actuators/resources.ts';
import type { ResourcesActuatorConfig } from '../../src/config/schema/actuators.ts';
import { resourcesActuatorSchema } from '../../src/config/schema/actuators.ts';
import type { Decision } from '../../src/policies/types.ts';
import { MemoryStateStore } from '../../src/state/memory-store.ts';
import { RedisStateStore } from '../../src/state/redis-store.ts';
import { Redis } from 'ioredis';
import { ensureService } from '../env/environment.ts';
import { freeLoopbackPort } from '../env/ports.ts';
import type { KubeDetails } from '../env/services/kube.ts';
import type { RedisDetails } from '../env/services/redis.ts';
import { setScrapeTargets, type PrometheusDetails } from '../env/services/prometheus.ts';
import { adminKubeConfig, bindShippedServiceAccount, httpStatusOf, mergePatch, uniqueName } from './kube-helpers.ts';

const target = { name: 'orders' };
const mebibyte = 1024 * 1024;
const workloads = ['sized-consumer', 'dry-consumer', 'paused-consumer', 'contested-consumer', 'shared-consumer', 'brokers'] as const;
// Two pods per workload. The p90 over both pods' samples is the busier pod's usage.
const pods = [
  { suffix: '7d9f8-abcde', cores: 0.25, memoryBytes: 200 * mebibyte },
  { suffix: '7d9f8-fghij', cores: 0.1, memoryBytes: 100 * mebibyte },
];
// A usage history of 30 one-second steps; 20 samples (both pods together) are enough.
const window = '30s';
const minSamples = 20;
// irate of a counter that rises linearly is its slope exactly, from the second sample on.
const cpuQuery = 'sum by (pod) (irate(container_cpu_usage_seconds_total{namespace="${namespace}", pod=~"${workload}-.+", container="${container}"}[5s]))';
const memoryQuery = 'max by (pod) (container_memory_working_set_bytes{namespace="${namespace}", pod=~"${workload}-.+", container="${container}"})';

function decision(): Decision {
  return {
    time: Date.now() / 1000,
    current: 2,
    desired: 2,
    action: 'scaleUp',
    reasons: [{ code: 'LagAboveTarget', source: 'lag', message: 'lag 40 s over a 10 s target', evidence: { lagSeconds: 40 } }],
    recommendations: [],
  };
}

function workloadSpec(name: string) {
  const labels = { app: name };
  return {
    replicas: 2,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        containers: [
          {
            name: 'consumer',
            image: 'registry.invalid/consumer:1.0.0',
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
          },
          { name: 'sidecar', image: 'registry.invalid/sidecar:1.0.0', resources: { requests: { cpu: '5m', memory: '16Mi' } } },
        ],
      },
    },
  };
}

/**
 * cAdvisor-shaped series for every workload's pods in `namespace`, stamped with the time of the
 * scrape: the CPU counter is `cores` x seconds since the endpoint started (from a large offset,
 * so rate() never sees a counter near zero), the working set is constant.
 */
function serveUsage(namespace: string): Server {
  const startedAtMillis = Date.now();
  return createServer((request, response) => {
    const nowMillis = Date.now();
    const elapsedSeconds = (nowMillis - startedAtMillis) / 1000;
    const cpu: string[] = [];
    const memory: string[] = [];
    for (const workload of workloads) {
      for (const pod of pods) {
        const labels = `namespace="${namespace}",pod="${workload}-${pod.suffix}",container="consumer"`;
        cpu.push(`container_cpu_usage_seconds_total{${labels}} ${(10_000 + pod.cores * elapsedSeconds).toFixed(6)} ${nowMillis}`);
        memory.push(`container_memory_working_set_bytes{${labels}} ${pod.memoryBytes} ${nowMillis}`);
      }
    }
    const body = [
      '# TYPE container_cpu_usage_seconds_total counter',
      ...cpu,
      '# TYPE container_memory_working_set_bytes gauge',
      ...memory,
      '',
    ].join('\n');
    response.writeHead(request.url === '/metrics' ? 200 : 404, { 'Content-Type': 'text/plain; version=0.0.4' });
    response.end(request.url === '/metrics' ? body : 'not found\n');
  });
}

/** How many values a range query over the last `seconds` returns, all series together. */
async function rangeSampleCount(prometheus: PrometheusDetails, query: string, seconds: number): Promise<number> {
  const end = Date.now() / 1000;
  const parameters = new URLSearchParams({ query, start: String(end - seconds), end: String(end), step: '1s' });
  const response = await fetch(`${prometheus.url}/api/v1/query_range?${parameters.toString()}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { status: string; error?: string; data?: { result: { values: unknown[] }[] } };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${query}: ${body.error ?? response.status}`);
  return (body.data?.result ?? []).reduce((total, series) => total + series.values.length, 0);
}

async function readDeployment(admin: KubeConfig, namespace: string, name: string): Promise<V1Deployment> {
  return admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
}

function containerResources(workload: V1Deployment, container: string): unknown {
  return workload.spec?.template.spec?.containers.find((candidate) => candidate.name === container)?.resources;
}

async function eventsFor(admin: KubeConfig, namespace: string, name: string) {
  return (await admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` })).items;
}

describe('resources actuator (real kube-apiserver and Prometheus, RBAC of deploy/kubernetes)', function () {
  let admin: KubeConfig;
  let sizer: KubeConfig;
  let prometheus: PrometheusDetails;
  let usage: Server | undefined;
  const namespace = uniqueName('lagpilot-resources');
  const targetsOwner = `resources-actuator-${process.pid}`;
  let namespaceCreated = false;

  function config(name: string, extra: Record<string, unknown> = {}): ResourcesActuatorConfig {
    return resourcesActuatorSchema.parse({
      kind: 'resources',
      workload: { kind: 'Deployment', name, namespace },
      containers: ['consumer'],
      prometheus: { url: prometheus.url, timeout: '5s' },
      queries: { cpu: cpuQuery, memory: memoryQuery },
      window,
      step: '1s',
      minSamples,
      cooldown: '10m',
      requestTimeout: '5s',
      ...extra,
    });
  }

  before(async function () {
    this.timeout(0);
    const kube = await ensureService<KubeDetails>('kube');
    prometheus = await ensureService<PrometheusDetails>('prometheus');
    admin = adminKubeConfig(kube);
    const core = admin.makeApiClient(CoreV1Api);
    const apps = admin.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    namespaceCreated = true;
    for (const name of workloads.filter((workload) => workload !== 'brokers')) {
      await apps.createNamespacedDeployment({ namespace, body: { metadata: { name }, spec: workloadSpec(name) } });
    }
    await apps.createNamespacedStatefulSet({ namespace, body: { metadata: { name: 'brokers' }, spec: { ...workloadSpec('brokers'), serviceName: 'brokers' } } });
    ({ kubeConfig: sizer } = await bindShippedServiceAccount(kube, admin, namespace, {
      what: 'the Deployment sized-consumer',
      check: async (client) => (await httpStatusOf(client.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'sized-consumer', namespace }))) === 200,
    }));
  });

  after(async function () {
    setScrapeTargets([], targetsOwner);
    const server = usage;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    if (namespaceCreated) await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  });

  it('recommends nothing before there is enough usage history', async function () {
    const actuator = new ResourcesActuator(config('sized-consumer', { dryRun: false }), { kubeConfig: sizer });
    const before = await readDeployment(admin, namespace, 'sized-consumer');
    const result = await actuator.apply({ target, decision: decision() });
    expect(result, result.detail).to.include({ status: 'noop', code: 'InsufficientHistory' });
    expect(result.detail).to.contain(`consumer cpu: 0 usage samples, ${minSamples} needed`);
    expect((await readDeployment(admin, namespace, 'sized-consumer')).metadata?.resourceVersion).to.equal(before.metadata?.resourceVersion);
  });

  it('gathers usage history: Prometheus scrapes the container series', async function () {
    this.timeout(90_000);
    const server = serveUsage(namespace);
    usage = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    setScrapeTargets([`127.0.0.1:${port}`], targetsOwner);
    const queries = [cpuQuery, memoryQuery].map((template) => renderUsageQuery(template, { namespace, workload: 'sized-consumer', container: 'consumer' }));
    const giveUpAt = Date.now() + 75_000;
    for (;;) {
      const counts = await Promise.all(queries.map((query) => rangeSampleCount(prometheus, query, 30)));
      // A few more than needed, so the actuator's own window (a moment later) surely has enough.
      if (counts.every((count) => count >= minSamples + 4)) break;
      if (Date.now() > giveUpAt) throw new Error(`Prometheus at ${prometheus.url} holds only ${counts.join(' / ')} cpu / memory samples after 75 s (scrape target 127.0.0.1:${port})`);
      await sleep(1000);
    }
  });

  it('dry run: reports the recommendation, the apiserver checks the patch, nothing changes', async function () {
    const actuator = new ResourcesActuator(config('dry-consumer'), { kubeConfig: sizer });
    expect(actuator.dryRun).to.equal(true);
    const before = await readDeployment(admin, namespace, 'dry-consumer');
    const result = await actuator.apply({ target, decision: decision() });
    expect(result, result.detail).to.include({ status: 'dryRun', code: 'WouldResize' });
    expect(result.detail).to.contain(
      `would resize Deployment ${namespace}/dry-consumer: consumer cpu request 100m -> 288m, limit 200m -> 576m; consumer memory request 128Mi -> 230Mi, limit 256Mi -> 460Mi`,
    );
    expect(result.detail).to.contain('cpu: p90 250m +15% -> 288m');
    const after = await readDeployment(admin, namespace, 'dry-consumer');
    expect(after.metadata?.resourceVersion).to.equal(before.metadata?.resourceVersion);
    expect(after.metadata?.annotations?.[lastResourcesAnnotation]).to.equal(undefined);
    expect(await eventsFor(admin, namespace, 'dry-consumer')).to.have.length(0);
  });

  it('applies: patches the container requests and limits, records why, and the cooldown makes a second apply a noop', async function () {
    const store = new MemoryStateStore();
    const actuator = new ResourcesActuator(config('sized-consumer', { dryRun: false }), { kubeConfig: sizer, stateStore: store, holder: 'replica-a' });
    const result = await actuator.apply({ target, decision: decision() });
    expect(result, result.detail).to.include({ status: 'applied', code: 'Resized' });
    const after = await readDeployment(admin, namespace, 'sized-consumer');
    expect(containerResources(after, 'consumer')).to.deep.equal({ requests: { cpu: '288m', memory: '230Mi' }, limits: { cpu: '576m', memory: '460Mi' } });
    expect(containerResources(after, 'sidecar'), 'a container not configured was changed').to.deep.equal({ requests: { cpu: '5m', memory: '16Mi' } });
    const recorded = JSON.parse(after.metadata?.annotations?.[lastResourcesAnnotation] ?? '{}') as { target?: string; changes?: unknown[] };
    expect(recorded.target).to.equal('orders');
    expect(recorded.changes).to.deep.include({ container: 'consumer', resource: 'memory', requestBefore: '128Mi', requestAfter: '230Mi', limitBefore: '256Mi', limitAfter: '460Mi' });
    const events = await eventsFor(admin, namespace, 'sized-consumer');
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ reason: 'Resized', type: 'Normal' });
    expect(events[0]?.message).to.equal('target orders: consumer cpu request 100m -> 288m, limit 200m -> 576m; consumer memory request 128Mi -> 230Mi, limit 256Mi -> 460Mi (LagAboveTarget)');

    const second = await actuator.apply({ target, decision: decision() });
    expect(second, second.detail).to.include({ status: 'noop', code: 'CoolingDown' });
    expect(second.detail).to.match(/cooldown ends in (599|600) s/);
    // Another replica sharing the store is held back by the same cooldown.
    const other = new ResourcesActuator(config('sized-consumer', { dryRun: false }), { kubeConfig: sizer, stateStore: store, holder: 'replica-b' });
    expect(await other.apply({ target, decision: decision() })).to.include({ status: 'noop', code: 'CoolingDown' });
    expect((await readDeployment(admin, namespace, 'sized-consumer')).metadata?.resourceVersion).to.equal(after.metadata?.resourceVersion);

    // Without a cooldown in force, the same history asks for what is already set: nothing to do.
    const fresh = new ResourcesActuator(config('sized-consumer', { dryRun: false }), { kubeConfig: sizer });
    const again = await fresh.apply({ target, decision: decision() });
    expect(again, again.detail).to.include({ status: 'noop', code: 'WithinThreshold' });
    expect((await readDeployment(admin, namespace, 'sized-consumer')).metadata?.resourceVersion).to.equal(after.metadata?.resourceVersion);
  });

  it('sizes a StatefulSet\'s containers the same way', async function () {
    const actuator = new ResourcesActuator(config('brokers', { dryRun: false, workload: { kind: 'StatefulSet', name: 'brokers', namespace } }), { kubeConfig: sizer });
    const result = await actuator.apply({ target, decision: decision() });
    expect(result, result.detail).to.include({ status: 'applied', code: 'Resized' });
    const after = await admin.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ name: 'brokers', namespace });
    const consumer = after.spec?.template.spec?.containers.find((container) => container.name === 'consumer');
    expect(consumer?.resources).to.deep.equal({ requests: { cpu: '288m', memory: '230Mi' }, limits: { cpu: '576m', memory: '460Mi' } });
    expect((await eventsFor(admin, namespace, 'brokers')).map((event) => event.involvedObject.kind)).to.deep.equal(['StatefulSet']);
  });

  it('refuses to overwrite a change made while it computed (409), and frees the cooldown for the next try', async function () {
    const store = new MemoryStateStore();
    const apps = admin.makeApiClient(AppsV1Api);
    const contested = new ResourcesActuator(config('contested-consumer', { dryRun: false }), {
      kubeConfig: sizer,
      stateStore: store,
      beforeWrite: async () => {
        await apps.patchNamespacedDeployment({ name: 'contested-consumer', namespace, body: { metadata: { labels: { touched: 'yes' } } } }, mergePatch);
      },
    });
    const result = await contested.apply({ target, decision: decision() });
    expect(result).to.include({ status: 'failed', code: 'Conflict' });
    expect(result.detail).to.equal(`Deployment ${namespace}/contested-consumer changed while its resources were computed (409); the next evaluation starts again from what is in force`);
    const after = await readDeployment(admin, namespace, 'contested-consumer');
    expect(containerResources(after, 'consumer')).to.deep.equal({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '256Mi' } });

    const retry = new ResourcesActuator(config('contested-consumer', { dryRun: false }), { kubeConfig: sizer, stateStore: store });
    const retried = await retry.apply({ target, decision: decision() });
    expect(retried, retried.detail).to.include({ status: 'applied', code: 'Resized' });
    expect(containerResources(await readDeployment(admin, namespace, 'contested-consumer'), 'consumer')).to.deep.include({ requests: { cpu: '288m', memory: '230Mi' } });
  });

  it('two replicas sharing the Redis state store: exactly one applies, the other finds the cooldown', async function () {
    const redis = await ensureService<RedisDetails>('redis');
    const keyPrefix = `lagpilot-test:resources:${process.pid}:${Date.now()}:`;
    const open = async (): Promise<RedisStateStore> => {
      const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
      await client.connect();
      return new RedisStateStore(client, { keyPrefix, ownsClient: true });
    };
    const stores = [await open(), await open()];
    try {
      const replicas = stores.map(
        (stateStore, index) => new ResourcesActuator(config('shared-consumer', { dryRun: false }), { kubeConfig: sizer, stateStore, holder: `replica-${index}` }),
      );
      const results = await Promise.all(replicas.map((replica) => replica.apply({ target, decision: decision() })));
      expect(results.map((result) => result.status).sort(), results.map((result) => result.detail).join(' | ')).to.deep.equal(['applied', 'noop']);
      expect(results.find((result) => result.status === 'noop')).to.include({ code: 'CoolingDown' });
      expect(await eventsFor(admin, namespace, 'shared-consumer')).to.have.length(1);
      const holder = await stores[0]?.cooldown(`resources/Deployment/${namespace}/shared-consumer`, 'resources');
      expect(holder?.holder).to.be.oneOf(['replica-0', 'replica-1']);
    } finally {
      const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      const keys = await client.keys(`${keyPrefix}*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('obeys lagpilot.io/paused: "true" on the workload', async function () {
    await admin.makeApiClient(AppsV1Api).patchNamespacedDeployment(
      { name: 'paused-consumer', namespace, body: { metadata: { annotations: { [pausedAnnotation]: 'true' } } } },
      mergePatch,
    );
    const before = await readDeployment(admin, namespace, 'paused-consumer');
    const actuator = new ResourcesActuator(config('paused-consumer', { dryRun: false }), { kubeConfig: sizer });
    const result = await actuator.apply({ target, decision: decision() });
    expect(result).to.include({ status: 'noop', code: 'Paused' });
    expect(result.detail).to.contain('lagpilot.io/paused');
    const after = await readDeployment(admin, namespace, 'paused-consumer');
    expect(after.metadata?.resourceVersion).to.equal(before.metadata?.resourceVersion);
    expect(containerResources(after, 'consumer')).to.deep.equal(containerResources(before, 'consumer'));
    expect(await eventsFor(admin, namespace, 'paused-consumer')).to.have.length(0);
  });

  it('names what is wrong: a container the workload does not have, a bad query, no Prometheus, a workload outside the Role', async function () {
    const missing = new ResourcesActuator(config('dry-consumer', { containers: ['worker'] }), { kubeConfig: sizer });
    const result = await missing.apply({ target, decision: decision() });
    expect(result).to.include({ status: 'failed', code: 'ContainerNotFound' });
    expect(result.detail).to.equal(`Deployment ${namespace}/dry-consumer has no container "worker" (it has: consumer, sidecar)`);

    const badQuery = new ResourcesActuator(config('dry-consumer', { queries: { cpu: 'rate(container_cpu_usage_seconds_total[', memory: memoryQuery } }), { kubeConfig: sizer });
    const refusedQuery = await badQuery.apply({ target, decision: decision() });
    expect(refusedQuery).to.include({ status: 'failed', code: 'PrometheusQueryFailed' });
    expect(refusedQuery.detail).to.match(/^cpu usage of consumer \(rate\(container_cpu_usage_seconds_total\[\): Prometheus refused it \(HTTP 400\): /);

    const closedPort = await freeLoopbackPort();
    const noPrometheus = new ResourcesActuator(config('dry-consumer', { prometheus: { url: `http://127.0.0.1:${closedPort}` } }), { kubeConfig: sizer });
    const unreachable = await noPrometheus.apply({ target, decision: decision() });
    expect(unreachable).to.include({ status: 'failed', code: 'PrometheusUnreachable' });
    expect(unreachable.detail).to.contain(`Prometheus at http://127.0.0.1:${closedPort}/api/v1/query_range unreachable`);

    const elsewhere = new ResourcesActuator(config('dry-consumer', { workload: { kind: 'Deployment', name: 'dry-consumer', namespace: 'default' } }), { kubeConfig: sizer });
    const refused = await elsewhere.apply({ target, decision: decision() });
    expect(refused).to.include({ status: 'failed', code: 'Http403' });
  });
});
