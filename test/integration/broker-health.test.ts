// The broker-health collector on kafka3 (three brokers, replication factor 3): healthy at first,
// degraded with one broker stopped, healthy again once it is back.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerHealthCollector, type BrokerHealthTarget } from '../../src/collectors/broker-health.ts';
import type { CollectionResult, Sample } from '../../src/collectors/collector.ts';
import { PlatformaticKafkaAdmin } from '../../src/kafka/platformatic-admin.ts';
import { ensureService } from '../env/environment.ts';
import { freeLoopbackPort } from '../env/ports.ts';
import { brokerNodeIds, startBroker, stopBroker, type Kafka3Details } from '../env/services/kafka3.ts';

function valueOf(result: CollectionResult, name: string, labels: Record<string, string> = {}): number | undefined {
  return result.samples.find((sample: Sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

describe('broker-health collector on kafka3', function () {
  const stoppedBroker = 3;
  let cluster: Kafka3Details;
  let admin: PlatformaticKafkaAdmin;
  let collector: BrokerHealthCollector;
  let brokerStopped = false;
  const topic = `lagpilot-it-health-${randomUUID().slice(0, 8)}`;

  before(async function () {
    this.timeout(300_000);
    cluster = await ensureService<Kafka3Details>('kafka3');
    admin = new PlatformaticKafkaAdmin({ bootstrapServers: cluster.bootstrap.split(','), clientId: 'lagpilot-broker-health-test', requestTimeoutMs: 5_000 });
    collector = new BrokerHealthCollector(admin);
    await admin.createTopics([{ name: topic, partitions: 6, replicationFactor: 3 }]);
  });

  after(async function () {
    this.timeout(180_000);
    // The cluster is shared: bring the broker back even when an assertion failed.
    if (brokerStopped) await startBroker(stoppedBroker);
    try {
      await admin.deleteTopics([topic]);
    } finally {
      await admin.close();
    }
  });

  async function collectUntil(what: string, target: BrokerHealthTarget, done: (result: CollectionResult) => boolean, timeoutMs: number): Promise<CollectionResult> {
    const giveUpAt = Date.now() + timeoutMs;
    let last: CollectionResult;
    for (;;) {
      last = await collector.collect(target, { nowMs: Date.now(), signal: AbortSignal.timeout(15_000) });
      if (done(last)) return last;
      if (Date.now() > giveUpAt) {
        const summary = last.samples.filter((sample) => sample.name.startsWith('cluster_')).map((sample) => `${sample.name}=${sample.value}`);
        throw new Error(`${what} not seen within ${timeoutMs} ms; last: ${summary.join(' ')}; errors: ${JSON.stringify(last.errors)}`);
      }
      await sleep(500);
    }
  }

  it('sees a healthy cluster, then a stopped broker and under-replicated partitions, then the recovery', async function () {
    this.timeout(240_000);
    // The cluster is shared with other suites, whose topics may be in any state (an RF-1 topic
    // goes offline with its broker): replication is judged on this suite's topic, and the
    // discovery of every topic through the log directories is checked on its own below.
    const target = { cluster: 'kafka3', topics: [topic] };
    // A new topic's logs appear on the brokers a moment after CreateTopics answers.
    const discovered = await collectUntil('the new topic in the log directories', { cluster: 'kafka3' }, (result) => (valueOf(result, 'cluster_partitions') ?? 0) >= 6, 30_000);
    expect(discovered.errors).to.deep.equal([]);
    const healthy = await collectUntil('a healthy cluster', target, (result) => valueOf(result, 'cluster_partitions_under_replicated') === 0, 60_000);
    expect(healthy.errors).to.deep.equal([]);
    expect(valueOf(healthy, 'cluster_brokers_online')).to.equal(3);
    expect(valueOf(healthy, 'cluster_partitions_offline')).to.equal(0);
    expect(valueOf(healthy, 'cluster_brokers_missing')).to.equal(0);
    expect(brokerNodeIds).to.include(valueOf(healthy, 'cluster_controller_id'));
    for (const broker of brokerNodeIds) {
      expect(valueOf(healthy, 'broker_online', { broker: String(broker) }), `broker ${broker} online`).to.equal(1);
      expect(valueOf(healthy, 'broker_partitions', { broker: String(broker) }), `replicas on broker ${broker}`).to.equal(6);
      expect(valueOf(healthy, 'broker_log_dir_used_bytes', { broker: String(broker) }), `disk used by broker ${broker}`).to.be.greaterThan(0);
    }
    const leaders = brokerNodeIds.reduce((sum, broker) => sum + (valueOf(healthy, 'broker_leaders', { broker: String(broker) }) ?? 0), 0);
    expect(leaders, 'every partition has one leader').to.equal(valueOf(healthy, 'cluster_partitions'));

    await stopBroker(stoppedBroker);
    brokerStopped = true;
    const degraded = await collectUntil(
      'one broker down with under-replicated partitions',
      target,
      (result) => valueOf(result, 'cluster_brokers_online') === 2 && (valueOf(result, 'cluster_partitions_under_replicated') ?? 0) > 0,
      60_000,
    );
    expect(degraded.errors).to.deep.equal([]);
    expect(valueOf(degraded, 'broker_online', { broker: String(stoppedBroker) })).to.equal(0);
    expect(valueOf(degraded, 'cluster_brokers_missing')).to.equal(1);
    expect(valueOf(degraded, 'broker_leaders', { broker: String(stoppedBroker) })).to.equal(0);
    expect(valueOf(degraded, 'cluster_partitions_offline'), 'RF 3 keeps every partition led').to.equal(0);
    expect(valueOf(degraded, 'cluster_partitions_under_replicated'), 'every partition of the RF-3 topic').to.equal(6);

    await startBroker(stoppedBroker);
    brokerStopped = false;
    const recovered = await collectUntil(
      'the recovery',
      target,
      (result) => valueOf(result, 'cluster_brokers_online') === 3 && valueOf(result, 'cluster_partitions_under_replicated') === 0,
      120_000,
    );
    expect(valueOf(recovered, 'broker_online', { broker: String(stoppedBroker) })).to.equal(1);
    expect(valueOf(recovered, 'cluster_brokers_missing')).to.equal(0);
  });
});

describe('broker-health collector with no cluster behind the address', function () {
  it('gives UNREACHABLE naming the address for every request it could not make, and no samples', async function () {
    this.timeout(60_000);
    const port = await freeLoopbackPort();
    const admin = new PlatformaticKafkaAdmin({ bootstrapServers: [`127.0.0.1:${port}`], retries: 0, requestTimeoutMs: 2_000 });
    try {
      const result = await new BrokerHealthCollector(admin).collect({ cluster: 'gone' }, { nowMs: Date.now(), signal: AbortSignal.timeout(30_000) });
      expect(result.samples).to.deep.equal([]);
      expect(result.partial).to.be.true;
      expect(result.errors.length).to.be.at.least(1);
      for (const error of result.errors) {
        expect(error.code).to.equal('UNREACHABLE');
        expect(error.message).to.contain('cluster gone').and.contain(`127.0.0.1:${port}`);
      }
    } finally {
      await admin.close();
    }
  });
});
