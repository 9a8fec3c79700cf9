// Sets the replica count of anything with a /scale subresource: a Deployment, a StatefulSet, or a
// custom resource that declares one (Strimzi's KafkaNodePool, say). Only the subresource is
// written, so the RBAC it needs is get/patch on `<resource>/scale`, plus get/patch on the
// workload for the pause annotation and the record of why it scaled, and create on events.
//
// Each write carries the resourceVersion it was computed from, so a change made by someone else
// in between is refused (409) instead of overwritten; the actuator then reads again and decides
// again (which may turn into a noop). Dry run is the apiserver's own (`dryRun=All`): admission,
// validation and RBAC run, nothing is stored.
import {
  CustomObjectsApi,
  type AppsV1Api,
  type ConfigurationOptions,
  type CoreV1Api,
  type KubeConfig,
  type V1ObjectMeta,
} from '@kubernetes/client-node';
import type { KubernetesScaleActuatorConfig } from '../config/schema/actuators.ts';
import { describeError, reasonCodes } from './actuator.ts';
import type { ActuationRequest, ActuationResult, ActuationTarget, Actuator, ActuatorState } from './actuator.ts';
import { callApiserver, connectToWorkload, createWorkloadEvent, dryRunParameter, isRecord, KubernetesCallError, pausedResult } from './kubernetes-api.ts';

export const lastDecisionAnnotation = 'lagpilot.io/last-decision';
const mergePatchType = 'application/merge-patch+json';

export interface KubernetesScaleOptions {
  /** Use these credentials instead of the ones `auth` names. */
  kubeConfig?: KubeConfig;
  /**
   * Called between reading the scale and writing it, with the resourceVersion read. A test uses
   * it to change the object at exactly that moment and provoke a 409.
   */
  betweenReadAndWrite?: (resourceVersion: string) => Promise<void>;
}

interface ScaleState {
  replicas: number;
  resourceVersion: string;
}

/** What a workload says about itself: enough to obey the pause and name it in an Event. */
interface WorkloadIdentity {
  uid?: string;
  resourceVersion?: string;
  annotations: Record<string, string>;
}

export class KubernetesScaleActuator implements Actuator {
  readonly kind = 'kubernetesScale';
  readonly dryRun: boolean;
  private readonly config: KubernetesScaleActuatorConfig;
  private readonly namespace: string;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly customObjects: CustomObjectsApi;
  private readonly betweenReadAndWrite: ((resourceVersion: string) => Promise<void>) | undefined;

  constructor(config: KubernetesScaleActuatorConfig, options: KubernetesScaleOptions = {}) {
    this.config = config;
    this.dryRun = config.dryRun;
    const clients = connectToWorkload(config.auth, config.workload, options.kubeConfig);
    this.namespace = clients.namespace;
    this.apps = clients.apps;
    this.core = clients.core;
    this.customObjects = clients.kubeConfig.makeApiClient(CustomObjectsApi);
    this.betweenReadAndWrite = options.betweenReadAndWrite;
  }

  async current(): Promise<ActuatorState> {
    const scale = await this.readScale();
    return { replicas: scale.replicas, notices: [] };
  }

  async apply({ target, decision }: ActuationRequest): Promise<ActuationResult> {
    const desired = decision.desired;
    try {
      const workload = await this.readWorkload();
      const paused = pausedResult(workload.annotations, this.workloadName());
      if (paused !== undefined) return paused;
      for (let attempt = 0; ; attempt++) {
        const scale = await this.readScale();
        if (scale.replicas === desired) {
          return {
            status: 'noop',
            code: 'AlreadyAtDesired',
            detail: `${this.workloadName()} is already at ${desired} replicas`,
            replicasBefore: scale.replicas,
            replicasAfter: scale.replicas,
          };
        }
        if (this.betweenReadAndWrite !== undefined) await this.betweenReadAndWrite(scale.resourceVersion);
        try {
          await this.writeScale(desired, scale.resourceVersion);
        } catch (error) {
          if (error instanceof KubernetesCallError && error.status === 409 && attempt < this.config.conflictRetries) continue;
          if (error instanceof KubernetesCallError && error.status === 409) {
            return this.failure(`${this.workloadName()}: still conflicting after ${attempt + 1} attempts (409): someone else keeps changing it`, scale.replicas, 'Conflict');
          }
          throw error;
        }
        const recordingProblems = await this.recordWhy(target, decision, scale.replicas, workload);
        const verb = this.dryRun ? 'would scale' : 'scaled';
        const retried = attempt === 0 ? '' : ` after ${attempt} conflict${attempt === 1 ? '' : 's'} (409)`;
        const problems = recordingProblems.length === 0 ? '' : `; not recorded: ${recordingProblems.join('; ')}`;
        return {
          status: this.dryRun ? 'dryRun' : 'applied',
          code: this.dryRun ? 'WouldScale' : 'Scaled',
          detail: `${verb} ${this.workloadName()} from ${scale.replicas} to ${desired}${retried}${problems}`,
          replicasBefore: scale.replicas,
          replicasAfter: desired,
        };
      }
    } catch (error) {
      if (error instanceof KubernetesCallError) return this.failure(error.message, undefined, error.code);
      return this.failure(`${this.workloadName()}: ${describeError(error)}`, undefined, 'Unexpected');
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private failure(reason: string, replicasBefore: number | undefined, code: string): ActuationResult {
    const result: ActuationResult = { status: 'failed', code, detail: reason };
    if (replicasBefore !== undefined) result.replicasBefore = replicasBefore;
    return result;
  }

  private workloadName(): string {
    const { kind, name } = this.config.workload;
    return `${kind} ${this.namespace}/${name}`;
  }

  private customResource(): { group: string; version: string; plural: string } | undefined {
    const { apiVersion, plural } = this.config.workload;
    if (apiVersion === 'apps/v1') return undefined;
    const [group = '', version = ''] = apiVersion.split('/');
    // The schema requires plural for custom resources.
    return { group, version, plural: plural ?? '' };
  }

  private async readScale(): Promise<ScaleState> {
    const { name, kind } = this.config.workload;
    const namespace = this.namespace;
    const custom = this.customResource();
    const scale: unknown = await this.call(`read the scale of ${this.workloadName()}`, (options) => {
      if (custom !== undefined) return this.customObjects.getNamespacedCustomObjectScale({ ...custom, namespace, name }, options) as Promise<unknown>;
      if (kind === 'Deployment') return this.apps.readNamespacedDeploymentScale({ name, namespace }, options);
      return this.apps.readNamespacedStatefulSetScale({ name, namespace }, options);
    });
    return parseScale(scale, this.workloadName());
  }

  private async writeScale(replicas: number, resourceVersion: string): Promise<void> {
    const { name, kind } = this.config.workload;
    const namespace = this.namespace;
    const custom = this.customResource();
    // A resourceVersion inside a merge patch is a precondition: the apiserver answers 409 when the
    // object changed since it was read. This keeps the RBAC at `patch` (no `update` needed).
    const body = { metadata: { resourceVersion }, spec: { replicas } };
    const write = { name, namespace, body, fieldManager: this.config.fieldManager, ...this.dryRunParameter() };
    await this.call(`patch the scale of ${this.workloadName()}`, (options) => {
      if (custom !== undefined) return this.customObjects.patchNamespacedCustomObjectScale({ ...custom, ...write }, options) as Promise<unknown>;
      if (kind === 'Deployment') return this.apps.patchNamespacedDeploymentScale(write, options);
      return this.apps.patchNamespacedStatefulSetScale(write, options);
    }, mergePatchType);
  }

  private async readWorkload(): Promise<WorkloadIdentity> {
    const { name, kind } = this.config.workload;
    const namespace = this.namespace;
    const custom = this.customResource();
    const object: unknown = await this.call(`read ${this.workloadName()}`, (options) => {
      if (custom !== undefined) return this.customObjects.getNamespacedCustomObject({ ...custom, namespace, name }, options) as Promise<unknown>;
      if (kind === 'Deployment') return this.apps.readNamespacedDeployment({ name, namespace }, options);
      return this.apps.readNamespacedStatefulSet({ name, namespace }, options);
    });
    const metadata = isRecord(object) && isRecord(object.metadata) ? (object.metadata as V1ObjectMeta) : {};
    const identity: WorkloadIdentity = { annotations: metadata.annotations ?? {} };
    if (metadata.uid !== undefined) identity.uid = metadata.uid;
    if (metadata.resourceVersion !== undefined) identity.resourceVersion = metadata.resourceVersion;
    return identity;
  }

  /**
   * The annotation and the Event that say why the count changed. The scale is already written
   * when these run, so a failure here is reported in the result, not turned into a failed actuation.
   */
  private async recordWhy(
    target: ActuationTarget,
    decision: ActuationRequest['decision'],
    before: number,
    workload: WorkloadIdentity,
  ): Promise<string[]> {
    const problems: string[] = [];
    const at = new Date(decision.time * 1000);
    const record = {
      target: target.name,
      time: at.toISOString(),
      from: before,
      to: decision.desired,
      action: decision.action,
      reasons: decision.reasons.map((entry) => entry.code),
    };
    const { name, kind, apiVersion } = this.config.workload;
    const namespace = this.namespace;
    const custom = this.customResource();
    const body = { metadata: { annotations: { [lastDecisionAnnotation]: JSON.stringify(record) } } };
    const write = { name, namespace, body, fieldManager: this.config.fieldManager, ...this.dryRunParameter() };
    try {
      await this.call(`annotate ${this.workloadName()}`, (options) => {
        if (custom !== undefined) return this.customObjects.patchNamespacedCustomObject({ ...custom, ...write }, options) as Promise<unknown>;
        if (kind === 'Deployment') return this.apps.patchNamespacedDeployment(write, options);
        return this.apps.patchNamespacedStatefulSet(write, options);
      }, mergePatchType);
    } catch (error) {
      problems.push(`annotation: ${describeError(error)}`);
    }
    try {
      await createWorkloadEvent(this.core, (what, send) => this.call(what, send), {
        namespace,
        dryRun: this.dryRun,
        workload: { apiVersion, kind, name, uid: workload.uid },
        reason: decision.desired > before ? 'ScaledUp' : 'ScaledDown',
        action: 'Scale',
        targetName: target.name,
        message: `target ${target.name}: ${before} -> ${decision.desired} replicas (${reasonCodes(decision)})`,
      });
    } catch (error) {
      problems.push(`event: ${describeError(error)}`);
    }
    return problems;
  }

  private dryRunParameter(): { dryRun?: string } {
    return dryRunParameter(this.dryRun);
  }

  /**
   * One apiserver call with the configured time limit; 429 and 5xx answers are retried with
   * backoff. Writes are safe to retry: each carries the resourceVersion it was computed from, so
   * a write that did land before its answer was lost comes back as a 409 and is read again.
   * Errors become KubernetesCallError naming what was attempted, the HTTP status and the
   * apiserver's own message.
   */
  private async call<T>(what: string, send: (options: ConfigurationOptions) => Promise<T>, contentType?: string): Promise<T> {
    return callApiserver(what, send, {
      timeoutMs: this.config.requestTimeout,
      contentType,
      transientRetries: this.config.transientRetries,
      retryBackoffMs: this.config.retryBackoff,
    });
  }
}

function parseScale(scale: unknown, workloadName: string): ScaleState {
  const metadata = isRecord(scale) && isRecord(scale.metadata) ? scale.metadata : {};
  const spec = isRecord(scale) && isRecord(scale.spec) ? scale.spec : {};
  const resourceVersion = metadata.resourceVersion;
  if (typeof resourceVersion !== 'string') throw new KubernetesCallError(`the scale of ${workloadName} has no resourceVersion`, 'InvalidAnswer');
  // An absent spec.replicas is the API's default of 0 (omitempty).
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== 'number') throw new KubernetesCallError(`the scale of ${workloadName} has a non-numeric spec.replicas`, 'InvalidAnswer');
  return { replicas, resourceVersion };
}
