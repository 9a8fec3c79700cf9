import { expect } from 'chai';
import { parseConfigText } from '../config/loader.ts';
import type { LagpilotConfig } from '../config/schema.ts';
import { createLogger } from '../logging/logger.ts';
import { collectionPlan, collectorConfigProblems, createCollectorServices, lagTargetOf } from './registry.ts';

function config(targetExtra: string, topLevel = ''): LagpilotConfig {
  const parsed = parseConfigText(
    `
clusters: [{name: main, bootstrap: ["127.0.0.1:9"]}]
${topLevel}
targets:
  - name: orders
    cluster: main
    consumerGroup: g
    topicPattern: 'orders-.*'
    replicas: {max: 2}
    lag: {targetSeconds: 1}
    actuator: {kind: dryRun}
${targetExtra}
`,
    { sourceName: 'test', environment: {} },
  );
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.config;
}

const logger = createLogger({ level: 'error' });

describe('collector registry', () => {
  it('plans lag reading, throughput and capacity for every target by default', async () => {
    const cfg = config('');
    const services = createCollectorServices(cfg, { logger });
    try {
      const target = cfg.targets[0];
      if (target === undefined) throw new Error('no target');
      const plan = collectionPlan(target, services);
      expect(plan.readers.map((step) => step.source)).to.deep.equal(['kafka-lag']);
      expect(plan.derivations.map((step) => step.source)).to.deep.equal(['throughput', 'capacity']);
      expect(lagTargetOf(target)).to.deep.equal({ name: 'orders', cluster: 'main', consumerGroup: 'g', topicPattern: 'orders-.*', offsetReset: 'latest', lagSeconds: 'estimated' });
    } finally {
      await services.close();
    }
  });

  it('adds the prometheus and broker-health readers when their sections are present', async () => {
    const cfg = config(
      `    collectors:
      prometheus: {queries: [{name: cpu, query: up, unit: cores}]}
      brokerHealth: {expectedBrokers: 3}
      capacity: {perReplica: 50}`,
      'prometheus: {url: "http://127.0.0.1:9"}',
    );
    const services = createCollectorServices(cfg, { logger });
    try {
      const target = cfg.targets[0];
      if (target === undefined) throw new Error('no target');
      expect(collectionPlan(target, services).readers.map((step) => step.source)).to.deep.equal(['kafka-lag', 'prometheus', 'broker-health']);
      expect(collectorConfigProblems(cfg)).to.deep.equal([]);
    } finally {
      await services.close();
    }
  });

  it('names the target when its prometheus queries have no prometheus to ask, at config load and at start', () => {
    const text = `
clusters: [{name: main, bootstrap: ["127.0.0.1:9"]}]
targets:
  - {name: o, cluster: main, consumerGroup: g, topics: [t], replicas: {max: 2}, lag: {targetSeconds: 1}, actuator: {kind: dryRun}, collectors: {prometheus: {queries: [{name: cpu, query: up, unit: cores}]}}}
`;
    const parsed = parseConfigText(text, { sourceName: 'test', environment: {} });
    expect(parsed.ok ? [] : parsed.problems).to.deep.equal(['targets[0].collectors.prometheus: needs the top-level prometheus section (its url)']);
    // A config built in code skips the loader; the daemon checks it again before starting anything.
    const built = config(`    collectors:
      prometheus: {queries: [{name: cpu, query: up, unit: cores}]}`, 'prometheus: {url: "http://127.0.0.1:9"}');
    expect(collectorConfigProblems({ ...built, prometheus: undefined })).to.deep.equal(['targets[0].collectors.prometheus: needs the top-level prometheus section (its url)']);
  });

  it('refuses an unknown collector section and a bad query unit, naming the path', () => {
    const unknown = parseConfigText(
      `
clusters: [{name: main, bootstrap: ["127.0.0.1:9"]}]
targets:
  - {name: o, cluster: main, consumerGroup: g, topics: [t], replicas: {max: 2}, lag: {targetSeconds: 1}, actuator: {kind: dryRun}, collectors: {lagg: {}, prometheus: {queries: [{name: cpu, query: up, unit: furlongs}]}}}
`,
      { sourceName: 'test', environment: {} },
    );
    expect(unknown.ok).to.be.false;
    const problems = unknown.ok ? '' : unknown.problems.join('\n');
    expect(problems).to.contain('targets[0].collectors').and.contain('lagg');
    expect(problems).to.contain('targets[0].collectors.prometheus.queries[0].unit');
  });
});
