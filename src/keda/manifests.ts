// Reading KEDA manifests for `lagpilot import-keda`: one YAML file of one or many documents
// (or a `kind: List`, as `kubectl get -o yaml` writes), holding ScaledObjects and what their
// triggers refer to: TriggerAuthentications, ClusterTriggerAuthentications, and the Secrets and
// ConfigMaps behind them. Field names and defaults are KEDA's (keda.sh/v1alpha1; the Kafka
// scaler's parameters as pkg/scalers/kafka_scaler.go reads them). Anything else is listed as
// skipped. A problem is reported with the file, line and path where it is.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { z } from 'zod';
import { formatPath } from '../config/loader.ts';

export class KedaInputError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'KedaInputError';
    this.problems = problems;
  }
}

/** Trigger metadata values are strings in KEDA; a YAML number or boolean is read as its text. */
const metadataValue = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));

const triggerSchema = z.object({
  type: z.string().min(1),
  name: z.string().min(1).optional(),
  metadata: z.record(z.string(), metadataValue).default({}),
  authenticationRef: z
    .object({
      name: z.string().min(1),
      kind: z.enum(['TriggerAuthentication', 'ClusterTriggerAuthentication']).default('TriggerAuthentication'),
    })
    .optional(),
  metricType: z.enum(['AverageValue', 'Value', 'Utilization']).optional(),
  useCachedMetrics: z.boolean().optional(),
});

const hpaRuleSchema = z.object({
  type: z.enum(['Pods', 'Percent']),
  value: z.int().positive(),
  periodSeconds: z.int().positive(),
});

const hpaDirectionSchema = z.object({
  stabilizationWindowSeconds: z.int().min(0).optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z.array(hpaRuleSchema).optional(),
  tolerance: z.union([z.number(), z.string()]).optional(),
});

const metadataSchema = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  annotations: z.record(z.string(), z.string()).default({}),
});

const scaledObjectSchema = z.object({
  metadata: metadataSchema,
  spec: z.object({
    scaleTargetRef: z.object({
      apiVersion: z.string().min(1).default('apps/v1'),
      kind: z.string().min(1).default('Deployment'),
      name: z.string().min(1),
      envSourceContainerName: z.string().optional(),
    }),
    pollingInterval: z.int().positive().optional(),
    cooldownPeriod: z.int().min(0).optional(),
    initialCooldownPeriod: z.int().min(0).optional(),
    idleReplicaCount: z.int().min(0).optional(),
    minReplicaCount: z.int().min(0).optional(),
    maxReplicaCount: z.int().min(0).optional(),
    fallback: z
      .object({
        failureThreshold: z.int().positive(),
        replicas: z.int().min(0),
        behavior: z.string().optional(),
      })
      .optional(),
    advanced: z
      .object({
        restoreToOriginalReplicaCount: z.boolean().optional(),
        horizontalPodAutoscalerConfig: z
          .object({
            name: z.string().optional(),
            behavior: z.object({ scaleUp: hpaDirectionSchema.optional(), scaleDown: hpaDirectionSchema.optional() }).optional(),
          })
          .optional(),
        scalingModifiers: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
    triggers: z.array(triggerSchema).min(1),
  }),
});

const parameterRef = z.object({ parameter: z.string().min(1), name: z.string().min(1), key: z.string().min(1) });

const triggerAuthenticationSchema = z.object({
  metadata: metadataSchema,
  spec: z
    .object({
      secretTargetRef: z.array(parameterRef).default([]),
      configMapTargetRef: z.array(parameterRef).default([]),
      env: z.array(z.object({ parameter: z.string().min(1), name: z.string().min(1), containerName: z.string().optional() })).default([]),
    })
    .catchall(z.unknown())
    .default({ secretTargetRef: [], configMapTargetRef: [], env: [] }),
});

const configDataSchema = z.object({
  metadata: metadataSchema,
  data: z.record(z.string(), z.string()).default({}),
  stringData: z.record(z.string(), z.string()).default({}),
});

export type KedaTrigger = z.output<typeof triggerSchema> & { index: number };
export type HpaDirection = z.output<typeof hpaDirectionSchema>;
type ScaledObjectFields = z.output<typeof scaledObjectSchema>;

/** Where a document is: for the report and for problems. */
export interface Origin {
  sourceName: string;
  line: number;
}

export interface ScaledObject {
  metadata: ScaledObjectFields['metadata'];
  spec: Omit<ScaledObjectFields['spec'], 'triggers'> & { triggers: KedaTrigger[] };
  origin: Origin;
  /** Keys of spec that KEDA may know and this reader does not: reported as not mapped. */
  unknownSpecKeys: string[];
}

export interface TriggerAuthentication {
  kind: 'TriggerAuthentication' | 'ClusterTriggerAuthentication';
  name: string;
  namespace?: string;
  secretTargetRef: z.output<typeof parameterRef>[];
  configMapTargetRef: z.output<typeof parameterRef>[];
  env: { parameter: string; name: string; containerName?: string }[];
  /** Other sources of parameters (podIdentity, hashiCorpVault, …), which lagpilot cannot read. */
  otherProviders: string[];
  origin: Origin;
}

/** A Secret's or ConfigMap's values, decoded: only the non-secret ones (sasl, tls) are ever used as values. */
export interface ConfigData {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  namespace?: string;
  values: Record<string, string>;
}

export interface KedaManifests {
  scaledObjects: ScaledObject[];
  triggerAuthentications: TriggerAuthentication[];
  configData: ConfigData[];
  skipped: { kind: string; name: string; origin: Origin; reason: string }[];
}

const skipReasons: Record<string, string> = {
  ScaledJob: 'lagpilot sizes long-running consumers; it does not start Jobs per message batch',
};

export async function readKedaFile(path: string): Promise<KedaManifests> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new KedaInputError([`${path}: cannot read the file: ${reason}`]);
  }
  return parseKedaManifests(text, path);
}

export function parseKedaManifests(text: string, sourceName: string): KedaManifests {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const manifests: KedaManifests = { scaledObjects: [], triggerAuthentications: [], configData: [], skipped: [] };
  const problems: string[] = [];
  for (const document of documents) {
    const [syntaxError] = document.errors;
    if (syntaxError !== undefined) {
      const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
      const firstLine = syntaxError.message.split('\n')[0] ?? syntaxError.message;
      throw new KedaInputError([`${sourceName}:${line}:${col}: YAML syntax error: ${firstLine}`]);
    }
    const data: unknown = document.toJS();
    if (data === null || data === undefined) continue;
    const line = lineCounter.linePos(document.contents?.range[0] ?? 0).line;
    const locate = (path: readonly PropertyKey[]): number => lineOf(document, lineCounter, path, line);
    if (!isRecord(data)) {
      problems.push(`${sourceName}:${line}: a document must be a Kubernetes object (a mapping with apiVersion and kind)`);
      continue;
    }
    if (data.kind === 'List' && Array.isArray(data.items)) {
      data.items.forEach((item: unknown, index) => {
        readObject(item, { sourceName, line: locate(['items', index]) }, (path) => locate(['items', index, ...path]), manifests, problems);
      });
      continue;
    }
    readObject(data, { sourceName, line }, locate, manifests, problems);
  }
  if (problems.length > 0) throw new KedaInputError(problems);
  return manifests;
}

function readObject(data: unknown, origin: Origin, locate: (path: readonly PropertyKey[]) => number, manifests: KedaManifests, problems: string[]): void {
  if (!isRecord(data) || typeof data.kind !== 'string') {
    problems.push(`${origin.sourceName}:${origin.line}: not a Kubernetes object: it has no kind`);
    return;
  }
  const kind = data.kind;
  const name = isRecord(data.metadata) && typeof data.metadata.name === 'string' ? data.metadata.name : '(unnamed)';
  const problemsOf = (error: z.ZodError): string[] =>
    error.issues.map((issue) => `${origin.sourceName}:${locate(issue.path)}: ${kind} ${name}: ${formatPath(issue.path)}: ${issueText(issue)}`);
  const isKeda = typeof data.apiVersion === 'string' && data.apiVersion.startsWith('keda.sh/');
  if (isKeda && kind === 'ScaledObject') {
    const parsed = scaledObjectSchema.safeParse(data);
    if (!parsed.success) {
      problems.push(...problemsOf(parsed.error));
      return;
    }
    const rawSpec = isRecord(data.spec) ? data.spec : {};
    const knownSpecKeys = new Set(Object.keys(scaledObjectSchema.shape.spec.shape));
    const triggers = parsed.data.spec.triggers.map((trigger, index) => ({ ...trigger, index }));
    manifests.scaledObjects.push({
      ...parsed.data,
      spec: { ...parsed.data.spec, triggers },
      origin,
      unknownSpecKeys: Object.keys(rawSpec).filter((key) => !knownSpecKeys.has(key)),
    });
    return;
  }
  if (isKeda && (kind === 'TriggerAuthentication' || kind === 'ClusterTriggerAuthentication')) {
    const parsed = triggerAuthenticationSchema.safeParse(data);
    if (!parsed.success) {
      problems.push(...problemsOf(parsed.error));
      return;
    }
    const { secretTargetRef, configMapTargetRef, env, ...others } = parsed.data.spec;
    manifests.triggerAuthentications.push({
      kind,
      name: parsed.data.metadata.name,
      ...(parsed.data.metadata.namespace === undefined ? {} : { namespace: parsed.data.metadata.namespace }),
      secretTargetRef,
      configMapTargetRef,
      env,
      otherProviders: Object.keys(others),
      origin,
    });
    return;
  }
  if (data.apiVersion === 'v1' && (kind === 'Secret' || kind === 'ConfigMap')) {
    const parsed = configDataSchema.safeParse(data);
    if (!parsed.success) {
      problems.push(...problemsOf(parsed.error));
      return;
    }
    const values: Record<string, string> = { ...parsed.data.stringData };
    for (const [key, value] of Object.entries(parsed.data.data)) {
      // A Secret's data is base64; a ConfigMap's is plain text.
      values[key] ??= kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
    }
    manifests.configData.push({
      kind,
      name: parsed.data.metadata.name,
      ...(parsed.data.metadata.namespace === undefined ? {} : { namespace: parsed.data.metadata.namespace }),
      values,
    });
    return;
  }
  manifests.skipped.push({ kind, name, origin, reason: skipReasons[kind] ?? 'not a ScaledObject or something its triggers refer to' });
}

/** The line of the deepest node of `path` that exists: a missing key is reported at its parent. */
function lineOf(document: Document.Parsed, lineCounter: LineCounter, path: readonly PropertyKey[], fallback: number): number {
  for (let length = path.length; length >= 0; length -= 1) {
    const node: unknown = document.getIn(path.slice(0, length), true);
    if (isRecord(node) && Array.isArray(node.range) && typeof node.range[0] === 'number') return lineCounter.linePos(node.range[0]).line;
  }
  return fallback;
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return 'is required';
  return issue.message.replace(/^Invalid input: /, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
