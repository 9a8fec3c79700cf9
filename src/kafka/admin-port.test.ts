import { expect } from 'chai';
import { requestCountsBetween, totalRequests } from './admin-port.ts';
import { codeForKafkaError } from './errors.ts';

describe('request counts of the Kafka admin port', () => {
  it('reports what was sent between two snapshots, leaving out unused APIs', () => {
    const before = { Metadata: 3, OffsetFetch: 1 };
    const after = { Metadata: 4, OffsetFetch: 1, FindCoordinator: 1 };
    expect(requestCountsBetween(before, after)).to.deep.equal({ Metadata: 1, FindCoordinator: 1 });
    expect(totalRequests(requestCountsBetween(before, after))).to.equal(2);
    expect(totalRequests({})).to.equal(0);
  });
});

describe('codeForKafkaError', () => {
  it("maps Kafka's error names to the port's stable codes", () => {
    expect(codeForKafkaError('UNKNOWN_TOPIC_OR_PARTITION')).to.equal('UNKNOWN_TOPIC');
    expect(codeForKafkaError('UNKNOWN_TOPIC_ID')).to.equal('UNKNOWN_TOPIC');
    expect(codeForKafkaError('INVALID_PARTITIONS')).to.equal('INVALID_REQUEST');
    expect(codeForKafkaError('UNSUPPORTED_VERSION')).to.equal('UNSUPPORTED');
    expect(codeForKafkaError('REQUEST_TIMED_OUT')).to.equal('TIMEOUT');
    expect(codeForKafkaError('NOT_COORDINATOR')).to.equal('BROKER_ERROR');
  });
});
