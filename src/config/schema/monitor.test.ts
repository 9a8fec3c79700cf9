import { expect } from 'chai';
import { parseWithMinimalConfig as parse } from './parse-for-test.ts';

function problemsOf(extra: string): string {
  const result = parse(extra);
  if (result.ok) throw new Error('the config was accepted');
  return result.problems.join('\n');
}

describe('config: monitor', () => {
  it('is empty by default', () => {
    const result = parse('');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.monitor).to.deep.equal([]);
  });

  it('reads an entry with its defaults: 30 s, lag in messages only, no partition series', () => {
    const result = parse(`
monitor:
  - name: everything
    cluster: main
    groupPattern: ".*"
    excludeGroupPattern: "console-consumer-.*"
`);
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.monitor).to.deep.equal([{
      name: 'everything',
      cluster: 'main',
      groupPattern: '.*',
      excludeGroupPattern: 'console-consumer-.*',
      interval: 30_000,
      lagSeconds: 'none',
      offsetReset: 'latest',
      partitionSeries: false,
    }]);
  });

  it('refuses an entry that selects no group', () => {
    expect(problemsOf(`
monitor:
  - name: nothing
    cluster: main
    topicPattern: "orders"
`)).to.include('set groups, groupPattern or both');
  });

  it('refuses an unknown cluster and a duplicate name', () => {
    const problems = problemsOf(`
monitor:
  - name: a
    cluster: elsewhere
    groups: [g1]
  - name: a
    cluster: main
    groups: [g2]
`);
    expect(problems).to.include('"elsewhere" is not a cluster in clusters');
    expect(problems).to.include('duplicate monitor entry name "a"');
  });

  it('refuses a bad pattern and an unknown lag-seconds mode, naming the entry', () => {
    const problems = problemsOf(`
monitor:
  - name: a
    cluster: main
    groupPattern: "orders-("
  - name: b
    cluster: main
    groups: [g2]
    lagSeconds: off
`);
    expect(problems).to.match(/monitor\[0\]\.groupPattern: is not a valid regular expression/);
    expect(problems).to.match(/monitor\[1\]\.lagSeconds/);
  });
});
