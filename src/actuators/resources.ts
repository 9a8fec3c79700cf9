// Vertical scaling: sets the CPU and memory requests and limits of a Deployment's or
// StatefulSet's containers from their usage history in Prometheus (resource-recommender.ts does
// the arithmetic). The replica decision that triggers it only says "now is a time to look"; what
// is written comes from the history, so applying twice with the same history changes nothing.
//
// Every change restarts the workload's pods, so it is guarded three ways: a change smaller than
// minChange is left alone, a cooldown per workload (in the state store, shared by lagpilot
// replicas) spaces changes out, and dry run is on unless the config turns it off. The pod
// template is changed with one strategic merge patch (containers are merged by name) that carries
// the resourceVersion it was computed from, so a concurrent edit is refused (409) rather than
// overwritten; the same patch records what was set (lagpilot.io/last-resources) and an Event
// says why. RBAC: get/patch on the workload and create on events, as for the scale actuator.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client's models are field-only classes; request bodies are object literals */
import {
  type AppsV1Api,
  type CoreV1Api,
  type KubeConfig,
  type ConfigurationOptions,
  type V1Container,
  type V1ObjectMeta,
} from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import type { ResourcesActuatorConfig } from '../config/schema/actuators.ts';
import { MemoryStateStore } from '../state/memory-store.ts';
import type { StateStore } from '../state/store.ts';
import { describeError, reasonCodes } from './actuator.ts';
import type { ActuationRequest, ActuationResult, Actuator, ActuatorState } from './actuator.ts';
import { callApiserver, connectToWorkload, createWorkloadEvent, dryRunParameter, isRecord, KubernetesCallError, pausedResult } from './kubernetes-api.ts';
import { formatQuantity, parseQuantity, recommend, type Recommendation, type ResourceKind } from './resource-recommender.ts';

export const lastResourcesAnnotation = 'lagpilot.io/last-resources';
const strategicMergePatchType = 'application/strategic-merge-patch+json';
const resourceKinds: readonly ResourceKind[] = ['cpu', 'memory'];

export interface ResourcesActuatorOptions {
  /** Use these credentials instead of the ones `auth` names. */
  kubeConfig?: KubeConfig;
  /** Where the cooldown is held; a store of this process alone when unset. */
  stateStore?: StateStore;
  /** Who takes the cooldown (a lagpilot replica's identity); a random id when unset. */
  holder?: string;
  /** The end of the history window; the clock when unset. */
  nowMillis?: () => number;
  /**
   * Called after the recommendation is computed and before the patch, with the resourceVersion
   * it was computed from. A test uses it to change the workload at exactly that moment.
   */
  beforeWrite?: (resourceVersion: string) => Promise<void>;
}

/** A failure outside the apiserver conversation that becomes a failed result with this code. */
class ResourcesError extends Error {
  override name = 'ResourcesError';
  readonly code: string;
  readonly status: number | undefined;
  constructor(message: string, code: string, status?: number, cause?: unknown) {
    super(message, { cause });
    this.code = code;
    this.status = status;
  }
}

interface Workload {
  annotations: Record<string, string>;
  uid: string | undefined;
  resourceVersion: string;
  containers: V1Container[];
}

interface ResourceChange {
  container: string;
  resource: ResourceKind;
  requestBefore: string | undefined;
  requestAfter: string;
  limitBefore: string | undefined;
  limitAfter: string | undefined;
}

interface Assessment {
  changes: ResourceChange[];
  /** One line per container and resource: how its recommendation came about. */
  notes: string[];
  insufficient: number;
}

/** Replaces ${namespace}, ${workload} and ${container}; the workload name is escaped for a regex matcher. */
export function renderUsageQuery(template: string, values: { namespace: string; workload: string; container: string }): string {
  const escapedWorkload = values.workload.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');
  return template
    .replaceAll('${namespace}', values.namespace)
    .replaceAll('${workload}', escapedWorkload)
    .replaceAll('${container}', values.container);
}

export class ResourcesActuator implements Actuator {
  readonly kind = 'resources';
  readonly dryRun: boolean;
  private readonly config: ResourcesActuatorConfig;
  private readonly namespace: string;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly store: StateStore;
  private readonly holder: string;
  private readonly nowMillis: () => number;
  private readonly prometheusUrl: string;
  private readonly beforeWrite: ((resourceVersion: string) => Promise<void>) | undefined;

  constructor(config: ResourcesActuatorConfig, options: ResourcesActuatorOptions = {}) {
    this.config = config;
    this.dryRun = config.dryRun;
    const clients = connectToWorkload(config.auth, config.workload, options.kubeConfig);
    this.namespace = clients.namespace;
    this.apps = clients.apps;
    this.core = clients.core;
    this.store = options.stateStore ?? new MemoryStateStore();
    this.holder = options.holder ?? `lagpilot-${randomUUID()}`;
    this.nowMillis = options.nowMillis ?? Date.now;
    this.prometheusUrl = config.prometheus.url.endsWith('/') ? config.prometheus.url : `${config.prometheus.url}/`;
    this.beforeWrite = options.beforeWrite;
  }

  async current(): Promise<ActuatorState> {
    const object = await this.readObject();
    const spec = isRecord(object) && isRecord(object.spec) ? object.spec : {};
    // spec.replicas is omitted when it is the default of 1.
    const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    return { replicas, notices: [] };
  }

  async apply({ target, decision }: ActuationRequest): Promise<ActuationResult> {
    try {
      const workload = parseWorkload(await this.readObject(), this.workloadName());
      const paused = pausedResult(workload.annotations, this.workloadName());
      if (paused !== undefined) return paused;
      const cooldown = await this.store.cooldown(this.cooldownKey(), 'resources');
      if (cooldown !== null) {
        return { status: 'noop', code: 'CoolingDown', detail: `${this.workloadName()}: resources changed recently; cooldown ends in ${Math.ceil(cooldown.remainingMillis / 1000)} s` };
      }
      const assessment = await this.assess(workload);
      if (assessment.changes.length === 0) {
        const everyResource = assessment.notes.length;
        const code = assessment.insufficient === everyResource ? 'InsufficientHistory' : 'WithinThreshold';
        return { status: 'noop', code, detail: `${this.workloadName()}: nothing to change (${assessment.notes.join('; ')})` };
      }
      if (!this.dryRun) {
        const taken = await this.store.acquireCooldown(this.cooldownKey(), 'resources', this.holder, this.config.cooldown);
        if (!taken.acquired) {
          return { status: 'noop', code: 'CoolingDown', detail: `${this.workloadName()}: ${taken.holder} changed resources just now; cooldown ends in ${Math.ceil(taken.remainingMillis / 1000)} s` };
        }
      }
      const record = { target: target.name, time: new Date(decision.time * 1000).toISOString(), changes: assessment.changes };
      try {
        if (this.beforeWrite !== undefined) await this.beforeWrite(workload.resourceVersion);
        await this.patchResources(workload, assessment.changes, JSON.stringify(record));
      } catch (error) {
        if (!this.dryRun) await this.store.releaseCooldown(this.cooldownKey(), 'resources', this.holder);
        throw error;
      }
      const summary = assessment.changes.map(describeChange).join('; ');
      const eventProblem = await this.recordEvent(target.name, workload, `${summary} (${reasonCodes(decision)})`);
      const notRecorded = eventProblem === undefined ? '' : `; not recorded: ${eventProblem}`;
      return {
        status: this.dryRun ? 'dryRun' : 'applied',
        code: this.dryRun ? 'WouldResize' : 'Resized',
        detail: `${this.dryRun ? 'would resize' : 'resized'} ${this.workloadName()}: ${summary} [${assessment.notes.join('; ')}]${notRecorded}`,
      };
    } catch (error) {
      if (error instanceof ResourcesError || error instanceof KubernetesCallError) return { status: 'failed', code: error.code, detail: error.message };
      return { status: 'failed', code: 'Unexpected', detail: `${this.workloadName()}: ${describeError(error)}` };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private workloadName(): string {
    return `${this.config.workload.kind} ${this.namespace}/${this.config.workload.name}`;
  }

  private cooldownKey(): string {
    return `resources/${this.config.workload.kind}/${this.namespace}/${this.config.workload.name}`;
  }

  /** The recommendation for each chosen container and resource, against what is in force. */
  private async assess(workload: Workload): Promise<Assessment> {
    const chosen = this.config.containers ?? workload.containers.map((container) => container.name);
    const assessment: Assessment = { changes: [], notes: [], insufficient: 0 };
    for (const name of chosen) {
      const container = workload.containers.find((candidate) => candidate.name === name);
      if (container === undefined) {
        const present = workload.containers.map((candidate) => candidate.name).join(', ');
        throw new ResourcesError(`${this.workloadName()} has no container "${name}" (it has: ${present})`, 'ContainerNotFound');
      }
      for (const resource of resourceKinds) {
        const requestText = container.resources?.requests?.[resource];
        const limitText = container.resources?.limits?.[resource];
        const samples = await this.usageHistory(resource, name);
        const policy = this.config[resource];
        const current: { request?: number; limit?: number } = {};
        if (requestText !== undefined) current.request = parseQuantity(requestText);
        if (limitText !== undefined) current.limit = parseQuantity(limitText);
        const recommendation: Recommendation = recommend(resource, {
          samples,
          current,
          policy: { ...policy, min: parseQuantity(policy.min), max: parseQuantity(policy.max) },
          minSamples: this.config.minSamples,
          minChange: this.config.minChange,
        });
        assessment.notes.push(`${name} ${recommendation.detail}`);
        if (recommendation.outcome === 'insufficientHistory') assessment.insufficient++;
        if (recommendation.outcome !== 'change') continue;
        assessment.changes.push({
          container: name,
          resource,
          requestBefore: requestText,
          requestAfter: formatQuantity(resource, recommendation.request),
          limitBefore: limitText,
          limitAfter: recommendation.limit === undefined ? undefined : formatQuantity(resource, recommendation.limit),
        });
      }
    }
    return assessment;
  }

  /** Every value of every series the range query returns over the window (all pods together). */
  private async usageHistory(resource: ResourceKind, container: string): Promise<number[]> {
    const query = renderUsageQuery(this.config.queries[resource], { namespace: this.namespace, workload: this.config.workload.name, container });
    const endSeconds = this.nowMillis() / 1000;
    const parameters = new URLSearchParams({
      query,
      start: (endSeconds - this.config.window / 1000).toFixed(3),
      end: endSeconds.toFixed(3),
      step: `${this.config.step / 1000}s`,
    });
    const where = `${this.prometheusUrl}api/v1/query_range`;
    let response: Response;
    try {
      response = await fetch(`${where}?${parameters.toString()}`, {
        headers: { ...this.config.prometheus.headers, Accept: 'application/json' },
        signal: AbortSignal.timeout(this.config.prometheus.timeout),
        redirect: 'error',
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const reason = timedOut ? `no answer within ${this.config.prometheus.timeout} ms` : `unreachable (${describeError(error)})`;
      throw new ResourcesError(`${resource} usage of ${container} (${query}): Prometheus at ${where} ${reason}`, timedOut ? 'PrometheusTimeout' : 'PrometheusUnreachable');
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new ResourcesError(`${resource} usage of ${container} (${query}): HTTP ${response.status} from ${where} is not JSON`, 'PrometheusBadAnswer');
    }
    if (!isRecord(body) || body.status !== 'success') {
      const message = isRecord(body) && typeof body.error === 'string' ? body.error : 'not a Prometheus API answer';
      throw new ResourcesError(`${resource} usage of ${container} (${query}): Prometheus refused it (HTTP ${response.status}): ${message}`, 'PrometheusQueryFailed');
    }
    const data = isRecord(body.data) ? body.data : {};
    if (data.resultType !== 'matrix' || !Array.isArray(data.result)) {
      throw new ResourcesError(`${resource} usage of ${container} (${query}): gives a ${String(data.resultType)}, not a range of an instant vector`, 'PrometheusBadAnswer');
    }
    const values: number[] = [];
    for (const series of data.result as unknown[]) {
      const points = isRecord(series) && Array.isArray(series.values) ? (series.values as unknown[]) : [];
      for (const point of points) {
        if (Array.isArray(point) && typeof point[1] === 'string') values.push(Number(point[1]));
      }
    }
    return values;
  }

  private async readObject(): Promise<unknown> {
    const { name, kind } = this.config.workload;
    const namespace = this.namespace;
    return this.call(`read ${this.workloadName()}`, (options) =>
      kind === 'Deployment' ? this.apps.readNamespacedDeployment({ name, namespace }, options) : this.apps.readNamespacedStatefulSet({ name, namespace }, options),
    );
  }

  private async patchResources(workload: Workload, changes: readonly ResourceChange[], record: string): Promise<void> {
    const containers = new Map<string, { name: string; resources: { requests: Record<string, string>; limits: Record<string, string> } }>();
    for (const change of changes) {
      const entry = containers.get(change.container) ?? { name: change.container, resources: { requests: {}, limits: {} } };
      entry.resources.requests[change.resource] = change.requestAfter;
      if (change.limitAfter !== undefined) entry.resources.limits[change.resource] = change.limitAfter;
      containers.set(change.container, entry);
    }
    const body = {
      // A precondition: 409 when the workload changed since it was read.
      metadata: { resourceVersion: workload.resourceVersion, annotations: { [lastResourcesAnnotation]: record } },
      spec: { template: { spec: { containers: [...containers.values()] } } },
    };
    const { name, kind } = this.config.workload;
    const write = { name, namespace: this.namespace, body, fieldManager: this.config.fieldManager, ...this.dryRunParameter() };
    try {
      await this.call(
        `patch the container resources of ${this.workloadName()}`,
        (options) => (kind === 'Deployment' ? this.apps.patchNamespacedDeployment(write, options) : this.apps.patchNamespacedStatefulSet(write, options)),
        strategicMergePatchType,
      );
    } catch (error) {
      if (error instanceof KubernetesCallError && error.status === 409) {
        throw new ResourcesError(`${this.workloadName()} changed while its resources were computed (409); the next evaluation starts again from what is in force`, 'Conflict', 409, error);
      }
      throw error;
    }
  }

  /** The Event that says what was set and why; a failure is reported, the patch stands. */
  private async recordEvent(targetName: string, workload: Workload, message: string): Promise<string | undefined> {
    const { name, kind } = this.config.workload;
    try {
      await createWorkloadEvent(this.core, (what, send) => this.call(what, send), {
        namespace: this.namespace,
        dryRun: this.dryRun,
        workload: { apiVersion: 'apps/v1', kind, name, uid: workload.uid },
        reason: 'Resized',
        action: 'Resize',
        targetName,
        message: `target ${targetName}: ${message}`.slice(0, 1024),
      });
      return undefined;
    } catch (error) {
      return `event: ${describeError(error)}`;
    }
  }

  private dryRunParameter(): { dryRun?: string } {
    return dryRunParameter(this.dryRun);
  }

  /** One apiserver call within the configured time, not retried; failures become KubernetesCallError naming what was attempted. */
  private async call<T>(what: string, send: (options: ConfigurationOptions) => Promise<T>, contentType?: string): Promise<T> {
    return callApiserver(what, send, { timeoutMs: this.config.requestTimeout, contentType });
  }
}

function describeChange(change: ResourceChange): string {
  const request = `${change.container} ${change.resource} request ${change.requestBefore ?? 'unset'} -> ${change.requestAfter}`;
  const limit = change.limitAfter === undefined ? '' : `, limit ${change.limitBefore ?? 'unset'} -> ${change.limitAfter}`;
  return `${request}${limit}`;
}

function parseWorkload(object: unknown, workloadName: string): Workload {
  const metadata = (isRecord(object) && isRecord(object.metadata) ? object.metadata : {}) as V1ObjectMeta;
  const spec = isRecord(object) && isRecord(object.spec) ? object.spec : {};
  const template = isRecord(spec.template) ? spec.template : {};
  const podSpec = isRecord(template.spec) ? template.spec : {};
  const containers = Array.isArray(podSpec.containers) ? (podSpec.containers as V1Container[]) : [];
  if (metadata.resourceVersion === undefined) throw new ResourcesError(`${workloadName} has no resourceVersion`, 'InvalidAnswer');
  return { annotations: metadata.annotations ?? {}, uid: metadata.uid, resourceVersion: metadata.resourceVersion, containers };
}
