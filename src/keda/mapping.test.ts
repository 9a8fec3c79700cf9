import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../config/loader.ts';
import { renderConfigWithReport } from './import-command.ts';
import { parseKedaManifests } from './manifests.ts';
import { importScaledObjects, KedaMappingError } from './mapping.ts';
import type { KedaImport, Outcome } from './mapping.ts';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

function importText(text: string): KedaImport {
  return importScaledObjects(parseKedaManifests(text, 'keda.yaml'));
}

function outcomeOf(imported: KedaImport, field: string): Outcome | undefined {
  return imported.report.find((entry) => entry.field === field)?.outcome;
}

function scaledObject(name: string, spec: string, namespace = 'shop'): string {
  return `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
${spec.trim().split('\n').map((line) => `  ${line}`).join('\n')}
`;
}

const kafkaTrigger = (group: string, topic: string, lagThreshold: string): string => `- type: kafka
  metadata:
    bootstrapServers: kafka-0.kafka:9092,kafka-1.kafka:9092
    consumerGroup: ${group}
    topic: ${topic}
    lagThreshold: "${lagThreshold}"`;

describe('import-keda mapping', () => {
  describe('a ScaledObject with SASL/SCRAM and TLS through a TriggerAuthentication, and a CPU trigger', () => {
    const imported = importScaledObjects(parseKedaManifests(readFileSync(join(testdata, 'orders-sasl-tls.yaml'), 'utf8'), 'orders-sasl-tls.yaml'));

    it('maps bounds, timing, lag threshold, offset reset and the workload', () => {
      const [target] = imported.config.targets;
      expect(target).to.deep.include({
        name: 'orders-consumer',
        consumerGroup: 'orders',
        topics: ['orders'],
        interval: '15s',
        replicas: { min: 2, max: 24 },
        lag: { targetMessagesPerReplica: 500 },
        collectors: { kafkaLag: { offsetReset: 'earliest' } },
        scaling: { scaleDownStabilization: '120s' },
      });
      expect(target?.actuator).to.deep.equal({
        kind: 'kubernetesScale',
        workload: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders-consumer', namespace: 'shop' },
        auth: { from: 'inCluster' },
      });
    });

    it('takes the SASL and TLS modes from the Secret, and credentials from the environment, never from the Secret', () => {
      expect(imported.config.clusters).to.deep.equal([{
        name: 'kafka-0.kafka.shop.svc',
        bootstrap: ['kafka-0.kafka.shop.svc:9093', 'kafka-1.kafka.shop.svc:9093'],
        sasl: { mechanism: 'scram-sha-512', username: '${KAFKA_CREDENTIALS_USERNAME}', password: '${KAFKA_CREDENTIALS_PASSWORD}' },
        ssl: { caFile: '/var/run/secrets/lagpilot/kafka-credentials/ca' },
      }]);
      expect(imported.environment.map((variable) => variable.name)).to.deep.equal(['KAFKA_CREDENTIALS_USERNAME', 'KAFKA_CREDENTIALS_PASSWORD']);
      expect(imported.mounts).to.deep.equal([{ source: 'Secret kafka-credentials', path: '/var/run/secrets/lagpilot/kafka-credentials' }]);
      expect(JSON.stringify(imported)).not.to.contain('s3cr3t-password');
    });

    it('reports what has no equivalent, with the reason', () => {
      expect(outcomeOf(imported, 'spec.triggers[1].type')).to.equal('unmapped');
      expect(imported.report.find((entry) => entry.field === 'spec.triggers[1].type')?.note).to.contain('a cpu trigger has no equivalent');
      expect(outcomeOf(imported, 'spec.fallback')).to.equal('unmapped');
      expect(outcomeOf(imported, 'spec.cooldownPeriod')).to.equal('unmapped');
      expect(outcomeOf(imported, 'spec.triggers[0].metadata.activationLagThreshold')).to.equal('unmapped');
      expect(outcomeOf(imported, 'spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.policies')).to.equal('unmapped');
      expect(outcomeOf(imported, 'spec.triggers[0].metadata.lagThreshold')).to.equal('mapped');
      expect(outcomeOf(imported, 'spec.pollingInterval')).to.equal('approximated');
    });

    it('writes a file that lagpilot validate-config accepts once the variables are set', () => {
      const text = renderConfigWithReport(imported, 'orders-sasl-tls.yaml');
      expect(text).to.match(/^# lagpilot config imported from orders-sasl-tls\.yaml/);
      const loaded = parseConfigText(text, { sourceName: 'imported.yaml', environment: { KAFKA_CREDENTIALS_USERNAME: 'orders', KAFKA_CREDENTIALS_PASSWORD: 'secret' } });
      expect(loaded.ok, loaded.ok ? '' : loaded.problems.join('\n')).to.equal(true);
      const unset = parseConfigText(text, { sourceName: 'imported.yaml', environment: {} });
      expect(unset.ok ? [] : unset.problems).to.have.length(2);
    });
  });

  it('uses KEDA\'s and the HPA\'s defaults for what the ScaledObject leaves out', () => {
    const imported = importText(scaledObject('payments', `
scaleTargetRef:
  name: payments-worker
triggers:
  - type: apache-kafka
    metadata:
      bootstrapServers: localhost:9092
      consumerGroup: my-group
      topic: test-topic, test-topic-retry`, 'default'));
    const [target] = imported.config.targets;
    expect(target).to.deep.include({
      topics: ['test-topic', 'test-topic-retry'],
      interval: '30s',
      replicas: { min: 0, max: 100 },
      lag: { targetMessagesPerReplica: 10 },
      scaling: { scaleDownStabilization: '300s' },
    });
    expect(target).not.to.have.property('collectors');
    expect(imported.config.clusters[0]).to.deep.equal({ name: 'localhost', bootstrap: ['localhost:9092'] });
    expect(imported.report.find((entry) => entry.field === 'spec.minReplicaCount')?.value).to.equal('0 (KEDA\'s default)');
    expect(outcomeOf(imported, 'spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleUp.policies')).to.equal('unmapped');
  });

  it('merges triggers of one group into one target and watches a second group without scaling from it', () => {
    const imported = importText(scaledObject('billing', `
scaleTargetRef:
  name: billing
minReplicaCount: 1
maxReplicaCount: 12
advanced:
  horizontalPodAutoscalerConfig:
    behavior:
      scaleDown: {selectPolicy: Disabled, tolerance: 0.05}
triggers:
${kafkaTrigger('billing', 'invoices', '100')}
${kafkaTrigger('billing', 'refunds', '40')}
${kafkaTrigger('billing-audit', 'invoices', '1000')}`));
    expect(imported.config.clusters).to.have.length(1);
    const [main, audit] = imported.config.targets;
    expect(main).to.deep.include({ name: 'billing', consumerGroup: 'billing', topics: ['invoices', 'refunds'], lag: { targetMessagesPerReplica: 40 } });
    expect(main?.actuator.kind).to.equal('kubernetesScale');
    expect(audit).to.deep.include({ name: 'billing-billing-audit', consumerGroup: 'billing-audit', topics: ['invoices'], replicas: { min: 1, max: 12 } });
    expect(audit?.actuator).to.deep.equal({ kind: 'dryRun' });
    expect(outcomeOf(imported, 'spec.triggers[0].metadata.lagThreshold')).to.equal('approximated');
    expect(outcomeOf(imported, 'spec.triggers[1].metadata.lagThreshold')).to.equal('mapped');
    expect(imported.report.filter((entry) => entry.outcome === 'approximated' && entry.to === 'targets[1].actuator')).to.have.length(1);
    const behavior = 'spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown';
    expect(imported.report.find((entry) => entry.field === `${behavior}.selectPolicy`)?.note).to.equal('lagpilot cannot turn scaleDown off; replicas.min/max bound it');
    expect(imported.report.find((entry) => entry.field === `${behavior}.tolerance`)?.note).to.equal('lagpilot\'s tolerances (5 % up, 10 % down) are not configurable');
    expect(main?.scaling).to.deep.equal({ scaleDownStabilization: '300s' });
  });

  it('imports every ScaledObject of a List: a StatefulSet, a paused one, a custom resource, a short polling interval', () => {
    const list = `apiVersion: v1
kind: List
items:
${[
  scaledObject('ledger', `
scaleTargetRef:
  kind: StatefulSet
  name: ledger
pollingInterval: 5
triggers:
${kafkaTrigger('ledger', 'ledger', '20')}`),
  scaledObject('emails', `
scaleTargetRef:
  apiVersion: argoproj.io/v1alpha1
  kind: Rollout
  name: emails
triggers:
${kafkaTrigger('emails', 'emails', '20')}`).replace('  namespace: shop\n', '  namespace: shop\n  annotations:\n    autoscaling.keda.sh/paused: "true"\n'),
].map((item) => `- ${item.trimEnd().split('\n').join('\n  ')}`).join('\n')}
`;
    const imported = importText(list);
    const [ledger, emails] = imported.config.targets;
    expect(ledger).to.deep.include({ interval: '5s', tickTimeout: '5s' });
    expect(ledger?.actuator).to.deep.include({ kind: 'kubernetesScale' });
    expect(emails?.actuator).to.deep.equal({
      kind: 'kubernetesScale',
      dryRun: true,
      workload: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', plural: 'rollouts', name: 'emails', namespace: 'shop' },
      auth: { from: 'inCluster' },
    });
    expect(imported.report.filter((entry) => entry.field === 'spec.scaleTargetRef').map((entry) => entry.outcome)).to.deep.equal(['mapped', 'approximated']);
  });

  it('leaves out a trigger without topic and says why; with nothing left, refuses with the report', () => {
    const text = scaledObject('orphans', `
scaleTargetRef:
  name: orphans
triggers:
  - type: kafka
    metadata:
      bootstrapServers: kafka:9092
      consumerGroup: orphans
  - type: prometheus
    metadata:
      serverAddress: http://prometheus:9090
      query: sum(rate(http_requests_total[1m]))
      threshold: "100"`);
    let refusal: unknown;
    try {
      importText(text);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).to.be.instanceOf(KedaMappingError);
    const { report, message } = refusal as KedaMappingError;
    expect(message).to.equal('no ScaledObject has a Kafka trigger lagpilot can take over (see the report)');
    expect(report.find((entry) => entry.field === 'spec.triggers[0].metadata.topic')?.note).to.contain('a lagpilot target names its topics');
    expect(report.find((entry) => entry.field === 'spec.triggers[1].type')?.outcome).to.equal('unmapped');
  });

  it('reports a TriggerAuthentication that is not in the input and an unsupported SASL mechanism', () => {
    const imported = importText(scaledObject('search', `
scaleTargetRef:
  name: search
triggers:
  - type: kafka
    metadata:
      bootstrapServers: kafka:9092
      consumerGroup: search
      topic: queries
    authenticationRef:
      name: missing-auth
  - type: kafka
    metadata:
      bootstrapServers: msk:9098
      consumerGroup: search-msk
      topic: queries
      sasl: oauthbearer
      tls: enable
      unsafeSsl: "true"`));
    expect(imported.report.find((entry) => entry.field === 'spec.triggers[0].authenticationRef')?.note).to.contain('TriggerAuthentication missing-auth is not in the input');
    expect(imported.report.find((entry) => entry.field === 'spec.triggers[1].metadata.sasl')).to.deep.include({ outcome: 'unmapped', value: 'oauthbearer' });
    expect(imported.config.clusters).to.deep.equal([
      { name: 'kafka', bootstrap: ['kafka:9092'] },
      { name: 'msk', bootstrap: ['msk:9098'], ssl: { rejectUnauthorized: false } },
    ]);
  });

  it('resolves a ClusterTriggerAuthentication whose credentials come from the workload\'s environment and a ConfigMap', () => {
    const imported = importText(`apiVersion: keda.sh/v1alpha1
kind: ClusterTriggerAuthentication
metadata:
  name: kafka-plain
spec:
  env:
    - {parameter: username, name: KAFKA_USER, containerName: consumer}
    - {parameter: password, name: KAFKA_PASSWORD}
  configMapTargetRef:
    - {parameter: sasl, name: kafka-settings, key: mechanism}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: kafka-settings, namespace: shop}
data: {mechanism: plaintext}
---
${scaledObject('audit', `
scaleTargetRef:
  name: audit
triggers:
  - type: kafka
    metadata:
      bootstrapServers: kafka:9092
      consumerGroup: audit
      topic: audit
    authenticationRef:
      kind: ClusterTriggerAuthentication
      name: kafka-plain`)}`);
    expect(imported.config.clusters[0]?.sasl).to.deep.equal({ mechanism: 'plain', username: '${KAFKA_USER}', password: '${KAFKA_PASSWORD}' });
    expect(imported.environment).to.deep.equal([
      { name: 'KAFKA_USER', from: 'the same variable as the scaled workload\'s container (SASL user name)' },
      { name: 'KAFKA_PASSWORD', from: 'the same variable as the scaled workload\'s container (SASL password)' },
    ]);
  });

  it('refuses input without a ScaledObject, naming what it skipped', () => {
    expect(() => importText('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders}\n')).to.throw(KedaMappingError, 'no ScaledObject (apiVersion keda.sh/v1alpha1) in the input');
  });
});
