import { expect } from 'chai';
import { readDaemonMetrics, sampleValue } from './daemon-view.ts';

const metrics = [
  '# HELP lagpilot_consumergroup_lag_messages Retained messages not yet consumed by the group, summed over its partitions.',
  '# TYPE lagpilot_consumergroup_lag_messages gauge',
  'lagpilot_consumergroup_lag_messages{target="other",cluster="local",group="g-other"} 99',
  'lagpilot_consumergroup_lag_messages{target="demo",cluster="local",group="g-demo"} 1520',
  'lagpilot_consumergroup_lag_seconds{target="demo",cluster="local",group="g-demo"} 4.25',
  'lagpilot_current_replicas{target="demo"} 6',
  'lagpilot_desired_replicas{target="demo"} 8',
  'lagpilot_up 1',
].join('\n');

describe('demo: reading the daemon\'s /metrics', () => {
  it('finds a sample by a subset of its labels, in any order', () => {
    expect(sampleValue(metrics, 'lagpilot_consumergroup_lag_messages', { group: 'g-demo', target: 'demo' })).to.equal(1520);
    expect(sampleValue(metrics, 'lagpilot_consumergroup_lag_messages', { target: 'other' })).to.equal(99);
    expect(sampleValue(metrics, 'lagpilot_up', {})).to.equal(1);
    expect(sampleValue(metrics, 'lagpilot_consumergroup_lag_messages', { target: 'missing' })).to.equal(undefined);
    expect(sampleValue(metrics, 'lagpilot_consumergroup_lag', { target: 'demo' }), 'a prefix of another metric\'s name').to.equal(undefined);
  });

  it('reads lag, current and desired workers of the demo target', () => {
    expect(readDaemonMetrics(metrics, 'demo', 'g-demo')).to.deep.equal({ lagMessages: 1520, lagSeconds: 4.25, currentWorkers: 6, desiredWorkers: 8 });
    expect(readDaemonMetrics('', 'demo', 'g-demo')).to.deep.equal({});
  });
});
