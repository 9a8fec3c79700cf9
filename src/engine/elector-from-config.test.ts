import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { leaderElectionSchema } from '../config/schema/leader-election.ts';
import { silentLogger } from '../logging/logger.ts';
import { ManualClock } from './clock.ts';
import { electorFromConfig, registerLeadershipMetrics } from './elector-from-config.ts';
import { SoleReplicaElector } from './leader-election.ts';
import { LeaseElector } from './lease-elector.ts';


function kubeconfigFile(directory: string): string {
  const path = join(directory, 'kubeconfig');
  writeFileSync(path, [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: local, cluster: {server: "https://127.0.0.1:9"}}]',
    'users: [{name: admin, user: {token: not-used}}]',
    'contexts: [{name: local, context: {cluster: local, user: admin}}]',
    'current-context: local',
  ].join('\n'));
  return path;
}

describe('electorFromConfig', () => {
  const clock = new ManualClock(0);

  it('gives a sole replica that always leads when no election is configured', async () => {
    const elector = await electorFromConfig(leaderElectionSchema.parse({ identity: 'only' }), { clock, logger: silentLogger });
    expect(elector).to.be.instanceOf(SoleReplicaElector);
    expect(elector.identity).to.equal('only');
  });

  it('gives a Lease elector in the pod\'s namespace, from a kubeconfig', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'lagpilot-elector-'));
    const namespaceFile = join(directory, 'namespace');
    writeFileSync(namespaceFile, 'autoscaling\n');
    const config = leaderElectionSchema.parse({ backend: 'kubernetes', kubeconfig: kubeconfigFile(directory), identity: 'pod-1' });
    const elector = await electorFromConfig(config, { clock, logger: silentLogger, namespaceFile });
    expect(elector).to.be.instanceOf(LeaseElector);
    expect(elector.identity).to.equal('pod-1');
    expect(elector.isLeader()).to.equal(false);
  });

  it('refuses the redis backend without a Redis client, naming the section', async () => {
    const config = leaderElectionSchema.parse({ backend: 'redis' });
    const refusal = await electorFromConfig(config, { clock, logger: silentLogger }).then(() => undefined, (error: unknown) => error);
    expect(refusal).to.be.instanceOf(Error).with.property('message', 'leaderElection.backend is redis, but no redis section is configured');
  });

  it('exports leadership and term as metrics, read at scrape time', async () => {
    const registry = new Registry();
    const elector = new SoleReplicaElector('replica-a');
    registerLeadershipMetrics(registry, elector);
    expect(await registry.metrics()).to.contain('lagpilot_leader{identity="replica-a"} 0');
    elector.start();
    const text = await registry.metrics();
    expect(text).to.contain('lagpilot_leader{identity="replica-a"} 1');
    expect(text).to.contain('lagpilot_leader_term 1');
  });
});
