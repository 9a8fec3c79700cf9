// The apiserver conversation of the Kubernetes actuators (kubernetesScale, resources): one call
// with a time limit and optional retries, failures named by what was attempted, and the Event
// that tells a workload's readers what lagpilot did to it.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client's models are field-only classes; request bodies are object literals */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesScaleActuatorConfig } from '../config/schema/actuators.ts';
import { describeError } from './actuator.ts';
import type { ActuationResult } from './actuator.ts';

const eventComponent = 'lagpilot';

/** A workload annotated `"true"` with this is left alone by every Kubernetes actuator. */
export const pausedAnnotation = 'lagpilot.io/paused';

export type KubernetesAuth = KubernetesScaleActuatorConfig['auth'];

export function loadKubeConfig(auth: KubernetesAuth): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (auth.from === 'inCluster') {
    kubeConfig.loadFromCluster(auth.pathPrefix);
    return kubeConfig;
  }
  if (auth.path === undefined) kubeConfig.loadFromDefault();
  else kubeConfig.loadFromFile(auth.path);
  if (auth.context !== undefined) kubeConfig.setCurrentContext(auth.context);
  return kubeConfig;
}

export interface WorkloadClients {
  kubeConfig: KubeConfig;
  namespace: string;
  apps: AppsV1Api;
  core: CoreV1Api;
}

/**
 * The credentials (the given ones, or those `auth` names), the workload's namespace and the
 * API clients every Kubernetes actuator talks through.
 */
export function connectToWorkload(
  auth: KubernetesAuth,
  workload: { kind: string; name: string; namespace?: string | undefined },
  kubeConfig: KubeConfig = loadKubeConfig(auth),
): WorkloadClients {
  return {
    kubeConfig,
    namespace: workloadNamespace(workload, kubeConfig),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    core: kubeConfig.makeApiClient(CoreV1Api),
  };
}

/** The noop result for a workload carrying the pause annotation; undefined when it does not. */
export function pausedResult(annotations: Record<string, string>, workloadName: string): ActuationResult | undefined {
  if (annotations[pausedAnnotation] !== 'true') return undefined;
  return { status: 'noop', code: 'Paused', detail: `${workloadName} has ${pausedAnnotation}: "true"; left as it is` };
}

/**
 * A failure of the apiserver conversation. `code` becomes the result's code: Http<status> when
 * the apiserver answered, Timeout, Unreachable (no connection), or InvalidAnswer / ClientError
 * when the problem is on this side.
 */
export class KubernetesCallError extends Error {
  override name = 'KubernetesCallError';
  readonly status: number | undefined;
  readonly code: string;
  constructor(message: string, code: string, status?: number, cause?: unknown) {
    super(message, { cause });
    this.code = code;
    this.status = status;
  }
}

export interface ApiserverCallOptions {
  timeoutMs: number;
  /** The Content-Type of a patch body (merge or strategic merge). */
  contentType?: string | undefined;
  /** How often a 429 or 5xx answer is retried; 0 when unset. */
  transientRetries?: number;
  /** Wait before the first retry, doubled each retry. */
  retryBackoffMs?: number;
}

/**
 * One apiserver call within `timeoutMs`; 429 and 5xx answers are retried with backoff as often
 * as `transientRetries` allows. Errors become KubernetesCallError naming what was attempted, the
 * HTTP status and the apiserver's own message.
 */
export async function callApiserver<T>(what: string, send: (options: ConfigurationOptions) => Promise<T>, options: ApiserverCallOptions): Promise<T> {
  const { timeoutMs, contentType } = options;
  const limit: ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      if (contentType !== undefined) context.setHeaderParam('Content-Type', contentType);
      return new Observable(Promise.resolve(context));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  const transient: string[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      return await send({ middleware: [limit], middlewareMergeStrategy: 'append' });
    } catch (error) {
      if (error instanceof ApiException) {
        const answer = `${error.code}${apiserverMessage(error.body)}`;
        const retryable = error.code === 429 || error.code >= 500;
        if (retryable && attempt < (options.transientRetries ?? 0)) {
          transient.push(String(error.code));
          await sleep(retryDelayMs((options.retryBackoffMs ?? 0) * 2 ** attempt, error.headers));
          continue;
        }
        const earlier = transient.length === 0 ? '' : ` (after ${transient.join(', ')})`;
        throw new KubernetesCallError(`could not ${what}: apiserver answered ${answer}${earlier}`, `Http${error.code}`, error.code, error);
      }
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
        throw new KubernetesCallError(`could not ${what}: no answer from the apiserver within ${timeoutMs} ms`, 'Timeout', undefined, error);
      }
      // fetch reports a connection it could not make (refused, reset, TLS) as a TypeError.
      if (error instanceof TypeError) {
        throw new KubernetesCallError(`could not ${what}: apiserver unreachable (${describeError(error)})`, 'Unreachable', undefined, error);
      }
      throw new KubernetesCallError(`could not ${what}: ${describeError(error)}`, 'ClientError', undefined, error);
    }
  }
}

export interface WorkloadEvent {
  namespace: string;
  dryRun: boolean;
  workload: { apiVersion: string; kind: string; name: string; uid?: string | undefined };
  /** ScaledUp, Resized, ... */
  reason: string;
  /** Scale, Resize, ... */
  action: string;
  /** The lagpilot target that decided. */
  targetName: string;
  message: string;
}

/**
 * Creates a Normal Event on the workload from the `lagpilot` component; `call` is the
 * actuator's own apiserver call (its time limit and retries).
 */
export async function createWorkloadEvent(
  core: CoreV1Api,
  call: (what: string, send: (options: ConfigurationOptions) => Promise<unknown>) => Promise<unknown>,
  event: WorkloadEvent,
): Promise<void> {
  const { apiVersion, kind, name, uid } = event.workload;
  const namespace = event.namespace;
  const now = new Date();
  const involvedObject: Record<string, string> = { apiVersion, kind, name, namespace };
  if (uid !== undefined) involvedObject.uid = uid;
  await call(`create an Event for ${kind} ${namespace}/${name}`, (options) =>
    core.createNamespacedEvent(
      {
        namespace,
        ...dryRunParameter(event.dryRun),
        body: {
          metadata: { generateName: `${name}.lagpilot.` },
          involvedObject,
          reason: event.reason,
          message: event.message,
          type: 'Normal',
          source: { component: eventComponent },
          reportingComponent: eventComponent,
          reportingInstance: event.targetName,
          action: event.action,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      },
      options,
    ),
  );
}

/**
 * The namespace of the workload: the configured one, or else that of the kubeconfig's current
 * context (in cluster: the pod's own namespace file).
 */
export function workloadNamespace(workload: { kind: string; name: string; namespace?: string | undefined }, kubeConfig: KubeConfig): string {
  const namespace = workload.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  if (namespace === undefined || namespace === '') {
    throw new Error(
      `${workload.kind} ${workload.name}: no namespace: set workload.namespace (the kubeconfig context and the in-cluster namespace file name none)`,
    );
  }
  return namespace.trim();
}

/** The apiserver's own dry run: admission, validation and RBAC run, nothing is stored. */
export function dryRunParameter(dryRun: boolean): { dryRun?: string } {
  return dryRun ? { dryRun: 'All' } : {};
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The `message` of a Kubernetes Status body, when the error carries one. */
export function apiserverMessage(body: unknown): string {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body === '' ? '' : `: ${body.slice(0, 300)}`;
    }
  }
  if (isRecord(parsed) && typeof parsed.message === 'string') return `: ${parsed.message}`;
  return '';
}

const longestRetryAfterMs = 10_000;

/** The backoff, or the apiserver's Retry-After (seconds) when that is longer, within 10 s. */
function retryDelayMs(backoffMs: number, headers: Record<string, string>): number {
  const retryAfter = Number(headers['retry-after']);
  const asked = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 0;
  return Math.min(Math.max(backoffMs, asked), longestRetryAfterMs);
}
