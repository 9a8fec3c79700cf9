import { expect } from 'chai';
import { ManualClock } from './clock.ts';
import {
  CampaigningElector,
  SoleReplicaElector,
  validateTimings,
  type CampaignOutcome,
  type LeadershipChange,
} from './leader-election.ts';

/** A lease kept in memory on the test's clock, with switches for an unreachable or hanging store. */
class MemoryLease {
  holder = '';
  expiresAt = 0;
  term = 0;
  /** Replicas whose requests fail as if the store were unreachable from them. */
  readonly unreachableFrom = new Set<string>();
  hanging = false;
  releases = 0;
  readonly #clock: ManualClock;

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  async campaign(identity: string, leaseMillis: number): Promise<CampaignOutcome> {
    if (this.hanging) return new Promise<CampaignOutcome>(() => undefined);
    if (this.unreachableFrom.has(identity)) throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    await Promise.resolve();
    const now = this.#clock.now();
    if (this.holder !== '' && this.holder !== identity && now < this.expiresAt) return { leading: false, holder: this.holder };
    if (this.holder !== identity || now >= this.expiresAt) this.term += 1;
    this.holder = identity;
    this.expiresAt = now + leaseMillis;
    return { leading: true, term: this.term };
  }

  release(identity: string): Promise<void> {
    if (this.holder === identity) {
      this.holder = '';
      this.releases += 1;
    }
    return Promise.resolve();
  }
}

class MemoryElector extends CampaigningElector {
  readonly #lease: MemoryLease;

  constructor(lease: MemoryLease, clock: ManualClock, identity: string) {
    super({ identity, clock, timings: { leaseDurationMillis: 3000, renewDeadlineMillis: 2000, retryPeriodMillis: 500 } });
    this.#lease = lease;
  }

  protected campaign(): Promise<CampaignOutcome> {
    return this.#lease.campaign(this.identity, this.timings.leaseDurationMillis);
  }

  protected release(): Promise<void> {
    return this.#lease.release(this.identity);
  }
}

function recordChanges(elector: CampaigningElector | SoleReplicaElector): LeadershipChange[] {
  const changes: LeadershipChange[] = [];
  elector.onChange((change) => { changes.push(change); });
  return changes;
}

describe('leader election contract', () => {
  let clock: ManualClock;
  let lease: MemoryLease;

  beforeEach(() => {
    clock = new ManualClock(1_000_000);
    lease = new MemoryLease(clock);
  });

  it('leads once started, with term 1, and tells its listeners', async () => {
    const elector = new MemoryElector(lease, clock, 'replica-a');
    const changes = recordChanges(elector);
    expect(elector.isLeader()).to.equal(false);
    elector.start();
    await clock.advance(0);
    expect(elector.isLeader()).to.equal(true);
    expect(elector.term).to.equal(1);
    expect(changes).to.deep.equal([{ leading: true, identity: 'replica-a', term: 1, reason: 'acquired the lease' }]);
    await clock.advance(10_000);
    expect(elector.isLeader()).to.equal(true);
    expect(changes).to.have.length(1);
    await elector.stop();
  });

  it('keeps a second replica following while the leader renews', async () => {
    const leader = new MemoryElector(lease, clock, 'replica-a');
    const follower = new MemoryElector(lease, clock, 'replica-b');
    leader.start();
    await clock.advance(0);
    follower.start();
    await clock.advance(30_000);
    expect(leader.isLeader()).to.equal(true);
    expect(follower.isLeader()).to.equal(false);
    expect(follower.term).to.equal(0);
    await leader.stop();
    await follower.stop();
  });

  it('stops acting at the renew deadline while a renewal hangs, before the lease can lapse for others', async () => {
    const leader = new MemoryElector(lease, clock, 'replica-a');
    const changes = recordChanges(leader);
    leader.start();
    await clock.advance(0);
    lease.hanging = true;
    await clock.advance(1999);
    expect(leader.isLeader()).to.equal(true);
    await clock.advance(1);
    // 2 s after the last renewal was sent; the lease itself runs 3 s.
    expect(leader.isLeader()).to.equal(false);
    expect(clock.now()).to.be.below(lease.expiresAt);
    expect(changes.map((change) => change.leading)).to.deep.equal([true, false]);
    expect(changes[1]?.reason).to.equal('no renewal within the renew deadline of 2000 ms');
    // The hung attempt is given up at its own deadline; the next one gets the lease back.
    lease.hanging = false;
    await clock.advance(1000);
    expect(leader.isLeader()).to.equal(true);
    expect(leader.term).to.equal(2);
    await leader.stop();
    expect(clock.pendingTimers).to.equal(0);
  });

  it('drops leadership when renewals fail past the renew deadline, and the successor gets a new term', async () => {
    const leader = new MemoryElector(lease, clock, 'replica-a');
    const follower = new MemoryElector(lease, clock, 'replica-b');
    const leaderChanges = recordChanges(leader);
    leader.start();
    await clock.advance(0);
    follower.start();
    lease.unreachableFrom.add('replica-a');
    await clock.advance(1500);
    expect(leader.isLeader()).to.equal(true);
    await clock.advance(500);
    expect(leader.isLeader()).to.equal(false);
    expect(leaderChanges.at(-1)?.leading).to.equal(false);
    // The lease, renewed last at t=0, lapses at 3 s; the follower's next attempt after that wins.
    await clock.advance(500);
    expect(follower.isLeader()).to.equal(false);
    await clock.advance(1000);
    expect(follower.isLeader()).to.equal(true);
    expect(follower.term).to.equal(2);
    expect(leader.isLeader()).to.equal(false);
    await leader.stop();
    await follower.stop();
  });

  it('releases the lease on stop, so a follower takes over at its next attempt', async () => {
    const leader = new MemoryElector(lease, clock, 'replica-a');
    const follower = new MemoryElector(lease, clock, 'replica-b');
    const changes = recordChanges(leader);
    leader.start();
    await clock.advance(0);
    follower.start();
    await clock.advance(5000);
    await leader.stop();
    expect(leader.isLeader()).to.equal(false);
    expect(lease.releases).to.equal(1);
    expect(changes.at(-1)).to.deep.equal({ leading: false, identity: 'replica-a', term: 1, reason: 'stopped; lease released' });
    await clock.advance(500);
    expect(follower.isLeader()).to.equal(true);
    expect(follower.term).to.equal(2);
    await follower.stop();
  });

  it('leaves no timer behind once stopped', async () => {
    const elector = new MemoryElector(lease, clock, 'replica-a');
    elector.start();
    await clock.advance(0);
    await elector.stop();
    expect(clock.pendingTimers).to.equal(0);
  });

  it('refuses timings that would let a leader act after its lease lapsed', () => {
    expect(() => { validateTimings({ leaseDurationMillis: 3000, renewDeadlineMillis: 3000, retryPeriodMillis: 500 }); })
      .to.throw('the renew deadline (3000 ms) must be shorter than the lease duration (3000 ms)');
    expect(() => { validateTimings({ leaseDurationMillis: 3000, renewDeadlineMillis: 2000, retryPeriodMillis: 2000 }); })
      .to.throw('the retry period (2000 ms) must be shorter than the renew deadline (2000 ms)');
    expect(() => { validateTimings({ leaseDurationMillis: 0, renewDeadlineMillis: 2000, retryPeriodMillis: 500 }); })
      .to.throw('leaseDurationMillis must be a positive number of milliseconds, got 0');
  });

  it('a sole replica leads from start to stop', async () => {
    const elector = new SoleReplicaElector('only');
    const changes = recordChanges(elector);
    expect(elector.isLeader()).to.equal(false);
    elector.start();
    expect(elector.isLeader()).to.equal(true);
    await elector.stop();
    expect(elector.isLeader()).to.equal(false);
    expect(changes.map((change) => change.leading)).to.deep.equal([true, false]);
  });
});
