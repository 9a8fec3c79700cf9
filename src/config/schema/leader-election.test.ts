import { expect } from 'chai';
import { parseWithMinimalConfig } from './parse-for-test.ts';

const environment = { POD_NAME: 'lagpilot-7d9f-x2' };

function parse(extra: string) {
  return parseWithMinimalConfig(extra, environment);
}

describe('config: leaderElection', () => {
  it('defaults to no election, with Kubernetes\' own timings ready for when one is chosen', () => {
    const result = parse('');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.leaderElection).to.deep.equal({
      backend: 'none',
      name: 'lagpilot',
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
    });
  });

  it('reads a Lease election with short timings and an identity from the environment', () => {
    const result = parse(`
leaderElection:
  backend: kubernetes
  namespace: autoscaling
  identity: \${POD_NAME}
  leaseDuration: 3s
  renewDeadline: 2s
  retryPeriod: 500ms
`);
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.leaderElection).to.include({
      backend: 'kubernetes',
      namespace: 'autoscaling',
      identity: 'lagpilot-7d9f-x2',
      leaseDuration: 3000,
      renewDeadline: 2000,
      retryPeriod: 500,
    });
  });

  it('refuses a renew deadline not shorter than the lease, and a retry period not shorter than the deadline', () => {
    const result = parse(`
leaderElection:
  backend: kubernetes
  leaseDuration: 10s
  renewDeadline: 10s
  retryPeriod: 10s
`);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.problems.join('\n')).to.contain('leaderElection.renewDeadline').and.to.contain('must be shorter than leaseDuration');
    expect(result.problems.join('\n')).to.contain('leaderElection.retryPeriod').and.to.contain('must be shorter than renewDeadline');
  });

  it('refuses the redis backend without a redis section', () => {
    const result = parse('leaderElection: {backend: redis}\n');
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.problems.join('\n')).to.contain('the redis backend needs the redis section');
  });
});
