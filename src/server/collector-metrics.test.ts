import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { Sample } from '../collectors/collector.ts';
import { LastCollections, type TargetCollection } from '../engine/collection.ts';
import { registerCollectorMetrics } from './collector-metrics.ts';

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

describe('collector metrics on /metrics', () => {
  it('exports group lag, status one-hot, rates and broker health from the last collections', async () => {
    const registry = new Registry();
    const collections = new LastCollections();
    registerCollectorMetrics({ registry, collections, partitionSeries: true });
    collections.record(ordersCollection());
    const text = await registry.metrics();
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
    registerCollectorMetrics({ registry, collections, partitionSeries: false });
    collections.record(ordersCollection());
    const text = await registry.metrics();
    expect(text).to.contain('lagpilot_consumergroup_lag_messages{');
    expect(text).to.not.contain('partition_lag');
    expect(text).to.not.contain('partition="');
  });

  it('drops series a newer collection no longer has, and says the target is partial', async () => {
    const registry = new Registry();
    const collections = new LastCollections();
    registerCollectorMetrics({ registry, collections, partitionSeries: true });
    collections.record(ordersCollection());
    await registry.metrics();
    collections.record({ ...ordersCollection(true), samples: [] });
    const text = await registry.metrics();
    expect(text).to.not.contain('lagpilot_consumergroup_lag_messages{');
    expect(text).to.contain('lagpilot_target_collection_partial{target="orders"} 1');
    expect(text).to.contain('lagpilot_target_collection_errors{target="orders",collector="prometheus",code="UNREACHABLE"} 1');
  });
});
