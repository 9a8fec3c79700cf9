// lagpilot as it runs in a cluster: a real `lagpilot run` process whose only credentials are a
// real token (TokenRequest) of the ServiceAccount bound to the Role that deploy/kubernetes/base
// ships. With that token it elects itself leader through a Lease and scales a Deployment on the
// real kube-apiserver on real Kafka lag (out, then back in), recording why on the workload and in
// an Event; with the same token, deleting the Deployment and reading a Secret are refused (403).
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client's models are field-only classes; request bodies are object literals */
import { expect } from 'chai';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { lastDecisionAnnotation } from '../../src/actuators/kubernetes-scale.ts';
import type { Decision } from '../../src/policies/types.ts';
import { ensureService } from '../env/environment.ts';
import type { KafkaDetails } from '../env/services/kafka.ts';
import type { KubeDetails } from '../env/services/kube.ts';
import { sampleValue, startDaemon, type DaemonProcess } from './daemon-process.ts';
import { describeDecision, pollUntil, readJournal } from './journal-helpers.ts';
import { deleteGroupAndTopic, withKafkaAdmin } from './kafkajs-admin.ts';
import { adminKubeConfig, bindShippedServiceAccount, httpStatusOf, shippedServiceAccount, uniqueName } from './kube-helpers.ts';

const { Kafka, logLevel } = kafkajs;

const partitions = 12;
const backlog = 1_200;
const capacityPerReplica = 5;
const identity = 'lagpilot-e2e-replica-a';
const leaseName = 'lagpilot';

describe('end to end: lagpilot run with the shipped ServiceAccount\'s token scales a Deployment on real Kafka lag', function () {
  const suffix = randomUUID().slice(0, 8);
  const topic = `lagpilot-e2e-sa-${suffix}`;
  const group = `lagpilot-e2e-sa-group-${suffix}`;
  const namespace = uniqueName('lagpilot-e2e-sa');
  const deployment = 'orders-consumer';
  let kafka: KafkaDetails;
  let kube: KubeDetails;
  let client: InstanceType<typeof Kafka>;
  let admin: KubeConfig;
  let asServiceAccount: KubeConfig;
  let kubeconfigFile: string;
  let daemon: DaemonProcess | undefined;
  const cleanUps: (() => Promise<void> | void)[] = [];

  before(async function () {
    this.timeout(180_000);
    [kafka, kube] = await Promise.all([ensureService<KafkaDetails>('kafka'), ensureService<KubeDetails>('kube')]);
    client = new Kafka({ clientId: 'lagpilot-e2e-sa', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
    await withKafkaAdmin(client, async (kafkaAdmin) => {
      expect(await kafkaAdmin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true })).to.equal(true);
      cleanUps.push(() => deleteGroupAndTopic(client, group, topic));
      const producer = client.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await producer.send({ topic, messages: Array.from({ length: backlog }, (_, index) => ({ partition: index % partitions, value: `m${index}` })) });
      } finally {
        await producer.disconnect();
      }
      // The group has committed nothing yet consumed: its whole backlog is lag.
      await kafkaAdmin.setOffsets({ groupId: group, topic, partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, offset: '0' })) });
    });

    admin = adminKubeConfig(kube);
    await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    cleanUps.push(async () => { await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined); });
    const labels = { app: deployment };
    await admin.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: deployment },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'consumer', image: 'registry.invalid/consumer:1.0.0' }] } } },
      },
    });
    await admin.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace, body: { metadata: { name: 'kafka-credentials' }, stringData: { password: 'not-for-lagpilot' } } });
    ({ kubeConfig: asServiceAccount } = await bindShippedServiceAccount(kube, admin, namespace, {
      what: 'reading the scale of the Deployment',
      check: async (candidate) => (await httpStatusOf(candidate.makeApiClient(AppsV1Api).readNamespacedDeploymentScale({ name: deployment, namespace }))) === 200,
    }));
    // What a pod's kubeconfig would hold: the apiserver, its CA, the ServiceAccount's token.
    const kubeconfigDir = mkdtempSync(join(tmpdir(), 'lagpilot-e2e-sa-'));
    cleanUps.push(() => { rmSync(kubeconfigDir, { recursive: true, force: true }); });
    kubeconfigFile = join(kubeconfigDir, 'kubeconfig');
    writeFileSync(kubeconfigFile, asServiceAccount.exportConfig(), { mode: 0o600 });
  });

  after(async function () {
    this.timeout(60_000);
    await daemon?.stop();
    // Whatever before() got to set up, newest first.
    for (const cleanUp of cleanUps.reverse()) await cleanUp();
  });

  async function scale(): Promise<number> {
    const answer = await admin.makeApiClient(AppsV1Api).readNamespacedDeploymentScale({ name: deployment, namespace });
    return answer.spec?.replicas ?? Number.NaN;
  }

  async function journal(): Promise<Decision[]> {
    if (daemon === undefined) throw new Error('the daemon did not start');
    return readJournal(daemon.url, 'orders');
  }

  async function waitForScale(what: string, expected: (replicas: number) => boolean, timeoutMs: number): Promise<number> {
    const { value: replicas, accepted } = await pollUntil(scale, expected, timeoutMs);
    if (!accepted) {
      const changes = (await journal()).map(describeDecision);
      const log = daemon?.logLines.slice(-20).map((line) => JSON.stringify(line)).join('\n') ?? '';
      throw new Error(`${what}: the Deployment has ${replicas} replicas after ${timeoutMs} ms; journal:\n${changes.join('\n')}\nlog:\n${log}`);
    }
    return replicas;
  }

  it('leads through the Lease, scales out on lag and back in, says why on the workload and in Events; delete and Secrets are refused', async function () {
    this.timeout(150_000);
    // The backlog's age must exceed the 2 s target by the first evaluation.
    await sleep(3_000);
    const startedAt = Date.now();
    daemon = await startDaemon({
      config: {
        log: { level: 'info' },
        clusters: [{ name: 'local', bootstrap: [kafka.bootstrap] }],
        targets: [{
          name: 'orders',
          cluster: 'local',
          consumerGroup: group,
          topics: [topic],
          interval: '1s',
          tickTimeout: '1s',
          replicas: { min: 1, max: 6 },
          lag: { targetSeconds: 2 },
          actuator: {
            kind: 'kubernetesScale',
            workload: { kind: 'Deployment', namespace, name: deployment },
            auth: { from: 'kubeconfig', path: kubeconfigFile },
            requestTimeout: '5s',
          },
          collectors: { kafkaLag: { lagSeconds: 'exact' }, throughput: { window: '5s' }, capacity: { perReplica: capacityPerReplica } },
          scaling: { scaleDownCooldown: '4s', scaleDownStabilization: '2s', rebalancePause: '1s' },
        }],
        leaderElection: { backend: 'kubernetes', name: leaseName, namespace, kubeconfig: kubeconfigFile, identity, leaseDuration: '6s', renewDeadline: '4s', retryPeriod: '500ms' },
        shutdown: { deadline: '10s' },
      },
    });

    // The Lease, created and held with the ServiceAccount's token.
    const leaderDeadline = Date.now() + 15_000;
    while (sampleValue(await daemon.metrics(), `lagpilot_leader{identity="${identity}"}`) !== 1) {
      if (Date.now() > leaderDeadline) throw new Error(`lagpilot did not become leader within 15 s\n${daemon.stderr()}`);
      await sleep(100);
    }
    const ledAfter = Date.now() - startedAt;
    const lease = await admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: leaseName, namespace });
    expect(lease.spec?.holderIdentity).to.equal(identity);

    const scaledOut = await waitForScale('scale-out on lag', (replicas) => replicas > 1, 40_000);
    const scaledOutAfter = Date.now() - startedAt;
    const workload = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: deployment, namespace });
    expect(workload.metadata?.annotations?.[lastDecisionAnnotation], 'why lagpilot scaled, recorded on the workload').to.be.a('string').and.to.contain('LagAboveTarget');

    // The consumers caught up: the group commits the end of the log.
    await withKafkaAdmin(client, (kafkaAdmin) => kafkaAdmin.resetOffsets({ groupId: group, topic, earliest: false }));
    await waitForScale('scale-in after the lag cleared', (replicas) => replicas === 1, 40_000);

    const events = await admin.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${deployment}` });
    // Listed by name; the scale-down came at least the 4 s cooldown after the scale-up.
    events.items.sort((first, second) => (first.metadata.creationTimestamp?.getTime() ?? 0) - (second.metadata.creationTimestamp?.getTime() ?? 0));
    expect(events.items.map((event) => [event.reason, event.type, event.involvedObject.uid])).to.deep.equal([
      ['ScaledUp', 'Normal', workload.metadata?.uid],
      ['ScaledDown', 'Normal', workload.metadata?.uid],
    ]);
    expect(events.items[0]?.message).to.match(new RegExp(`^target orders: 1 -> ${scaledOut} replicas \\(.*\\bLagAboveTarget\\b`));

    const changes = (await journal()).filter((decision) => decision.action !== 'none');
    expect(changes.map((decision) => [decision.action, decision.current, decision.desired, decision.actuation?.status, decision.leader?.identity])).to.deep.equal([
      ['scaleUp', 1, scaledOut, 'applied', identity],
      ['scaleDown', scaledOut, 1, 'applied', identity],
    ]);

    // Outside the Role: refused with the very token the daemon acts with.
    expect(await httpStatusOf(asServiceAccount.makeApiClient(AppsV1Api).deleteNamespacedDeployment({ name: deployment, namespace })), 'delete the Deployment').to.equal(403);
    expect(await httpStatusOf(asServiceAccount.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'kafka-credentials', namespace })), 'read a Secret').to.equal(403);
    expect(await scale(), 'the Deployment is still there').to.equal(1);

    // A clean stop hands the Lease back.
    const exit = await daemon.stop();
    expect(exit, daemon.stderr()).to.deep.equal({ code: 0, signal: null });
    const released = await admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: leaseName, namespace });
    expect(released.spec?.holderIdentity ?? '').to.equal('');
    console.log(
      `      e2e-kubernetes (ServiceAccount ${shippedServiceAccount}): leader ${ledAfter} ms and Deployment 1 -> ${scaledOut} ${scaledOutAfter} ms after the spawn; ` +
        `back to 1 ${((changes[1]?.time ?? 0) - (changes[0]?.time ?? 0)).toFixed(1)} s after the scale-up; ${events.items.length} Events`,
    );
  });
});
