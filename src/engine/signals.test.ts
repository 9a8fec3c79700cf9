import { expect } from 'chai';
import type { Sample } from '../collectors/collector.ts';
import type { TargetCollection } from './collection.ts';
import { emptySignalMemory, produceRateHistoryLength, signalsFromCollection } from './signals.ts';

const now = 1_700_000_000_000;

function sample(name: string, value: number, labels: Record<string, string> = {}, timestampMs = now): Sample {
  return { name, value, unit: 'count', labels, timestampMs, source: 'test' };
}

function collection(samples: Sample[], partial = false): TargetCollection {
  return { target: 'orders', samples, errors: partial ? [{ code: 'UNREACHABLE', source: 'kafka-lag', message: 'broker 1 refused the connection' }] : [], partial, collectedAtMs: now, durationSeconds: 0.1 };
}

describe('signalsFromCollection', () => {
  it('reads lag, members, rates summed over topics and the partition count', () => {
    const { signals, failure } = signalsFromCollection({
      collection: collection([
        sample('consumergroup_lag_messages', 1200, {}, now - 2_000),
        sample('consumergroup_lag_seconds', 14),
        sample('consumergroup_members', 3),
        sample('topic_produce_rate', 40, { topic: 'a' }),
        sample('topic_produce_rate', 60, { topic: 'b' }),
        sample('consumergroup_consume_rate', 90),
        sample('partition_log_end_offset', 5, { topic: 'a', partition: '0' }),
        sample('partition_log_end_offset', 5, { topic: 'a', partition: '1' }),
        sample('partition_log_end_offset', 5, { topic: 'b', partition: '0' }),
      ]),
      currentReplicas: 4,
      memory: emptySignalMemory(),
    });
    expect(failure).to.equal(undefined);
    expect(signals).to.deep.include({
      time: now / 1000,
      currentReplicas: 4,
      readyReplicas: 3,
      partitions: 3,
      backlogMessages: 1200,
      lagSeconds: 14,
      produceRate: 100,
      consumeRate: 90,
      dataAgeSeconds: 2,
      partialData: false,
      consecutiveFailedCollections: 0,
    });
  });

  it('counts collections without the group lag as failed, in a row, and keeps the last partition count', () => {
    let memory = emptySignalMemory();
    memory = signalsFromCollection({ collection: collection([sample('consumergroup_lag_messages', 0), sample('partition_log_end_offset', 1, { topic: 'a', partition: '0' })]), currentReplicas: 1, memory }).memory;
    const once = signalsFromCollection({ collection: collection([], true), currentReplicas: 1, memory });
    const twice = signalsFromCollection({ collection: collection([], true), currentReplicas: 1, memory: once.memory });
    expect(twice.signals.consecutiveFailedCollections).to.equal(2);
    expect(twice.signals.partitions).to.equal(1);
    expect(twice.signals.dataAgeSeconds).to.equal(Number.POSITIVE_INFINITY);
    expect(twice.signals.partialData).to.equal(true);
    expect(twice.failure).to.contain('kafka-lag UNREACHABLE: broker 1 refused the connection');
  });

  it('keeps a bounded history of produce rates, oldest first', () => {
    let memory = emptySignalMemory();
    for (let index = 0; index < produceRateHistoryLength + 3; index += 1) {
      const derived = signalsFromCollection({ collection: collection([sample('consumergroup_lag_messages', 0), sample('topic_produce_rate', index, {}, now + index * 1000)]), currentReplicas: 1, memory });
      memory = derived.memory;
    }
    expect(memory.produceRates.map((entry) => entry.rate)).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
