// KEDA ScaledObjects with Kafka triggers -> a lagpilot config (clusters, targets with a
// kubernetesScale actuator), with a report of every field: mapped to what, approximated (and
// how the behaviour differs), or without equivalent (and why). The result is checked with
// lagpilot's own config schema before it is handed out.
//
// The semantics followed are KEDA's: the Kafka scaler's parameters and defaults
// (pkg/scalers/kafka_scaler.go: lagThreshold 10, offsetResetPolicy latest, …), the ScaledObject's
// defaults (pollingInterval 30, cooldownPeriod 300, minReplicaCount 0, maxReplicaCount 100) and
// the HPA's, which KEDA leaves in charge of 1 <-> N (scale-down stabilization 300 s).
import { configSchema } from '../config/schema.ts';
import { formatPath } from '../config/loader.ts';
import { defaultEngineConfig } from '../policies/config.ts';
import type { ConfigData, HpaDirection, KedaManifests, KedaTrigger, ScaledObject, TriggerAuthentication } from './manifests.ts';

export type Outcome = 'mapped' | 'approximated' | 'unmapped';

export interface ReportEntry {
  /** The KEDA object, e.g. `ScaledObject shop/orders (line 3)`. */
  object: string;
  /** Its field, e.g. `spec.triggers[0].metadata.lagThreshold`. */
  field: string;
  /** The value found (or the default that applies), as text. */
  value: string;
  outcome: Outcome;
  /** The lagpilot config field it became, when it became one. */
  to?: string;
  /** How the behaviour compares, or why there is no equivalent. */
  note: string;
}

type ReportValue = string | number | boolean | undefined;

export interface KedaImport {
  /** A lagpilot config (as written in a file: durations as text). */
  config: { clusters: ClusterDraft[]; targets: TargetDraft[] };
  report: ReportEntry[];
  /** Environment variables the config refers to, and where their values are in Kubernetes. */
  environment: { name: string; from: string }[];
  /** Secrets and ConfigMaps to mount into lagpilot's pod, and where. */
  mounts: { source: string; path: string }[];
}

interface ClusterDraft {
  name: string;
  bootstrap: string[];
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  ssl?: { caFile?: string; certFile?: string; keyFile?: string; rejectUnauthorized?: boolean };
}

interface TargetDraft {
  name: string;
  cluster: string;
  consumerGroup: string;
  topics: string[];
  interval: string;
  tickTimeout?: string;
  replicas: { min: number; max: number };
  lag: { targetMessagesPerReplica: number };
  lagCollection?: { offsetReset: 'earliest' | 'latest' };
  collectors?: { kafkaLag: { offsetReset: 'earliest' | 'latest' } };
  scaling: { scaleDownStabilization: string };
  actuator:
    | { kind: 'dryRun' }
    | {
        kind: 'kubernetesScale';
        dryRun?: boolean;
        workload: { apiVersion: string; kind: string; plural?: string; namespace?: string; name: string };
        auth: { from: 'inCluster' };
      };
}

export class KedaMappingError extends Error {
  readonly report: ReportEntry[];

  constructor(message: string, report: ReportEntry[]) {
    super(message);
    this.name = 'KedaMappingError';
    this.report = report;
  }
}

export const kafkaTriggerTypes: readonly string[] = ['kafka', 'apache-kafka'];

// KEDA's defaults (scaledobject-spec, kafka_scaler.go) and the HPA's (KEDA hands 1 <-> N to it).
const keda = {
  pollingIntervalSeconds: 30,
  cooldownPeriodSeconds: 300,
  minReplicaCount: 0,
  maxReplicaCount: 100,
  lagThreshold: 10,
  offsetResetPolicy: 'latest',
  hpaScaleDownStabilizationSeconds: 300,
} as const;
const lagpilotDefaultTickTimeoutSeconds = 10;
// Beside the service-account files, not under /etc/lagpilot: that is the config's ConfigMap volume.
const mountRoot = '/var/run/secrets/lagpilot';

/** Trigger parameters that need no setting in lagpilot, and why. */
const notNeeded: Record<string, string> = {
  version: 'lagpilot negotiates API versions with the brokers itself',
  fullMetadata: 'lagpilot asks the brokers only about the target\'s topics',
};

/** Trigger parameters with no lagpilot equivalent when set to anything but KEDA's default. */
const noEquivalent: Record<string, { neutral: string; reason: string }> = {
  activationLagThreshold: {
    neutral: '0',
    reason: 'lagpilot has no activation threshold apart from the target: the lag target decides from zero replicas as from any other count',
  },
  excludePersistentLag: {
    neutral: 'false',
    reason: 'lagpilot counts all lag; a partition stuck on one message shows as status STALL (lagpilot_consumergroup_status) rather than being left out',
  },
  limitToPartitionsWithLag: { neutral: 'false', reason: 'lagpilot caps the count at the partition count, not at the partitions that have lag' },
  scaleToZeroOnInvalidOffset: {
    neutral: 'false',
    reason: 'a partition without a committed offset counts as lag per offsetReset (none with latest, the retained log with earliest); there is no separate switch',
  },
  partitionLimitation: { neutral: '', reason: 'lagpilot counts the lag of every partition of the topics' },
  keyPassword: { neutral: '', reason: 'lagpilot reads unencrypted PEM keys only: decrypt the key (openssl pkey) into the Secret' },
  awsRegion: { neutral: '', reason: 'lagpilot has no AWS MSK IAM authentication' },
  saslTokenProvider: { neutral: 'bearer', reason: 'lagpilot has no SASL/OAUTHBEARER token provider' },
};

const saslMechanisms: Record<string, 'plain' | 'scram-sha-256' | 'scram-sha-512'> = {
  plaintext: 'plain',
  scram_sha256: 'scram-sha-256',
  scram_sha512: 'scram-sha-512',
};

/** Where a trigger parameter's value is: in the trigger, or behind its authentication. */
type ParameterValue =
  | { from: 'literal'; value: string; field: string }
  | { from: 'secret' | 'configMap'; name: string; key: string; value?: string; field: string }
  | { from: 'env'; name: string; field: string }
  | { from: 'unknown'; field: string; why: string };

interface ResolvedTrigger {
  trigger: KedaTrigger;
  field: string;
  bootstrap: string[];
  consumerGroup: string;
  /** One topic for `kafka`; `apache-kafka` takes a comma-separated list. */
  topics: string[];
  lagThreshold: number;
  offsetReset: 'earliest' | 'latest';
  cluster: ClusterDraft;
}

export function importScaledObjects(manifests: KedaManifests): KedaImport {
  const report: ReportEntry[] = [];
  const result: KedaImport = { config: { clusters: [], targets: [] }, report, environment: [], mounts: [] };
  for (const skipped of manifests.skipped) {
    report.push({ object: `${skipped.kind} ${skipped.name} (line ${skipped.origin.line})`, field: '(whole object)', value: '', outcome: 'unmapped', note: skipped.reason });
  }
  if (manifests.scaledObjects.length === 0) {
    throw new KedaMappingError('no ScaledObject (apiVersion keda.sh/v1alpha1) in the input', report);
  }
  for (const scaledObject of manifests.scaledObjects) importScaledObject(scaledObject, manifests, result);
  if (result.config.targets.length === 0) {
    throw new KedaMappingError('no ScaledObject has a Kafka trigger lagpilot can take over (see the report)', report);
  }
  const parsed = configSchema.safeParse(result.config);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new KedaMappingError(`the converted config does not pass lagpilot's validation:\n  ${problems.join('\n  ')}`, report);
  }
  return result;
}

function importScaledObject(scaledObject: ScaledObject, manifests: KedaManifests, result: KedaImport): void {
  const { metadata, spec } = scaledObject;
  const object = `ScaledObject ${metadata.namespace === undefined ? '' : `${metadata.namespace}/`}${metadata.name} (line ${scaledObject.origin.line})`;
  const entries: ReportEntry[] = [];
  const add = (field: string, value: ReportValue, outcome: Outcome, note: string, to?: string): void => {
    entries.push({ object, field, value: value === undefined ? '' : String(value), outcome, ...(to === undefined ? {} : { to }), note });
  };

  const kafkaTriggers: ResolvedTrigger[] = [];
  for (const trigger of spec.triggers) {
    const field = `spec.triggers[${trigger.index}]`;
    if (!kafkaTriggerTypes.includes(trigger.type)) {
      add(`${field}.type`, trigger.type, 'unmapped', `lagpilot scales consumers on their Kafka lag and throughput; a ${trigger.type} trigger has no equivalent and is left out`);
      continue;
    }
    const resolved = resolveKafkaTrigger(trigger, field, scaledObject, manifests, result, add);
    if (resolved !== null) kafkaTriggers.push(resolved);
  }

  // One target per consumer group: lagpilot sizes a workload from one group's lag.
  const groups = new Map<string, ResolvedTrigger[]>();
  for (const resolved of kafkaTriggers) {
    const key = `${resolved.cluster.name}\u0000${resolved.consumerGroup}`;
    groups.set(key, [...(groups.get(key) ?? []), resolved]);
  }
  const targetBaseName = resourceName(metadata.name);
  let groupIndex = 0;
  for (const members of groups.values()) {
    const [first] = members;
    if (first === undefined) continue;
    const targetIndex = result.config.targets.length;
    const at = (path: string): string => `targets[${targetIndex}].${path}`;
    const name = uniqueName(groupIndex === 0 ? targetBaseName : resourceName(`${metadata.name}-${first.trigger.name ?? first.consumerGroup}`), result.config.targets.map((target) => target.name));
    const topics = [...new Set(members.flatMap((member) => member.topics))];
    const lagThreshold = Math.min(...members.map((member) => member.lagThreshold));
    const offsetReset = members.some((member) => member.offsetReset === 'earliest') ? 'earliest' : 'latest';
    for (const member of members) {
      add(`${member.field}.metadata.consumerGroup`, member.consumerGroup, 'mapped', 'the target\'s consumer group', at('consumerGroup'));
      add(`${member.field}.metadata.topic`, member.topics.join(','), 'mapped', topics.length > 1 ? 'among the target\'s topics, whose lag is summed' : 'the target\'s topic', at('topics'));
      add(`${member.field}.metadata.bootstrapServers`, member.bootstrap.join(','), 'mapped', `cluster ${member.cluster.name}`, `clusters[${result.config.clusters.indexOf(member.cluster)}].bootstrap`);
      add(
        `${member.field}.metadata.lagThreshold`,
        member.trigger.metadata.lagThreshold ?? `${keda.lagThreshold} (KEDA's default)`,
        members.length > 1 && member.lagThreshold !== lagThreshold ? 'approximated' : 'mapped',
        members.length > 1
          ? `KEDA takes the highest count over the triggers, each ceil(topic lag / its lagThreshold); lagpilot sizes on the summed lag of the topics over the smallest threshold (${lagThreshold}), which never gives fewer replicas`
          : 'messages of lag per replica: ceil(total lag / lagThreshold) replicas, as KEDA\'s AverageValue',
        at('lag.targetMessagesPerReplica'),
      );
      add(
        `${member.field}.metadata.offsetResetPolicy`,
        member.trigger.metadata.offsetResetPolicy ?? `${keda.offsetResetPolicy} (KEDA's default)`,
        member.offsetReset === offsetReset ? 'mapped' : 'approximated',
        member.offsetReset === offsetReset
          ? 'where the group starts on a partition it never committed'
          : `the group's triggers disagree; earliest is kept, which counts a never-committed partition's retained log as lag`,
        at('collectors.kafkaLag.offsetReset'),
      );
    }
    const target: TargetDraft = {
      name,
      cluster: first.cluster.name,
      consumerGroup: first.consumerGroup,
      topics,
      interval: '30s',
      replicas: { min: 0, max: 1 },
      lag: { targetMessagesPerReplica: lagThreshold },
      ...(offsetReset === 'latest' ? {} : { lagCollection: { offsetReset }, collectors: { kafkaLag: { offsetReset } } }),
      scaling: { scaleDownStabilization: `${keda.hpaScaleDownStabilizationSeconds}s` },
      actuator: { kind: 'dryRun' },
    };
    mapReplicasAndTiming(scaledObject, target, at, add, groupIndex === 0);
    if (groupIndex === 0) {
      target.actuator = workloadActuator(scaledObject, at, add);
    } else {
      add(
        `${first.field}.metadata.consumerGroup`,
        first.consumerGroup,
        'approximated',
        `a second consumer group for the same workload: KEDA takes the highest count over all triggers, lagpilot sizes a workload from one group. Target ${name} watches this group with a dryRun actuator, so its decisions show in /api/decisions; ${targetBaseName} scales the workload`,
        at('actuator'),
      );
    }
    result.config.targets.push(target);
    groupIndex += 1;
  }
  if (groups.size === 0) add('spec.triggers', `${spec.triggers.length} trigger(s)`, 'unmapped', 'no Kafka trigger lagpilot can take over: no target is written for this ScaledObject');
  else mapScaledObjectFields(scaledObject, add, `targets[${result.config.targets.length - groups.size}]`);
  result.report.push(...entries.map((entry, index) => ({ entry, index })).sort((a, b) => fieldRank(a.entry.field) - fieldRank(b.entry.field) || a.index - b.index).map(({ entry }) => entry));
}

/** Report order within an object: the workload, bounds and timing, triggers with their authentication, HPA behaviour. */
function fieldRank(field: string): number {
  if (field.startsWith('metadata.') || field.startsWith('spec.scaleTargetRef')) return 0;
  if (field.startsWith('spec.advanced')) return 3;
  if (field.startsWith('spec.triggers') || /^[A-Z]/.test(field)) return 2;
  return 1;
}

function resolveKafkaTrigger(
  trigger: KedaTrigger,
  field: string,
  scaledObject: ScaledObject,
  manifests: KedaManifests,
  result: KedaImport,
  add: (field: string, value: ReportValue, outcome: Outcome, note: string, to?: string) => void,
): ResolvedTrigger | null {
  const { metadata } = trigger;
  const skip = (what: string, why: string): null => {
    add(`${field}.metadata.${what}`, metadata[what], 'unmapped', `${why}; this trigger is left out`);
    return null;
  };
  for (const fromEnv of ['bootstrapServersFromEnv', 'consumerGroupFromEnv', 'topicFromEnv']) {
    if (metadata[fromEnv] !== undefined) {
      return skip(fromEnv, `the value is in the environment of the scaled workload's container, which lagpilot does not read: write ${fromEnv.replace('FromEnv', '')} into the trigger before importing`);
    }
  }
  const bootstrapText = metadata.bootstrapServers;
  if (bootstrapText === undefined || bootstrapText.trim() === '') return skip('bootstrapServers', 'no bootstrapServers');
  const bootstrap = bootstrapText.split(',').map((server) => server.trim()).filter((server) => server !== '');
  const badServer = bootstrap.find((server) => !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(server));
  if (badServer !== undefined) return skip('bootstrapServers', `"${badServer}" is not host:port`);
  const consumerGroup = metadata.consumerGroup;
  if (consumerGroup === undefined || consumerGroup === '') return skip('consumerGroup', 'no consumerGroup');
  const topics = (metadata.topic ?? '').split(',').map((topic) => topic.trim()).filter((topic) => topic !== '');
  if (topics.length === 0) {
    return skip('topic', 'no topic: KEDA then sums the lag of every topic the group has committed offsets on; a lagpilot target names its topics (list them with kafka-consumer-groups --describe --group and add topic to the trigger)');
  }
  const lagThresholdText = metadata.lagThreshold ?? String(keda.lagThreshold);
  const lagThreshold = Number(lagThresholdText);
  if (!Number.isInteger(lagThreshold) || lagThreshold <= 0) return skip('lagThreshold', `"${lagThresholdText}" is not a positive whole number`);
  const offsetResetText = metadata.offsetResetPolicy ?? keda.offsetResetPolicy;
  if (offsetResetText !== 'earliest' && offsetResetText !== 'latest') return skip('offsetResetPolicy', `"${offsetResetText}" is neither latest nor earliest`);

  if (trigger.metricType === 'Value') {
    add(`${field}.metricType`, 'Value', 'approximated', 'KEDA\'s Value compares the total lag with lagThreshold (count x lag / threshold); lagpilot always sizes per replica, as AverageValue', `lag.targetMessagesPerReplica`);
  }
  if (trigger.useCachedMetrics !== undefined) add(`${field}.useCachedMetrics`, trigger.useCachedMetrics, 'mapped', 'no setting needed: lagpilot reads lag once per evaluation');
  for (const [key, value] of Object.entries(metadata)) {
    const reason = notNeeded[key];
    if (reason !== undefined) add(`${field}.metadata.${key}`, value, 'mapped', `no setting needed: ${reason}`);
    const rule = noEquivalent[key];
    if (rule !== undefined && value !== rule.neutral) add(`${field}.metadata.${key}`, value, 'unmapped', rule.reason);
  }
  mapPartitionFlags(metadata, field, add);

  const auth = findAuthentication(trigger, scaledObject, manifests);
  if (trigger.authenticationRef !== undefined && auth === undefined) {
    add(`${field}.authenticationRef`, `${trigger.authenticationRef.kind} ${trigger.authenticationRef.name}`, 'unmapped',
      `${trigger.authenticationRef.kind} ${trigger.authenticationRef.name} is not in the input, so its sasl, tls and credentials are unknown: add it (and its Secret, for sasl and tls) to the file`);
  }
  if (auth !== undefined && auth.otherProviders.length > 0) {
    add(`${field}.authenticationRef`, auth.name, 'unmapped', `${auth.kind} ${auth.name} takes parameters from ${auth.otherProviders.join(', ')}, which lagpilot cannot read: give them to lagpilot as environment variables or mounted files`);
  }
  const parameter = (name: string): ParameterValue | undefined => parameterValue(name, trigger, field, auth, scaledObject, manifests);
  const cluster = clusterFor(bootstrap, parameter, metadata.unsafeSsl === 'true', field, result, add);
  return { trigger, field, bootstrap, consumerGroup, topics, lagThreshold, offsetReset: offsetResetText, cluster };
}

function mapPartitionFlags(metadata: Record<string, string>, field: string, add: (field: string, value: ReportValue, outcome: Outcome, note: string, to?: string) => void): void {
  const allowIdle = metadata.allowIdleConsumers;
  if (allowIdle === 'true') {
    add(`${field}.metadata.allowIdleConsumers`, allowIdle, 'unmapped', 'lagpilot never runs more consumers than partitions (reason PartitionCap): idle consumers only add rebalances');
  } else {
    add(`${field}.metadata.allowIdleConsumers`, allowIdle ?? 'false (KEDA\'s default)', 'mapped', 'lagpilot caps the count at the partition count, as KEDA does by default (reason PartitionCap)');
  }
  const even = metadata.ensureEvenDistributionOfPartitions;
  if (even === 'true') {
    add(`${field}.metadata.ensureEvenDistributionOfPartitions`, even, 'mapped', 'lagpilot always picks the cheapest count that drains as fast as the one asked for (reason EvenDistribution)');
  } else if (even !== undefined) {
    add(`${field}.metadata.ensureEvenDistributionOfPartitions`, even, 'approximated', 'lagpilot always trims an uneven count to the cheapest one that drains as fast (reason EvenDistribution); it cannot be turned off');
  }
}

function findAuthentication(trigger: KedaTrigger, scaledObject: ScaledObject, manifests: KedaManifests): TriggerAuthentication | undefined {
  const ref = trigger.authenticationRef;
  if (ref === undefined) return undefined;
  return manifests.triggerAuthentications.find(
    (auth) => auth.kind === ref.kind && auth.name === ref.name && (ref.kind === 'ClusterTriggerAuthentication' || sameNamespace(auth.namespace, scaledObject.metadata.namespace)),
  );
}

function sameNamespace(a: string | undefined, b: string | undefined): boolean {
  return (a ?? 'default') === (b ?? 'default');
}

/** A parameter from the trigger's metadata (it wins, as in KEDA) or from its authentication. */
function parameterValue(name: string, trigger: KedaTrigger, field: string, auth: TriggerAuthentication | undefined, scaledObject: ScaledObject, manifests: KedaManifests): ParameterValue | undefined {
  const literal = trigger.metadata[name];
  if (literal !== undefined && (name === 'sasl' || name === 'tls')) return { from: 'literal', value: literal, field: `${field}.metadata.${name}` };
  if (auth === undefined) return undefined;
  const authField = `${auth.kind} ${auth.name}`;
  const secret = auth.secretTargetRef.find((ref) => ref.parameter === name);
  if (secret !== undefined) {
    const value = lookup(manifests.configData, 'Secret', secret.name, secret.key, auth.namespace ?? scaledObject.metadata.namespace);
    return { from: 'secret', name: secret.name, key: secret.key, ...(value === undefined ? {} : { value }), field: `${authField} secretTargetRef ${name}` };
  }
  const configMap = auth.configMapTargetRef.find((ref) => ref.parameter === name);
  if (configMap !== undefined) {
    const value = lookup(manifests.configData, 'ConfigMap', configMap.name, configMap.key, auth.namespace ?? scaledObject.metadata.namespace);
    return { from: 'configMap', name: configMap.name, key: configMap.key, ...(value === undefined ? {} : { value }), field: `${authField} configMapTargetRef ${name}` };
  }
  const env = auth.env.find((ref) => ref.parameter === name);
  if (env !== undefined) return { from: 'env', name: env.name, field: `${authField} env ${name}` };
  return undefined;
}

function lookup(configData: readonly ConfigData[], kind: ConfigData['kind'], name: string, key: string, namespace: string | undefined): string | undefined {
  return configData.find((entry) => entry.kind === kind && entry.name === name && sameNamespace(entry.namespace, namespace))?.values[key];
}

/** A mode (sasl, tls) must be known as text: from the trigger, or a Secret or ConfigMap in the input. */
function modeText(value: ParameterValue | undefined): { text?: string; unknownWhy?: string } {
  if (value === undefined) return {};
  switch (value.from) {
    case 'literal':
      return { text: value.value.trim() };
    case 'secret':
    case 'configMap':
      return value.value !== undefined
        ? { text: value.value.trim() }
        : { unknownWhy: `its value is in ${value.from === 'secret' ? 'Secret' : 'ConfigMap'} ${value.name} (key ${value.key}), which is not in the input` };
    case 'env':
      return { unknownWhy: `its value is in the variable ${value.name} of the scaled workload's container` };
    case 'unknown':
      return { unknownWhy: value.why };
  }
}

/**
 * A credential becomes a `${VARIABLE}` of lagpilot's environment, never a value in the file:
 * named after its Secret and key, or after `fallbackVariable` when its source is unknown.
 */
function credentialReference(value: ParameterValue | undefined, purpose: string, fallbackVariable: string, result: KedaImport): string {
  if (value === undefined || value.from === 'unknown') {
    addEnvironment(result, fallbackVariable, `the ${purpose}: its source is not in the input`);
    return `\${${fallbackVariable}}`;
  }
  if (value.from === 'literal') return value.value;
  if (value.from === 'secret' || value.from === 'configMap') {
    const variable = environmentName(`${value.name}_${value.key}`);
    addEnvironment(result, variable, `${value.from === 'secret' ? 'Secret' : 'ConfigMap'} ${value.name}, key ${value.key} (${purpose})`);
    return `\${${variable}}`;
  }
  addEnvironment(result, value.name, `the same variable as the scaled workload's container (${purpose})`);
  return `\${${value.name}}`;
}

/** A PEM parameter (ca, cert, key) becomes a file: its Secret or ConfigMap mounted into lagpilot's pod. */
function pemFile(value: ParameterValue, result: KedaImport): string | undefined {
  if (value.from !== 'secret' && value.from !== 'configMap') return undefined;
  const directory = `${mountRoot}/${value.name}`;
  const source = `${value.from === 'secret' ? 'Secret' : 'ConfigMap'} ${value.name}`;
  if (!result.mounts.some((mount) => mount.path === directory)) result.mounts.push({ source, path: directory });
  return `${directory}/${value.key}`;
}

function addEnvironment(result: KedaImport, name: string, from: string): void {
  if (!result.environment.some((entry) => entry.name === name)) result.environment.push({ name, from });
}

function clusterFor(
  bootstrap: string[],
  parameter: (name: string) => ParameterValue | undefined,
  unsafeSsl: boolean,
  field: string,
  result: KedaImport,
  reportTo: (field: string, value: ReportValue, outcome: Outcome, note: string, to?: string) => void,
): ClusterDraft {
  const draft: ClusterDraft = { name: '', bootstrap };
  // Reported once the cluster's place in the list is known.
  const pending: [string, ReportValue, Outcome, string, string?][] = [];
  const add = (...entry: [string, ReportValue, Outcome, string, string?]): void => {
    pending.push(entry);
  };
  const sasl = parameter('sasl');
  const saslMode = modeText(sasl);
  if (saslMode.unknownWhy !== undefined) {
    add(sasl?.field ?? `${field}.metadata.sasl`, '', 'unmapped', `the SASL mode is unknown: ${saslMode.unknownWhy}; the cluster is written without SASL`);
  } else if (saslMode.text !== undefined && saslMode.text !== 'none') {
    const mechanism = saslMechanisms[saslMode.text];
    if (mechanism === undefined) {
      add(sasl?.field ?? `${field}.metadata.sasl`, saslMode.text, 'unmapped', `lagpilot speaks SASL PLAIN and SCRAM-SHA-256/512, not ${saslMode.text}; the cluster is written without SASL and will not connect until that changes`);
    } else {
      const username = parameter('username');
      const password = parameter('password');
      draft.sasl = {
        mechanism,
        username: credentialReference(username, 'SASL user name', 'KAFKA_SASL_USERNAME', result),
        password: credentialReference(password, 'SASL password', 'KAFKA_SASL_PASSWORD', result),
      };
      add(sasl?.field ?? `${field}.metadata.sasl`, saslMode.text, 'mapped', `SASL ${mechanism}; user name and password come from lagpilot's environment (see the environment variables above)`, 'clusters[].sasl');
    }
  }
  const tls = parameter('tls');
  const tlsMode = modeText(tls);
  if (tlsMode.unknownWhy !== undefined) {
    add(tls?.field ?? `${field}.metadata.tls`, '', 'unmapped', `whether TLS is on is unknown: ${tlsMode.unknownWhy}; the cluster is written without TLS`);
  } else if (tlsMode.text === 'enable') {
    const ssl: NonNullable<ClusterDraft['ssl']> = {};
    for (const [parameterName, key] of [['ca', 'caFile'], ['cert', 'certFile'], ['key', 'keyFile']] as const) {
      const value = parameter(parameterName);
      if (value === undefined) continue;
      const file = pemFile(value, result);
      if (file === undefined) add(value.field, '', 'unmapped', `lagpilot reads ${parameterName} from a file; this one comes from the workload's environment: put it in a Secret and mount it`);
      else ssl[key] = file;
    }
    if (unsafeSsl) {
      ssl.rejectUnauthorized = false;
      add(`${field}.metadata.unsafeSsl`, 'true', 'mapped', 'certificates are not verified', 'clusters[].ssl.rejectUnauthorized');
    }
    draft.ssl = ssl;
    add(tls?.field ?? `${field}.metadata.tls`, 'enable', 'mapped', 'TLS to the brokers; CA, certificate and key as mounted files (see the mounts above)', 'clusters[].ssl');
  }
  let cluster = result.config.clusters.find((candidate) => sameConnection(candidate, draft));
  if (cluster === undefined) {
    draft.name = uniqueName(resourceName(bootstrap[0]?.replace(/:\d+$/, '') ?? 'kafka'), result.config.clusters.map((candidate) => candidate.name));
    result.config.clusters.push(draft);
    cluster = draft;
  }
  const index = result.config.clusters.indexOf(cluster);
  for (const [field, value, outcome, note, to] of pending) reportTo(field, value, outcome, note, to?.replace('clusters[]', `clusters[${index}]`));
  return cluster;
}

function sameConnection(a: ClusterDraft, b: ClusterDraft): boolean {
  return JSON.stringify([[...a.bootstrap].sort(), a.sasl, a.ssl]) === JSON.stringify([[...b.bootstrap].sort(), b.sasl, b.ssl]);
}

function mapReplicasAndTiming(
  scaledObject: ScaledObject,
  target: TargetDraft,
  at: (path: string) => string,
  add: (field: string, value: ReportValue, outcome: Outcome, note: string, to?: string) => void,
  report: boolean,
): void {
  const { spec } = scaledObject;
  const note = (field: string, value: ReportValue, outcome: Outcome, text: string, to?: string): void => {
    if (report) add(field, value, outcome, text, to);
  };
  const min = spec.minReplicaCount ?? keda.minReplicaCount;
  const max = Math.max(spec.maxReplicaCount ?? keda.maxReplicaCount, 1, min);
  target.replicas = { min, max };
  note('spec.minReplicaCount', spec.minReplicaCount ?? `${keda.minReplicaCount} (KEDA's default)`, 'mapped', min === 0 ? 'scale to zero allowed, as in KEDA' : 'fewest replicas', at('replicas.min'));
  note('spec.maxReplicaCount', spec.maxReplicaCount ?? `${keda.maxReplicaCount} (KEDA's default)`, spec.maxReplicaCount === max || spec.maxReplicaCount === undefined ? 'mapped' : 'approximated',
    spec.maxReplicaCount === undefined || spec.maxReplicaCount === max ? 'most replicas; lagpilot also caps at the partition count' : `raised to ${max}: lagpilot needs max >= 1 and >= min`, at('replicas.max'));

  const pollingSeconds = spec.pollingInterval ?? keda.pollingIntervalSeconds;
  target.interval = `${pollingSeconds}s`;
  if (pollingSeconds < lagpilotDefaultTickTimeoutSeconds) target.tickTimeout = target.interval;
  note('spec.pollingInterval', spec.pollingInterval ?? `${keda.pollingIntervalSeconds} (KEDA's default)`, 'approximated',
    'lagpilot evaluates every interval at every count; in KEDA the interval paces 0 <-> 1, while the HPA re-reads the metric every 15 s (its sync period) between 1 and N', at('interval'));

  const behavior = spec.advanced?.horizontalPodAutoscalerConfig?.behavior;
  const downWindow = behavior?.scaleDown?.stabilizationWindowSeconds;
  target.scaling.scaleDownStabilization = `${downWindow ?? keda.hpaScaleDownStabilizationSeconds}s`;
  note('spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds',
    downWindow ?? `${keda.hpaScaleDownStabilizationSeconds} (the HPA's default)`, 'mapped',
    'a scale-down goes only to the highest count recommended within the window, as the HPA does (the HPA\'s window is kept rather than lagpilot\'s shorter default)', at('scaling.scaleDownStabilization'));
}

function workloadActuator(scaledObject: ScaledObject, at: (path: string) => string, add: (field: string, value: ReportValue, outcome: Outcome, note: string, to?: string) => void): TargetDraft['actuator'] {
  const { scaleTargetRef } = scaledObject.spec;
  const namespace = scaledObject.metadata.namespace;
  const workload: { apiVersion: string; kind: string; plural?: string; namespace?: string; name: string } = {
    apiVersion: scaleTargetRef.apiVersion,
    kind: scaleTargetRef.kind,
    name: scaleTargetRef.name,
    ...(namespace === undefined ? {} : { namespace }),
  };
  const ref = `${scaleTargetRef.apiVersion} ${scaleTargetRef.kind} ${scaleTargetRef.name}`;
  if (scaleTargetRef.apiVersion === 'apps/v1' && scaleTargetRef.kind !== 'Deployment' && scaleTargetRef.kind !== 'StatefulSet') {
    add('spec.scaleTargetRef', ref, 'unmapped', `lagpilot scales apps/v1 Deployments and StatefulSets, or custom resources with a /scale subresource; the target is written with a dryRun actuator`, at('actuator'));
    return { kind: 'dryRun' };
  }
  if (scaleTargetRef.apiVersion !== 'apps/v1') {
    workload.plural = `${scaleTargetRef.kind.toLowerCase()}s`;
    add('spec.scaleTargetRef', ref, 'approximated', `the custom resource's plural is guessed as "${workload.plural}": check it with kubectl api-resources`, at('actuator.workload'));
  } else {
    add('spec.scaleTargetRef', ref, 'mapped', 'the workload whose /scale subresource lagpilot sets', at('actuator.workload'));
  }
  add('metadata.namespace', namespace ?? '(none)', namespace === undefined ? 'approximated' : 'mapped',
    namespace === undefined ? 'no namespace in the input: lagpilot uses its own pod\'s namespace' : 'the workload\'s namespace (KEDA scales in the ScaledObject\'s namespace)', at('actuator.workload.namespace'));
  if (scaleTargetRef.envSourceContainerName !== undefined) {
    add('spec.scaleTargetRef.envSourceContainerName', scaleTargetRef.envSourceContainerName, 'unmapped', 'lagpilot reads no parameters from the workload\'s containers; its own environment holds them');
  }
  const paused = scaledObject.metadata.annotations['autoscaling.keda.sh/paused'];
  if (paused === 'true') {
    add('metadata.annotations[autoscaling.keda.sh/paused]', paused, 'approximated', 'paused: lagpilot decides and reports but changes nothing (dryRun); set dryRun to false to hand scaling over', at('actuator.dryRun'));
    return { kind: 'kubernetesScale', dryRun: true, workload, auth: { from: 'inCluster' } };
  }
  return { kind: 'kubernetesScale', workload, auth: { from: 'inCluster' } };
}

/** Fields of the ScaledObject beyond replicas and timing: each reported once per object. */
function mapScaledObjectFields(scaledObject: ScaledObject, add: (field: string, value: ReportValue, outcome: Outcome, note: string, to?: string) => void, firstTarget: string): void {
  const { spec, metadata } = scaledObject;
  add('spec.cooldownPeriod', spec.cooldownPeriod ?? `${keda.cooldownPeriodSeconds} (KEDA's default)`, 'unmapped',
    `KEDA waits this long after the last active poll before going to zero; lagpilot has no separate delay for the last replica: ${firstTarget}.scaling.scaleDownCooldown and scaleDownStabilization apply to every scale-down, to zero included`);
  if (spec.initialCooldownPeriod !== undefined && spec.initialCooldownPeriod > 0) {
    add('spec.initialCooldownPeriod', spec.initialCooldownPeriod, 'unmapped', 'lagpilot has no start-up delay before scaling to zero');
  }
  if (spec.idleReplicaCount !== undefined) {
    add('spec.idleReplicaCount', spec.idleReplicaCount, 'unmapped', `lagpilot has no idle count below replicas.min; it keeps ${firstTarget}.replicas.min (minReplicaCount). Set replicas.min to ${spec.idleReplicaCount} to let it go that low on no lag`);
  }
  if (spec.fallback !== undefined) {
    add('spec.fallback', `${spec.fallback.replicas} replicas after ${spec.fallback.failureThreshold} failures`, 'unmapped',
      'lagpilot has no configured fallback count: while collections fail it holds the count in force (no scale-in on stale or partial data: reasons StaleDataNoScaleIn, PartialDataNoScaleIn)');
  }
  const advanced = spec.advanced;
  if (advanced?.restoreToOriginalReplicaCount !== undefined) {
    add('spec.advanced.restoreToOriginalReplicaCount', advanced.restoreToOriginalReplicaCount, 'unmapped', 'lagpilot leaves the count as it is when a target is removed');
  }
  if (advanced?.scalingModifiers !== undefined) {
    add('spec.advanced.scalingModifiers', 'formula', 'unmapped', 'lagpilot combines its policies itself (the highest recommendation wins); it has no formula');
  }
  const hpa = advanced?.horizontalPodAutoscalerConfig;
  if (hpa?.name !== undefined) add('spec.advanced.horizontalPodAutoscalerConfig.name', hpa.name, 'mapped', 'no setting needed: lagpilot creates no HPA (delete KEDA\'s, or the two fight over the count)');
  mapBehaviorDirection('scaleUp', hpa?.behavior?.scaleUp, add);
  mapBehaviorDirection('scaleDown', hpa?.behavior?.scaleDown, add);
  if (hpa?.behavior?.scaleUp?.policies === undefined) {
    add('spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleUp.policies', 'the HPA\'s default (double, or +4 pods, per 15 s)', 'unmapped',
      'lagpilot\'s config has no scale-up rate limit: it goes to the computed count at once');
  }
  for (const key of scaledObject.unknownSpecKeys) add(`spec.${key}`, '', 'unmapped', 'not a ScaledObject field this import knows');
  for (const key of Object.keys(metadata.annotations)) {
    if (key.startsWith('autoscaling.keda.sh/') && key !== 'autoscaling.keda.sh/paused') {
      add(`metadata.annotations[${key}]`, metadata.annotations[key], 'unmapped', 'no lagpilot equivalent');
    }
  }
}

function mapBehaviorDirection(direction: 'scaleUp' | 'scaleDown', behavior: HpaDirection | undefined, add: (field: string, value: ReportValue, outcome: Outcome, note: string, to?: string) => void): void {
  if (behavior === undefined) return;
  const field = `spec.advanced.horizontalPodAutoscalerConfig.behavior.${direction}`;
  if (direction === 'scaleUp' && behavior.stabilizationWindowSeconds !== undefined && behavior.stabilizationWindowSeconds > 0) {
    add(`${field}.stabilizationWindowSeconds`, behavior.stabilizationWindowSeconds, 'unmapped', 'lagpilot\'s config has no scale-up stabilization: lag is acted on at once (targets[].scaling.scaleUpCooldown spaces scale-ups instead)');
  }
  if (behavior.policies !== undefined) {
    const rules = behavior.policies.map((rule) => `${rule.type} ${rule.value} per ${rule.periodSeconds}s`).join(', ');
    add(`${field}.policies`, rules, 'unmapped', `lagpilot's config has no ${direction === 'scaleUp' ? 'scale-up' : 'scale-down'} rate limit; it goes to the computed count in one step${direction === 'scaleDown' ? ' (scaling.scaleDownCooldown spaces scale-downs)' : ''}`);
  }
  if (behavior.selectPolicy !== undefined) {
    add(`${field}.selectPolicy`, behavior.selectPolicy, 'unmapped', behavior.selectPolicy === 'Disabled' ? `lagpilot cannot turn ${direction} off; replicas.min/max bound it` : 'there are no rate-limit rules to choose among');
  }
  if (behavior.tolerance !== undefined) {
    const { scaleUpTolerance, scaleDownTolerance } = defaultEngineConfig().safety;
    add(`${field}.tolerance`, behavior.tolerance, 'unmapped', `lagpilot's tolerances (${scaleUpTolerance * 100} % up, ${scaleDownTolerance * 100} % down) are not configurable`);
  }
}

/** A lagpilot name (lowercase, digits, ".", "_", "-", at most 63) from a Kubernetes name. */
export function resourceName(text: string): string {
  const cleaned = text.toLowerCase().replaceAll(/[^a-z0-9._-]+/g, '-').replaceAll(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  const short = cleaned.slice(0, 63).replace(/[^a-z0-9]+$/, '');
  return short === '' ? 'target' : short;
}

function uniqueName(name: string, taken: readonly string[]): string {
  if (!taken.includes(name)) return name;
  for (let suffix = 2; ; suffix += 1) {
    const candidate = `${name.slice(0, 60)}-${suffix}`;
    if (!taken.includes(candidate)) return candidate;
  }
}

function environmentName(text: string): string {
  return text.toUpperCase().replaceAll(/[^A-Z0-9]+/g, '_').replace(/^(\d)/, '_$1');
}
