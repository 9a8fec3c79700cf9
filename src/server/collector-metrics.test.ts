import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { Sample } from '../collectors/collector.ts';
import { LastCollections, type TargetCollection } from '../engine/collection.ts';
import { exportedSampleNames, registerCollectorMetrics, type CollectorExposition } from './collector-metrics.ts';

const nowMs = Date.UTC(2026, 10, 23, 12, 0, 0);

function sample(name: string, value: number, labels: Record<string, string>): Sample {
  return { name, value, unit: 'count', labels, timestampMs: nowMs, source: 'test' };
}

const group = { target: 'orders', cluster: 'main', group: 'orders-consumer' };

function ordersCollection(partial = false): TargetCollection {
  return {
    target: 'orders',
    collectedAtMs: nowMs,
    durationSeconds: 0.1,
    partial,
    errors: partial ? [{ code: 'UNREACHABLE', source: 'prometheus', message: 'down' }] : [],
    samples: [
      sample('consumergroup_lag_messages', 120, group),
      sample('consumergroup_lag_seconds', 4.5, group),
      sample('consumergroup_status', 1, { ...group, status: 'WARN' }),
      sample('consumergroup_partition_lag_messages', 100, { ...group, topic: 'orders', partition: '0' }),
      sample('consumergroup_partition_lag_messages', 20, { ...group, topic: 'orders', partition: '1' }),
      sample('topic_produce_rate', 40, { cluster: 'main', topic: 'orders' }),
      sample('consumergroup_consume_rate', 35, { cluster: 'main', group: 'orders-consumer' }),
      sample('cluster_brokers_online', 2, { cluster: 'main' }),
      sample('broker_online', 0, { cluster: 'main', broker: '3' }),
      sample('broker_log_dir_used_bytes', 1e9, { cluster: 'main', broker: '1', log_dir: '/data' }),
      sample('cpu', 0.5, { target: 'orders', pod: 'a' }),
    ],
  };
}

/** What /metrics serves: the registry's text, then the sample-fed families. */
async function scrape(registry: Registry, exposition: CollectorExposition): Promise<string> {
  return `${await registry.metrics()}\n${exposition.text()}`;
}

describe('collector metrics on /metrics', () => {
  it('exports group lag, status one-hot, rates and broker health from the last collections', async () => {
    const registry = new Registry();
    const collections = new LastCollections();
    const exposition = registerCollectorMetrics({ registry, collections, partitionSeries: true });
    collections.record(ordersCollection());
    const text = await scrape(registry, exposition);
    expect(text).to.contain('lagpilot_consumergroup_lag_messages{target="orders",cluster="main",group="orders-consumer"} 120');
    expect(text).to.contain('lagpilot_consumergroup_lag_seconds{target="orders",cluster="main",group="orders-consumer"} 4.5');
    expect(text).to.contain('lagpilot_consumergroup_partition_lag_messages{target="orders",cluster="main",group="orders-consumer",topic="orders",partition="1"} 20');
    expect(text).to.contain('lagpilot_consumergroup_status{target="orders",cluster="main",group="orders-consumer",status="WARN"} 1');
    expect(text).to.contain('lagpilot_consumergroup_status{target="orders",cluster="main",group="orders-consumer",status="OK"} 0');
    expect(text).to.contain('lagpilot_topic_produce_rate_messages_per_second{cluster="main",topic="orders"} 40');
    expect(text).to.contain('lagpilot_consumergroup_consume_rate_messages_per_second{cluster="main",group="orders-consumer"} 35');
    expect(text).to.contain('lagpilot_kafka_brokers_online{cluster="main"} 2');
    expect(text).to.contain('lagpilot_kafka_broker_online{cluster="main",broker="3"} 0');
    expect(text).to.contain('lagpilot_kafka_log_dir_used_bytes{cluster="main",broker="1",log_dir="/data"} 1000000000');
    expect(text).to.contain('lagpilot_target_collection_partial{target="orders"} 0');
    expect(text).to.contain(`lagpilot_target_collection_timestamp_seconds{target="orders"} ${nowMs / 1000}`);
    expect(text, 'Prometheus query results are not re-exported').to.not.contain('pod="a"');
  });

  it('leaves out per-partition series when they are switched off', async () => {
    const registry = new Registry();
    const collections = new LastCollections();
    const exposition = registerCollectorMetrics({ registry, collections, partitionSeries: false });
    collections.record(ordersCollection());
    const text = await scrape(registry, exposition);
    expect(text).to.contain('lagpilot_consumergroup_lag_messages{');
    expect(text).to.not.contain('partition_lag');
    expect(text).to.not.contain('partition="');
  });

  it('drops series a newer collection no longer has, and says the target is partial', async () => {
    const registry = new Registry();
    const collections = new LastCollections();
    const exposition = registerCollectorMetrics({ registry, collections, partitionSeries: true });
    collections.record(ordersCollection());
    await scrape(registry, exposition);
    collections.record({ ...ordersCollection(true), samples: [] });
    const text = await scrape(registry, exposition);
    expect(text).to.not.contain('lagpilot_consumergroup_lag_messages{');
    expect(text).to.contain('lagpilot_target_collection_partial{target="orders"} 1');
    expect(text).to.contain('lagpilot_target_collection_errors{target="orders",collector="prometheus",code="UNREACHABLE"} 1');
  });

  it('writes each family once with its HELP and TYPE, escapes label values, and writes a series several targets share once', () => {
    const registry = new Registry();
    const collections = new LastCollections();
    const exposition = registerCollectorMetrics({ registry, collections, partitionSeries: false });
    const odd = { target: 'odd', cluster: 'main', group: 'we "quote"\\ and\nbreak' };
    const base = ordersCollection();
    collections.record(base);
    collections.record({
      ...base,
      target: 'odd',
      samples: [
        sample('consumergroup_lag_messages', Number.NaN, odd),
        sample('consumergroup_lag_seconds', Number.POSITIVE_INFINITY, odd),
        // The topic's produce rate seen by a second target a moment later: one series, the later value.
        sample('topic_produce_rate', 41, { cluster: 'main', topic: 'orders' }),
      ],
    });
    const text = exposition.text();
    expect(text.match(/^# TYPE lagpilot_consumergroup_lag_messages gauge$/gm)).to.have.length(1);
    expect(text.match(/^# HELP lagpilot_consumergroup_status /gm)).to.have.length(1);
    expect(text).to.contain('lagpilot_consumergroup_lag_messages{target="odd",cluster="main",group="we \\"quote\\"\\\\ and\\nbreak"} NaN');
    expect(text).to.contain('lagpilot_consumergroup_lag_seconds{target="odd",cluster="main",group="we \\"quote\\"\\\\ and\\nbreak"} +Inf');
    expect(text.match(/^lagpilot_topic_produce_rate_messages_per_second\{/gm)).to.deep.equal(['lagpilot_topic_produce_rate_messages_per_second{']);
    expect(text).to.contain('lagpilot_topic_produce_rate_messages_per_second{cluster="main",topic="orders"} 41');
    expect(text.endsWith('\n')).to.equal(true);
    expect(registry.getSingleMetric('lagpilot_consumergroup_lag_messages'), 'not also a registry gauge (a family twice is an invalid scrape)').to.equal(undefined);
  });

  it('names the samples it exports, the per-partition ones only with partition series', () => {
    expect([...exportedSampleNames(false)]).to.include.members(['consumergroup_lag_messages', 'consumergroup_status', 'topic_produce_rate', 'broker_online']);
    const perPartition = ['consumergroup_partition_lag_messages', 'partition_lag_messages', 'consumergroup_partition_lag_seconds', 'partition_lag_seconds', 'consumergroup_partition_committed_offset', 'partition_log_end_offset'];
    expect(perPartition.filter((name) => exportedSampleNames(false).has(name))).to.deep.equal([]);
    expect([...exportedSampleNames(true)]).to.include.members(['partition_log_end_offset', 'consumergroup_partition_lag_messages', 'partition_lag_seconds']);
    expect([...exportedSampleNames(true)], 'Prometheus query results are not exported').to.not.include('cpu');
  });
});
