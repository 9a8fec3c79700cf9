// The control loop driving a Deployment on the real kube-apiserver: lag on the real Kafka (a
// group whose committed offsets lag behind a backlog), lagpilot in-process with the
// kubernetesScale actuator. The Deployment's /scale must follow the decisions (out on lag, back
// in once the group has caught up), each change journaled once as applied and recorded on the
// workload. Here lagpilot runs in-process with the environment's admin kubeconfig; the same loop
// as a separate process holding only the shipped ServiceAccount's token, with a Lease, is
// e2e-kubernetes-service-account.test.ts.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client's models are field-only classes; request bodies are object literals */
import { expect } from 'chai';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { lastDecisionAnnotation } from '../../src/actuators/kubernetes-scale.ts';
import { parseConfigText } from '../../src/config/loader.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { Decision } from '../../src/policies/types.ts';
import { ensureService } from '../env/environment.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import type { KubeDetails } from '../env/services/kube.ts';
import { describeDecision, pollUntil, readJournal } from './journal-helpers.ts';
import { adminKubeConfig, uniqueName } from './kube-helpers.ts';
import { deleteGroupAndTopic, withKafkaAdmin } from './kafkajs-admin.ts';

const { Kafka, logLevel } = kafkajs;

const partitions = 12;
const backlog = 1_200;
const capacityPerReplica = 5;

describe('end to end: a Deployment on the real kube-apiserver scaled on real Kafka lag', function () {
  const suffix = randomUUID().slice(0, 8);
  const topic = `lagpilot-e2e-kube-${suffix}`;
  const group = `lagpilot-e2e-kube-group-${suffix}`;
  const namespace = uniqueName('lagpilot-e2e');
  const deployment = 'orders-consumer';
  let kafka: KafkaDetails;
  let kube: KubeDetails;
  let client: InstanceType<typeof Kafka>;
  let apps: AppsV1Api;
  let daemon: RunningDaemon | undefined;

  before(async function () {
    this.timeout(180_000);
    [kafka, kube] = await Promise.all([ensureService<KafkaDetails>('kafka'), ensureService<KubeDetails>('kube')]);
    client = new Kafka({ clientId: 'lagpilot-e2e-kube', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    const producer = client.producer({ allowAutoTopicCreation: false });
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true })).to.equal(true);
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: backlog }, (_, index) => ({ partition: index % partitions, value: `m${index}` })) });
      // The group has committed nothing yet consumed: its whole backlog is lag.
      await admin.setOffsets({ groupId: group, topic, partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, offset: '0' })) });
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
    const config = adminKubeConfig(kube);
    apps = config.makeApiClient(AppsV1Api);
    await config.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    const labels = { app: deployment };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: deployment },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'consumer', image: 'registry.invalid/consumer:1.0.0' }] } } },
      },
    });
  });

  after(async function () {
    this.timeout(60_000);
    await daemon?.stop();
    await adminKubeConfig(kube).makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
    await deleteGroupAndTopic(client, group, topic);
  });

  async function scale(): Promise<number> {
    const answer = await apps.readNamespacedDeploymentScale({ name: deployment, namespace });
    return answer.spec?.replicas ?? Number.NaN;
  }

  async function journal(): Promise<Decision[]> {
    if (daemon === undefined) throw new Error('the daemon did not start');
    return readJournal(`http://127.0.0.1:${String(daemon.port)}`, 'orders');
  }

  async function waitForScale(what: string, expected: (replicas: number) => boolean, timeoutMs: number): Promise<number> {
    const { value: replicas, accepted } = await pollUntil(scale, expected, timeoutMs);
    if (!accepted) {
      const changes = (await journal()).map(describeDecision);
      throw new Error(`${what}: the Deployment has ${replicas} replicas after ${timeoutMs} ms; journal:\n${changes.join('\n')}`);
    }
    return replicas;
  }

  it('scales the Deployment out on lag and back in once the group caught up, each change once', async function () {
    this.timeout(120_000);
    const parsed = parseConfigText(
      `
server: {host: 127.0.0.1, port: 0}
clusters: [{name: local, bootstrap: ["${kafka.bootstrap}"]}]
targets:
  - name: orders
    cluster: local
    consumerGroup: ${group}
    topics: [${topic}]
    interval: 1s
    tickTimeout: 1s
    replicas: {min: 1, max: 6}
    lag: {targetSeconds: 2}
    actuator:
      kind: kubernetesScale
      workload: {kind: Deployment, namespace: ${namespace}, name: ${deployment}}
      auth: {from: kubeconfig, path: ${JSON.stringify(kube.kubeconfig)}}
      requestTimeout: 5s
    collectors:
      kafkaLag: {lagSeconds: exact}
      throughput: {window: 5s}
      capacity: {perReplica: ${capacityPerReplica}}
    scaling: {scaleDownCooldown: 4s, scaleDownStabilization: 2s, rebalancePause: 1s}
`,
      { sourceName: 'e2e-kubernetes test', environment: {} },
    );
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    // The backlog's age must exceed the 2 s target by the first evaluation.
    await sleep(3_000);
    daemon = await startDaemon({ config: parsed.config, logger: createLogger({ level: 'error' }), version: 'test' });

    const scaledOut = await waitForScale('scale-out on lag', (replicas) => replicas > 1, 30_000);
    // Stays there while the lag lasts: the next decisions keep the count the Deployment has.
    await sleep(3_000);
    expect(await scale()).to.equal(scaledOut);
    const object = await apps.readNamespacedDeployment({ name: deployment, namespace });
    expect(object.metadata?.annotations?.[lastDecisionAnnotation], 'why lagpilot scaled, recorded on the workload').to.be.a('string').and.to.contain('LagAboveTarget');

    // The consumers caught up: the group commits the end of the log.
    await withKafkaAdmin(client, (admin) => admin.resetOffsets({ groupId: group, topic, earliest: false }));
    await waitForScale('scale-in after the lag cleared', (replicas) => replicas === 1, 40_000);

    const decisions = await journal();
    const changes = decisions.filter((decision) => decision.action !== 'none');
    expect(changes.map((decision) => [decision.action, decision.current, decision.desired, decision.actuation?.status])).to.deep.equal([
      ['scaleUp', 1, scaledOut, 'applied'],
      ['scaleDown', scaledOut, 1, 'applied'],
    ]);
    expect(changes[0]?.reasons.map((entry) => entry.code)).to.include('LagAboveTarget');
    const [up, down] = changes;
    if (up === undefined || down === undefined) throw new Error('expected a scale-up and a scale-down');
    expect(down.time - up.time, 'the scale-down cooldown after a scale-up').to.be.at.least(4);
    console.log(`      e2e-kubernetes: ${decisions.length} decisions; Deployment 1 -> ${scaledOut} at +${(up.time - (decisions[0]?.time ?? up.time)).toFixed(1)} s, back to 1 ${(down.time - up.time).toFixed(1)} s later`);
    expect(decisions.filter((decision) => decision.action === 'none').every((decision) => decision.actuation === undefined), 'kept counts are not sent to the apiserver').to.equal(true);
  });
});
