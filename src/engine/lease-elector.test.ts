import { expect } from 'chai';
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { ManualClock } from './clock.ts';
import { LeaseElector, type LeaseApi } from './lease-elector.ts';

const timings = { leaseDurationMillis: 3000, renewDeadlineMillis: 2000, retryPeriodMillis: 500 };

/**
 * One Lease as the apiserver keeps it: bodies go through JSON (MicroTime arrives as text), every
 * write gets a new resourceVersion, and a write carrying an older one is refused with 409.
 */
class ApiserverLease implements LeaseApi {
  stored: V1Lease | undefined;
  writes = 0;
  #version = 0;

  readNamespacedLease(): Promise<V1Lease> {
    if (this.stored === undefined) return Promise.reject(new ApiException(404, 'not found', {}, {}));
    return Promise.resolve(wire(this.stored));
  }

  createNamespacedLease(request: { namespace: string; body: V1Lease }): Promise<V1Lease> {
    if (this.stored !== undefined) return Promise.reject(new ApiException(409, 'already exists', {}, {}));
    return Promise.resolve(this.#store(request.body));
  }

  replaceNamespacedLease(request: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease> {
    if (request.body.metadata?.resourceVersion !== this.stored?.metadata?.resourceVersion) {
      return Promise.reject(new ApiException(409, 'the object has been modified', {}, {}));
    }
    return Promise.resolve(this.#store(request.body));
  }

  /** Another replica renewing the Lease, stamping it with its own (possibly wrong) clock. */
  renewAs(holder: string, renewTime: string): void {
    this.#store(wire({ metadata: { name: 'lagpilot', namespace: 'autoscaling' }, spec: { holderIdentity: holder, leaseDurationSeconds: 3, renewTime, leaseTransitions: 0 } }));
  }

  #store(body: V1Lease): V1Lease {
    this.#version += 1;
    this.writes += 1;
    const plain = JSON.parse(JSON.stringify(body)) as { metadata?: Record<string, unknown> };
    plain.metadata = { ...plain.metadata, resourceVersion: String(this.#version) };
    this.stored = wire(plain);
    return wire(plain);
  }
}

/** What the body looks like after a trip over the wire. */
function wire(lease: unknown): V1Lease {
  return JSON.parse(JSON.stringify(lease)) as V1Lease;
}

function elector(leases: ApiserverLease, clock: ManualClock, identity: string): LeaseElector {
  return new LeaseElector({ identity, clock, timings, leases, namespace: 'autoscaling', leaseName: 'lagpilot' });
}

describe('Lease elector', () => {
  let clock: ManualClock;
  let leases: ApiserverLease;

  beforeEach(() => {
    clock = new ManualClock(Date.parse('2026-11-23T12:00:00.000Z'));
    leases = new ApiserverLease();
  });

  it('creates the Lease with MicroTime stamps (six fractional digits) and leads with term 1', async () => {
    const only = elector(leases, clock, 'replica-a');
    only.start();
    await clock.advance(0);
    expect(only.isLeader()).to.equal(true);
    expect(only.term).to.equal(1);
    expect(leases.stored?.spec).to.deep.include({
      holderIdentity: 'replica-a',
      leaseDurationSeconds: 3,
      leaseTransitions: 0,
      renewTime: '2026-11-23T12:00:00.000000Z',
      acquireTime: '2026-11-23T12:00:00.000000Z',
    });
    await clock.advance(1000);
    expect(String(leases.stored?.spec?.renewTime)).to.equal('2026-11-23T12:00:01.000000Z');
    expect(leases.stored?.spec?.acquireTime).to.equal('2026-11-23T12:00:00.000000Z');
    await only.stop();
  });

  it('lets exactly one of two replicas that start together lead (the other gets 409)', async () => {
    const first = elector(leases, clock, 'replica-a');
    const second = elector(leases, clock, 'replica-b');
    first.start();
    second.start();
    await clock.advance(10_000);
    expect([first.isLeader(), second.isLeader()].filter(Boolean)).to.have.length(1);
    await first.stop();
    await second.stop();
  });

  it('judges expiry on its own clock: a renewed Lease with a stale renewTime is never taken over', async () => {
    const follower = elector(leases, clock, 'replica-b');
    // The holder's clock is an hour behind; its renewTime always looks long expired.
    let renewals = 0;
    const renew = (): void => { renewals += 1; leases.renewAs('replica-a', `2026-11-23T11:00:0${renewals % 10}.000000Z`); };
    renew();
    follower.start();
    for (let step = 0; step < 40; step += 1) {
      await clock.advance(500);
      renew();
    }
    expect(follower.isLeader(), 'the follower must not take a lease that is being renewed').to.equal(false);
    // The holder dies: the record stops changing. The follower waits out a whole lease from
    // when it saw the last change (at most one retry period after it was made).
    await clock.advance(2500);
    expect(follower.isLeader()).to.equal(false);
    await clock.advance(1000);
    expect(follower.isLeader()).to.equal(true);
    expect(follower.term).to.equal(2);
    expect(leases.stored?.spec).to.deep.include({ holderIdentity: 'replica-b', leaseTransitions: 1 });
    await follower.stop();
  });

  it('releases on stop (empty holder, 1 s lease), and the follower takes over at its next attempt with the next term', async () => {
    const leader = elector(leases, clock, 'replica-a');
    const follower = elector(leases, clock, 'replica-b');
    leader.start();
    await clock.advance(0);
    follower.start();
    await clock.advance(5000);
    await leader.stop();
    expect(leases.stored?.spec).to.deep.include({ holderIdentity: '', leaseDurationSeconds: 1 });
    await clock.advance(500);
    expect(follower.isLeader()).to.equal(true);
    expect(follower.term).to.equal(2);
    await follower.stop();
  });

  it('does not release a Lease another replica holds', async () => {
    leases.renewAs('replica-b', '2026-11-23T12:00:00.000000Z');
    const latecomer = elector(leases, clock, 'replica-a');
    latecomer.start();
    await clock.advance(1000);
    const writesBefore = leases.writes;
    await latecomer.stop();
    expect(leases.writes).to.equal(writesBefore);
    expect(leases.stored?.spec?.holderIdentity).to.equal('replica-b');
  });

  it('names the Lease and the apiserver\'s answer when a call is refused', async () => {
    const forbidden: LeaseApi = {
      readNamespacedLease: () => Promise.reject(new ApiException(403, 'forbidden', 'leases.coordination.k8s.io "lagpilot" is forbidden', {})),
      createNamespacedLease: () => Promise.reject(new Error('not reached')),
      replaceNamespacedLease: () => Promise.reject(new Error('not reached')),
    };
    const warnings: string[] = [];
    const logger = { error: () => undefined, info: () => undefined, debug: () => undefined, warn: (_message: string, fields?: Record<string, unknown>) => { warnings.push(String(fields?.error)); }, child: () => logger };
    const refused = new LeaseElector({ identity: 'replica-a', clock, timings, leases: forbidden, namespace: 'autoscaling', leaseName: 'lagpilot', logger });
    refused.start();
    await clock.advance(0);
    expect(refused.isLeader()).to.equal(false);
    expect(warnings[0]).to.equal('reading Lease autoscaling/lagpilot: the apiserver answered 403: leases.coordination.k8s.io "lagpilot" is forbidden');
    await refused.stop().catch(() => undefined);
  });
});
