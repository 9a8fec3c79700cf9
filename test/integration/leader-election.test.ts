// Leader election against the real kube-apiserver (a coordination.k8s.io Lease) and the real
// Redis (a lock) of the local environment: one of two electors leads; a graceful stop hands the
// lease over at the follower's next attempt; and with two real replica processes, SIGKILL of the
// leader lets the other lead within the lease duration plus one tick, while the journal shows
// exactly one writer per term. The Lease electors run as a ServiceAccount holding only the Role of
// deploy/kubernetes/base/, so the shipped RBAC is proven to be enough for leader election.
// @kubernetes/client-node's models are plain data classes; object literals are how its own
// examples build request bodies.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment */
import { expect } from 'chai';
import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureService } from '../env/environment.ts';
import type { KubeDetails } from '../env/services/kube.ts';
import type { RedisDetails } from '../env/services/redis.ts';
import { systemClock } from '../../src/engine/clock.ts';
import type { LeaderElector, LeadershipChange } from '../../src/engine/leader-election.ts';
import { LeaseElector } from '../../src/engine/lease-elector.ts';
import { RedisElector } from '../../src/engine/redis-elector.ts';
import { RedisStateStore } from '../../src/state/redis-store.ts';
import { adminKubeConfig, bindShippedServiceAccount, httpStatusOf, shippedServiceAccount, uniqueName } from './kube-helpers.ts';
import type { ReplicaEvent, ReplicaSettings } from './leader-election-replica.ts';

const timings = { leaseDurationMillis: 3000, renewDeadlineMillis: 2000, retryPeriodMillis: 500 };
const tickMillis = 1000;
const replicaScript = fileURLToPath(new URL('./leader-election-replica.ts', import.meta.url));
const keyPrefix = `lagpilot-test:leader:${process.pid}:${Date.now()}:`;

async function waitFor<T>(what: string, timeoutMillis: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A replica process and what it reported so far. */
class Replica {
  readonly events: ReplicaEvent[] = [];
  readonly stderr: string[] = [];
  readonly process: ChildProcess;
  readonly exited: Promise<number | string>;

  constructor(settings: ReplicaSettings) {
    this.process = spawn(process.execPath, [replicaScript], {
      env: { ...process.env, LEADER_REPLICA: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = this.process.stdout;
    const stderr = this.process.stderr;
    if (stdout === null || stderr === null) throw new Error('the replica process has no output pipes');
    createInterface({ input: stdout }).on('line', (line) => { this.events.push(JSON.parse(line) as ReplicaEvent); });
    createInterface({ input: stderr }).on('line', (line) => { this.stderr.push(line); });
    this.exited = new Promise((resolveExit) => {
      this.process.once('exit', (code, signal) => { resolveExit(code ?? signal ?? 'unknown'); });
    });
  }

  first(event: ReplicaEvent['event']): ReplicaEvent | undefined {
    return this.events.find((candidate) => candidate.event === event);
  }

  count(event: ReplicaEvent['event']): number {
    return this.events.filter((candidate) => candidate.event === event).length;
  }

  describe(): string {
    return `events: ${JSON.stringify(this.events)}; stderr: ${this.stderr.join('\n')}`;
  }
}

/** A TCP relay on loopback that the test can cut, as a network partition between one replica and its store. */
class CuttableLink {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async open(targetHost: string, targetPort: number): Promise<CuttableLink> {
    const server = createServer();
    const link = new CuttableLink(server);
    server.on('connection', (client) => {
      const upstream = connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        link.#sockets.add(socket);
        socket.on('error', () => { socket.destroy(); });
        socket.on('close', () => { link.#sockets.delete(socket); client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolveListen) => { server.listen(0, '127.0.0.1', resolveListen); });
    return link;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('the link is not listening');
    return address.port;
  }

  /** Drops every open connection and refuses new ones. */
  async cut(): Promise<void> {
    const closed = new Promise<void>((resolveClose) => { this.#server.close(() => { resolveClose(); }); });
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

interface Backend {
  name: 'kubernetes' | 'redis';
  elector(identity: string, electionName: string): LeaderElector;
  /** An elector whose every request to the store goes through `link`. */
  electorThrough(link: CuttableLink, identity: string, electionName: string): LeaderElector;
  storeAddress(): { host: string; port: number };
  replicaSettings(): Pick<ReplicaSettings, 'backend' | 'kube' | 'namespace'>;
}

describe('leader election on the local kube-apiserver and Redis', function () {
  let kube: KubeDetails;
  let redisDetails: RedisDetails;
  let admin: KubeConfig;
  let serviceAccountToken: string;
  let asServiceAccount: KubeConfig;
  let redis: Redis;
  // Namespaces never finish deleting without a controller-manager: a fresh one per run.
  const namespace = uniqueName('lagpilot-leader-test');
  let namespaceCreated = false;
  const replicas: Replica[] = [];
  const relayedClients: Redis[] = [];

  before(async function () {
    this.timeout(0);
    kube = await ensureService<KubeDetails>('kube');
    redisDetails = await ensureService<RedisDetails>('redis');
    admin = adminKubeConfig(kube);
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    namespaceCreated = true;
    ({ token: serviceAccountToken, kubeConfig: asServiceAccount } = await bindShippedServiceAccount(kube, admin, namespace, {
      what: 'Leases',
      // Until the binding is in force the read is refused (403); then the absent Lease is 404.
      check: async (client) => (await httpStatusOf(client.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'absent', namespace }))) === 404,
    }));
    redis = new Redis(redisDetails.url, { maxRetriesPerRequest: 1 });
  });

  afterEach(async function () {
    // Replicas belong to this suite alone; none may outlive a failed test.
    for (const replica of replicas.splice(0)) {
      if (replica.process.exitCode === null && replica.process.signalCode === null) replica.process.kill('SIGKILL');
      await replica.exited;
    }
  });

  after(async function () {
    for (const client of relayedClients) client.disconnect();
    if (namespaceCreated) await admin.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
    // The Redis is shared with other suites: remove this run's keys, leave the server running.
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const backends: Backend[] = [
    {
      name: 'kubernetes',
      elector: (identity, electionName) => new LeaseElector({ identity, clock: systemClock, timings, kubeConfig: asServiceAccount, namespace, leaseName: electionName }),
      electorThrough: (link, identity, electionName) => {
        const kubeConfig = new KubeConfig();
        // The serving certificate names 127.0.0.1, which the relay's address is too.
        kubeConfig.loadFromOptions({
          clusters: [{ name: 'relayed', server: `https://127.0.0.1:${link.port}`, caFile: kube.caFile, skipTLSVerify: false }],
          users: [{ name: shippedServiceAccount, token: serviceAccountToken }],
          contexts: [{ name: 'relayed', cluster: 'relayed', user: shippedServiceAccount }],
          currentContext: 'relayed',
        });
        return new LeaseElector({ identity, clock: systemClock, timings, kubeConfig, namespace, leaseName: electionName });
      },
      storeAddress: () => ({ host: '127.0.0.1', port: Number(new URL(kube.serverUrl).port) }),
      replicaSettings: () => ({ backend: 'kubernetes', kube: { serverUrl: kube.serverUrl, caFile: kube.caFile, token: serviceAccountToken }, namespace }),
    },
    {
      name: 'redis',
      elector: (identity, electionName) => new RedisElector({ identity, clock: systemClock, timings, client: redis, electionName, keyPrefix }),
      electorThrough: (link, identity, electionName) => {
        // As the daemon's client: commands fail at once while disconnected instead of queueing.
        const client = new Redis({ host: '127.0.0.1', port: link.port, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
        client.on('error', () => undefined);
        relayedClients.push(client);
        return new RedisElector({ identity, clock: systemClock, timings, client, electionName, keyPrefix });
      },
      storeAddress: () => ({ host: '127.0.0.1', port: redisDetails.port }),
      replicaSettings: () => ({ backend: 'redis' }),
    },
  ];

  it('a Redis lock taken over by another replica is neither renewed nor released by the one that lost it', async function () {
    const electionName = uniqueName('compare');
    const lockKey = `${keyPrefix}leader:{${electionName}}`;
    const loser = backends[1]?.elector('replica-a', electionName);
    if (loser === undefined) throw new Error('the redis backend is missing');
    const changes: LeadershipChange[] = [];
    loser.onChange((change) => { changes.push(change); });
    try {
      loser.start();
      await waitFor('replica-a to lead', 5000, () => (loser.isLeader() ? true : undefined));
      expect(await redis.get(lockKey)).to.equal('replica-a');
      // As if replica-a's lock had lapsed during a pause and replica-b had taken it.
      await redis.set(lockKey, 'replica-b', 'PX', 60_000);
      await waitFor('replica-a to notice', 2000, () => (loser.isLeader() ? undefined : true));
      expect(changes.at(-1)).to.deep.include({ leading: false, reason: 'the lease is held by replica-b' });
      await sleep(2 * timings.retryPeriodMillis);
      expect(await redis.pttl(lockKey), 'the lock keeps the other holder\'s expiry').to.be.above(55_000);
    } finally {
      await loser.stop();
    }
    expect(await redis.get(lockKey), 'stop() left the other holder\'s lock alone').to.equal('replica-b');
  });

  for (const backend of backends) {
    describe(`with a ${backend.name === 'kubernetes' ? 'Kubernetes Lease' : 'Redis lock'}`, function () {
      it('lets one of two electors lead, and hands over at the next attempt when it stops', async function () {
        const electionName = uniqueName('handover');
        const first = backend.elector('replica-a', electionName);
        const second = backend.elector('replica-b', electionName);
        try {
          first.start();
          await waitFor('replica-a to lead', 5000, () => (first.isLeader() ? true : undefined));
          second.start();
          // Several attempts of the follower, and renewals of the leader, go by.
          await sleep(4 * timings.retryPeriodMillis);
          expect(first.isLeader(), 'replica-a keeps leading').to.equal(true);
          expect(second.isLeader(), 'replica-b follows').to.equal(false);
          expect(first.term).to.equal(1);

          const stoppedAt = Date.now();
          await first.stop();
          expect(first.isLeader()).to.equal(false);
          await waitFor('replica-b to lead after the release', 5000, () => (second.isLeader() ? true : undefined));
          const handoverMillis = Date.now() - stoppedAt;
          // Without the release it would wait out the whole 3 s lease.
          expect(handoverMillis, 'handover after a graceful stop (ms)').to.be.below(timings.retryPeriodMillis + 400);
          expect(second.term).to.equal(2);
          console.log(`      ${backend.name}: handover after a graceful stop took ${handoverMillis} ms`);
        } finally {
          await first.stop();
          await second.stop();
        }
      });

      it('a leader cut off from the store stops acting before the other takes over', async function () {
        const electionName = uniqueName('partition');
        const { host, port } = backend.storeAddress();
        const link = await CuttableLink.open(host, port);
        const cutOff = backend.electorThrough(link, 'replica-a', electionName);
        const other = backend.elector('replica-b', electionName);
        const changes: (LeadershipChange & { at: number })[] = [];
        for (const elector of [cutOff, other]) elector.onChange((change) => { changes.push({ ...change, at: Date.now() }); });
        let overlaps = 0;
        const watcher = setInterval(() => { if (cutOff.isLeader() && other.isLeader()) overlaps += 1; }, 5);
        try {
          cutOff.start();
          await waitFor('replica-a to lead', 5000, () => (cutOff.isLeader() ? true : undefined));
          other.start();
          await sleep(2 * timings.retryPeriodMillis);
          const cutAt = Date.now();
          await link.cut();
          await waitFor('replica-b to lead', 10_000, () => (other.isLeader() ? true : undefined));
          const dropped = changes.find((change) => change.identity === 'replica-a' && !change.leading);
          const taken = changes.find((change) => change.identity === 'replica-b' && change.leading);
          if (dropped === undefined || taken === undefined) throw new Error(`expected replica-a to drop and replica-b to take over: ${JSON.stringify(changes)}`);
          console.log(`      ${backend.name}: cut at 0 ms; replica-a stopped acting at ${dropped.at - cutAt} ms (${dropped.reason}); replica-b leads from ${taken.at - cutAt} ms`);
          expect(dropped.at - cutAt, 'replica-a stops acting within the renew deadline (ms)').to.be.at.most(timings.renewDeadlineMillis + 100);
          expect(taken.at, 'replica-b leads only after replica-a stopped').to.be.above(dropped.at);
          expect(taken.term).to.equal(2);
          expect(overlaps, 'samples where both led').to.equal(0);
        } finally {
          clearInterval(watcher);
          await other.stop();
          // Its store is out of reach: the release cannot get through, which is the point.
          await cutOff.stop().catch(() => undefined);
        }
      });

      it('after SIGKILL of the leader process the other leads within lease + one tick, one writer per term', async function () {
        this.timeout(60_000);
        const electionName = uniqueName('sigkill');
        const journalTarget = uniqueName('journal');
        const settings = (identity: string): ReplicaSettings => ({
          identity,
          ...backend.replicaSettings(),
          electionName,
          redisUrl: redisDetails.url,
          keyPrefix,
          journalTarget,
          tickMillis,
          timings,
        });
        const first = new Replica(settings('replica-a'));
        replicas.push(first);
        await waitFor(`replica-a to lead (${first.describe()})`, 15_000, () => first.first('leading'));
        const second = new Replica(settings('replica-b'));
        replicas.push(second);
        await waitFor(`replica-b to start (${second.describe()})`, 15_000, () => second.first('started'));
        await waitFor('replica-a to act three times', 10_000, () => (first.count('acted') >= 3 ? true : undefined));
        expect(second.first('leading'), 'replica-b must not lead while replica-a renews').to.equal(undefined);

        const killedAt = Date.now();
        first.process.kill('SIGKILL');
        expect(await first.exited).to.equal('SIGKILL');
        const takeover = await waitFor(`replica-b to lead (${second.describe()})`, 10_000, () => second.first('leading'));
        const firstAct = await waitFor('replica-b to act', 5000, () => second.first('acted'));
        const takeoverMillis = takeover.at - killedAt;
        const firstActMillis = firstAct.at - killedAt;
        console.log(`      ${backend.name}: SIGKILL -> new leader in ${takeoverMillis} ms, its first action after ${firstActMillis} ms (lease ${timings.leaseDurationMillis} ms, tick ${tickMillis} ms)`);
        expect(firstActMillis, 'SIGKILL to the first action of the new leader (ms)').to.be.at.most(timings.leaseDurationMillis + tickMillis);

        await waitFor('replica-b to act twice more', 10_000, () => (second.count('acted') >= 3 ? true : undefined));
        second.process.kill('SIGTERM');
        expect(await second.exited, `replica-b's exit after SIGTERM (${second.describe()})`).to.equal(0);

        const store = new RedisStateStore(redis, { keyPrefix });
        const journal = (await store.recentDecisions(journalTarget, 1000)).reverse();
        const writes = journal.map((decision) => {
          const evidence = decision.reasons[0]?.evidence ?? {};
          return { identity: String(evidence.identity), term: Number(evidence.term), message: decision.reasons[0]?.message };
        });
        expect(writes.length).to.equal(first.count('acted') + second.count('acted'));
        const writersByTerm = new Map<number, Set<string>>();
        writes.forEach((write, index) => {
          expect(write.message).to.equal(`I acted, term ${write.term}`);
          const previous = writes[index - 1];
          if (previous !== undefined) expect(write.term, `journal entry ${index}: terms never go back`).to.be.at.least(previous.term);
          const writers = writersByTerm.get(write.term) ?? new Set<string>();
          writers.add(write.identity);
          writersByTerm.set(write.term, writers);
        });
        expect([...writersByTerm.entries()].map(([term, writers]) => [term, [...writers]])).to.deep.equal([
          [takeover.term - 1, ['replica-a']],
          [takeover.term, ['replica-b']],
        ]);
      });
    });
  }
});
