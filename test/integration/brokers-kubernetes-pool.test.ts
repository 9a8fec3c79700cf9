// The brokers actuator with a Kubernetes broker pool: a StatefulSet on the real kube-apiserver
// stands for the brokers' workload, kafka3 for the cluster they form. The apiserver here runs no
// kubelet, so a replica added to the StatefulSet never becomes a broker: which is exactly the
// fault of a broker that does not register in time. Checked: the pool reads the count from the
// /scale subresource, a dry run plans and writes nothing, a real scale out sets the replicas and
// then reports the missing registration, and a paused workload stops a scale in before any
// broker is unregistered.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client's models are field-only classes; request bodies are object literals */
import { expect } from 'chai';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { BrokersActuator } from '../../src/actuators/brokers.ts';
import { pausedAnnotation } from '../../src/actuators/kubernetes-api.ts';
import { brokersActuatorSchema } from '../../src/config/schema/actuators.ts';
import { PlatformaticKafkaAdmin } from '../../src/kafka/platformatic-admin.ts';
import { ensureService } from '../env/environment.ts';
import type { Kafka3Details } from '../env/services/kafka3.ts';
import type { KubeDetails } from '../env/services/kube.ts';
import { brokerDecision } from './broker-scaling.ts';
import { adminKubeConfig, mergePatch, uniqueName } from './kube-helpers.ts';

const target = { name: 'kafka3-brokers' };
const statefulSet = 'kafka-brokers';

describe('brokers actuator with a Kubernetes broker pool (kube-apiserver + kafka3)', function () {
  this.timeout(300_000);
  const namespace = uniqueName('lagpilot-brokers');
  let kube: KubeDetails;
  let cluster: Kafka3Details;
  let admin: KubeConfig;
  let namespaceCreated = false;

  function actuator(settings: Record<string, unknown> = {}): BrokersActuator {
    const config = brokersActuatorSchema.parse({
      kind: 'brokers',
      bootstrap: cluster.bootstrap.split(','),
      pool: { kind: 'kubernetes', firstNodeId: 1, scale: { kind: 'kubernetesScale', workload: { kind: 'StatefulSet', name: statefulSet, namespace } } },
      // No topic is balanced: only what the pool does is under test here.
      topics: '^no-topic-is-called-this$',
      pollInterval: '250ms',
      ...settings,
    });
    return new BrokersActuator(config, { kubernetes: { kubeConfig: admin } });
  }

  async function replicas(): Promise<number> {
    const scale = await admin.makeApiClient(AppsV1Api).readNamespacedStatefulSetScale({ name: statefulSet, namespace });
    return scale.spec?.replicas ?? 0;
  }

  before(async function () {
    kube = await ensureService<KubeDetails>('kube');
    cluster = await ensureService<Kafka3Details>('kafka3');
    admin = adminKubeConfig(kube);
    await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    namespaceCreated = true;
    const labels = { app: statefulSet };
    await admin.makeApiClient(AppsV1Api).createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: statefulSet },
        spec: {
          replicas: 3,
          serviceName: statefulSet,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'kafka', image: 'registry.invalid/kafka:4.4.0' }] } },
        },
      },
    });
  });

  after(async function () {
    if (namespaceCreated) await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  });

  it('reads the broker count from the StatefulSet, and a dry run plans without writing it', async function () {
    const brokers = actuator({ dryRun: true });
    try {
      expect((await brokers.current()).replicas).to.equal(3);
      const result = await brokers.apply({ target, decision: brokerDecision(3, 4) });
      expect(result.status, result.detail).to.equal('dryRun');
      expect(result.detail).to.match(new RegExp(`^would add broker 4 to StatefulSet ${statefulSet} \\(3 -> 4\\)`));
      expect(await replicas()).to.equal(3);
    } finally {
      await brokers.close();
    }
  });

  it('sets the StatefulSet to 4 replicas, then reports that broker 4 did not register, moving nothing', async function () {
    const brokers = actuator({ registrationTimeout: '3s' });
    const kafka = new PlatformaticKafkaAdmin({ bootstrapServers: cluster.bootstrap.split(',') });
    try {
      const result = await brokers.apply({ target, decision: brokerDecision(3, 4) });
      expect(result.status, result.detail).to.equal('failed');
      expect(result.code).to.equal('RegistrationTimeout');
      expect(result.detail).to.equal(`started broker 4 in StatefulSet ${statefulSet}, but the cluster did not list it within 3.0 s; no partition moved`);
      expect(await replicas()).to.equal(4);
      expect(await kafka.listPartitionReassignments()).to.deep.equal([]);
    } finally {
      await kafka.close();
      await brokers.close();
    }
  });

  it('stops a scale in at a paused workload: nothing removed, nothing unregistered', async function () {
    await admin.makeApiClient(AppsV1Api).patchNamespacedStatefulSet(
      { name: statefulSet, namespace, body: { metadata: { annotations: { [pausedAnnotation]: 'true' } } } },
      mergePatch,
    );
    const brokers = actuator();
    try {
      const result = await brokers.apply({ target, decision: brokerDecision(4, 3) });
      expect(result.status, result.detail).to.equal('failed');
      expect(result.code).to.equal('PoolResizeFailed');
      expect(result.detail).to.match(new RegExp(`could not remove it: StatefulSet ${statefulSet}: could not set StatefulSet ${statefulSet} to 3 replicas: .*${pausedAnnotation}`));
      expect(result.detail).to.not.include('unregistered');
      expect(await replicas()).to.equal(4);
    } finally {
      await brokers.close();
    }
  });
});
