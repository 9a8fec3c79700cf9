// Leader election on a Kubernetes Lease (coordination.k8s.io/v1), as Kubernetes' own
// controllers do it: read the Lease, and write it back with the resourceVersion that was read,
// so of two replicas writing at once the apiserver accepts one and answers the other 409.
//
// Expiry is judged on this replica's clock, never by comparing the Lease's renewTime with it:
// a follower notes when it last saw the Lease record change and takes over only once the record
// stayed the same for a whole lease duration. Clock skew between replicas then does not matter.
// The fencing term is leaseTransitions + 1, raised on every new leadership.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- the client's models are plain data classes; object literals are how its own examples build them */
import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { CampaigningElector, type CampaignOptions, type CampaignOutcome } from './leader-election.ts';

/** The three Lease calls the elector makes (CoordinationV1Api's, or a stand-in in unit tests). */
export interface LeaseApi {
  readNamespacedLease(request: { name: string; namespace: string }): Promise<V1Lease>;
  createNamespacedLease(request: { namespace: string; body: V1Lease }): Promise<V1Lease>;
  replaceNamespacedLease(request: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease>;
}

export interface LeaseElectorOptions extends CampaignOptions {
  /** Where the apiserver is and who to be there; or `leases` directly. */
  kubeConfig?: KubeConfig;
  leases?: LeaseApi;
  namespace: string;
  /** The Lease's name: replicas with the same name compete. */
  leaseName: string;
}

export class LeaseElector extends CampaigningElector {
  readonly #api: LeaseApi;
  readonly #namespace: string;
  readonly #leaseName: string;
  /** The last Lease record seen and when this replica first saw it. */
  #observedRecord = '';
  #observedAt = 0;

  constructor(options: LeaseElectorOptions) {
    super(options);
    const api = options.leases ?? options.kubeConfig?.makeApiClient(CoordinationV1Api);
    if (api === undefined) throw new Error('the Lease elector needs a kubeConfig (or a Lease API)');
    this.#api = api;
    this.#namespace = options.namespace;
    this.#leaseName = options.leaseName;
  }

  protected async campaign(now: number): Promise<CampaignOutcome> {
    const lease = await this.#read();
    if (lease === undefined) return this.#create(now);

    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const record = JSON.stringify([holder, spec.renewTime, spec.leaseTransitions, lease.metadata?.resourceVersion]);
    if (record !== this.#observedRecord) {
      this.#observedRecord = record;
      this.#observedAt = now;
    }
    const transitions = spec.leaseTransitions ?? 0;

    if (holder === this.identity && this.believesLeading) {
      return this.#replace(lease, {
        holderIdentity: holder,
        leaseDurationSeconds: this.#leaseSeconds(),
        acquireTime: spec.acquireTime,
        renewTime: microTime(now),
        leaseTransitions: transitions,
      }, transitions + 1);
    }
    const leaseMillis = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && holder !== this.identity && now - this.#observedAt < leaseMillis) {
      return { leading: false, holder };
    }
    // Free, expired, or ours from an earlier leadership this replica already gave up: a new term.
    return this.#replace(lease, {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.#leaseSeconds(),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: transitions + 1,
    }, transitions + 2);
  }

  protected async release(): Promise<void> {
    const lease = await this.#read();
    if (lease?.spec?.holderIdentity !== this.identity) return;
    const now = this.clock.now();
    // An empty holder is free to take at the next attempt of any follower.
    const released = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: lease.spec.acquireTime,
      renewTime: microTime(now),
      leaseTransitions: lease.spec.leaseTransitions,
    };
    try {
      await this.#api.replaceNamespacedLease({ name: this.#leaseName, namespace: this.#namespace, body: withSpec(lease, released) });
    } catch (error) {
      // 409: someone else wrote the Lease since; it is not ours to release any more.
      if (!(error instanceof ApiException && error.code === 409)) throw error;
    }
  }

  async #read(): Promise<V1Lease | undefined> {
    try {
      return await this.#api.readNamespacedLease({ name: this.#leaseName, namespace: this.#namespace });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw describe(error, `reading Lease ${this.#namespace}/${this.#leaseName}`);
    }
  }

  async #create(now: number): Promise<CampaignOutcome> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#leaseName, namespace: this.#namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.#leaseSeconds(),
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    };
    try {
      await this.#api.createNamespacedLease({ namespace: this.#namespace, body });
      return { leading: true, term: 1 };
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return { leading: false, holder: 'another replica that created the Lease first' };
      throw describe(error, `creating Lease ${this.#namespace}/${this.#leaseName}`);
    }
  }

  async #replace(lease: V1Lease, spec: NonNullable<V1Lease['spec']>, term: number): Promise<CampaignOutcome> {
    try {
      // The body carries the resourceVersion that was read: a write in between makes this a 409.
      await this.#api.replaceNamespacedLease({ name: this.#leaseName, namespace: this.#namespace, body: withSpec(lease, spec) });
      return { leading: true, term };
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return { leading: false, holder: 'another replica that wrote the Lease first' };
      throw describe(error, `updating Lease ${this.#namespace}/${this.#leaseName}`);
    }
  }

  #leaseSeconds(): number {
    // The Lease counts whole seconds; rounding up never shortens what followers wait.
    return Math.max(1, Math.ceil(this.timings.leaseDurationMillis / 1000));
  }
}

/** The Lease as read (its resourceVersion included) with a new spec. */
function withSpec(lease: V1Lease, spec: NonNullable<V1Lease['spec']>): V1Lease {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: lease.metadata, spec };
}

/** MicroTime: the apiserver expects six fractional digits, which V1MicroTime writes. */
function microTime(millis: number): V1MicroTime {
  return new V1MicroTime(millis);
}

function describe(error: unknown, what: string): Error {
  if (error instanceof ApiException) return new Error(`${what}: the apiserver answered ${error.code}: ${String(error.body)}`);
  return new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
