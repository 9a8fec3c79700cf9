import { expect } from 'chai';
import type { Decision } from '../policies/types.ts';
import { actuatorSchema } from '../config/schema/actuators.ts';
import { ActuatorConfigError, actuatorFromConfig, createActuator } from './registry.ts';
import { RecordingActuator } from './dry-run.ts';
import { KubernetesScaleActuator } from './kubernetes-scale.ts';
import { LocalProcessActuator } from './local-process.ts';
import { ResourcesActuator } from './resources.ts';
import { WebhookActuator } from './webhook.ts';

function decision(current: number, desired: number): Decision {
  return { time: 1_700_000_000, current, desired, action: desired > current ? 'scaleUp' : 'scaleDown', reasons: [], recommendations: [] };
}

/** The rejection of `building` as a function that throws it, for chai's .throw(); it throws nothing when `building` resolved. */
async function rejectionOf(building: Promise<unknown>): Promise<() => void> {
  try {
    await building;
    return () => undefined;
  } catch (error) {
    return () => { throw error; };
  }
}

describe('actuator registry', function () {
  it('builds each kind from its config section, with the section\'s defaults', async function () {
    expect(await createActuator({ kind: 'dryRun' })).to.be.instanceOf(RecordingActuator);
    const local = await createActuator({ kind: 'localProcess', command: process.execPath });
    expect(local).to.be.instanceOf(LocalProcessActuator);
    expect(local.dryRun).to.equal(false);
    const webhook = await createActuator({ kind: 'webhook', url: 'http://127.0.0.1:9/decisions', secret: 'a-secret-of-16-chars', dryRun: true });
    expect(webhook).to.be.instanceOf(WebhookActuator);
    expect(webhook.dryRun).to.equal(true);
  });

  it('builds from the loaded config, whose durations are already milliseconds', async function () {
    const loaded = actuatorSchema.parse({ kind: 'localProcess', command: process.execPath, stopTimeout: '5s' });
    const local = await actuatorFromConfig(loaded);
    expect(local).to.be.instanceOf(LocalProcessActuator);
    expect(await rejectionOf(createActuator(loaded)), 'parsing the loaded section again refuses it').to.throw(ActuatorConfigError, /stopTimeout/);
  });

  it('builds a Kubernetes actuator from a kubeconfig file', async function () {
    const kube = await createActuator({
      kind: 'kubernetesScale',
      auth: { from: 'kubeconfig', path: new URL('./testdata/kubeconfig.yaml', import.meta.url).pathname },
      workload: { kind: 'Deployment', name: 'orders-consumer' },
    });
    expect(kube).to.be.instanceOf(KubernetesScaleActuator);
  });

  it('builds a resources actuator that is a dry run unless told otherwise', async function () {
    const section = {
      kind: 'resources',
      auth: { from: 'kubeconfig', path: new URL('./testdata/kubeconfig.yaml', import.meta.url).pathname },
      workload: { kind: 'Deployment', name: 'orders-consumer' },
      prometheus: { url: 'http://127.0.0.1:9/' },
    };
    const resources = await createActuator(section);
    expect(resources).to.be.instanceOf(ResourcesActuator);
    expect(resources.dryRun).to.equal(true);
    expect((await createActuator({ ...section, dryRun: false })).dryRun).to.equal(false);
    expect(await rejectionOf(createActuator({ ...section, window: '1m', step: '5m', cpu: { min: 'lots' } }))).to.throw(
      ActuatorConfigError,
      /invalid resources actuator config: cpu.min: "lots" is not a Kubernetes quantity.*; step: step must not be longer than window/,
    );
    expect(await rejectionOf(createActuator({ ...section, memory: { min: '2Gi', max: '1Gi' } }))).to.throw(ActuatorConfigError, /memory.min: min 2Gi is above max 1Gi/);
  });

  it('refuses an unknown kind and names the known ones', async function () {
    expect(await rejectionOf(createActuator({ kind: 'ansible' }))).to.throw(ActuatorConfigError, /unknown actuator kind "ansible" \(one of: dryRun, kubernetesScale, localProcess, resources, webhook, brokers\)/);
    expect(await rejectionOf(createActuator({}))).to.throw(ActuatorConfigError, /no kind/);
  });

  it('refuses a section its own schema rejects, naming each field', async function () {
    expect(await rejectionOf(createActuator({ kind: 'webhook', url: 'ftp://example.invalid/', secret: 'short' }))).to.throw(
      ActuatorConfigError,
      /invalid webhook actuator config: url: must be an http:\/\/ or https:\/\/ URL; secret: /,
    );
    expect(await rejectionOf(createActuator({ kind: 'kubernetesScale', workload: { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'KafkaNodePool', name: 'pool', namespace: 'kafka' } }))).to.throw(
      ActuatorConfigError,
      /workload.plural: set plural for the custom resource kind KafkaNodePool/,
    );
    expect(await rejectionOf(createActuator({ kind: 'kubernetesScale', workload: { kind: 'DaemonSet', name: 'agent', namespace: 'ops' } }))).to.throw(
      ActuatorConfigError,
      /workload.kind: apps\/v1 kind must be Deployment or StatefulSet, not "DaemonSet"/,
    );
    expect(await rejectionOf(createActuator({ kind: 'localProcess', command: 'worker', stopTimeout: 'soon' }))).to.throw(ActuatorConfigError, /stopTimeout/);
  });

  it('refuses a Kubernetes workload without a namespace when the context names none', async function () {
    expect(await rejectionOf(
      createActuator({
        kind: 'kubernetesScale',
        auth: { from: 'kubeconfig', path: new URL('./testdata/kubeconfig-no-namespace.yaml', import.meta.url).pathname },
        workload: { kind: 'StatefulSet', name: 'brokers' },
      })),
    ).to.throw(/StatefulSet brokers: no namespace/);
  });
});

describe('dryRun actuator', function () {
  it('reports what it would do, and nothing the second time', async function () {
    const actuator = new RecordingActuator();
    const target = { name: 'orders' };
    const first = await actuator.apply({ target, decision: decision(2, 5) });
    expect(first).to.include({ status: 'dryRun', replicasBefore: 2, replicasAfter: 5 });
    const second = await actuator.apply({ target, decision: decision(2, 5) });
    expect(second).to.include({ status: 'noop', code: 'AlreadyAtDesired' });
    expect((await actuator.current(target)).replicas).to.equal(5);
  });
});
