import { expect } from 'chai';
import { renderUsageQuery } from './resources.ts';

describe('resources actuator usage queries', function () {
  it('fills in namespace, workload and container, escaping the workload name for a regex matcher', function () {
    const query = renderUsageQuery('max by (pod) (m{namespace="${namespace}", pod=~"${workload}-.+", container="${container}"})', {
      namespace: 'shop',
      workload: 'orders.v2',
      container: 'consumer',
    });
    // In a PromQL string a regex backslash is written twice.
    expect(query).to.equal('max by (pod) (m{namespace="shop", pod=~"orders\\\\.v2-.+", container="consumer"})');
  });

  it('fills in every occurrence of a placeholder', function () {
    expect(renderUsageQuery('${container}/${container}', { namespace: 'a', workload: 'b', container: 'c' })).to.equal('c/c');
  });
});
