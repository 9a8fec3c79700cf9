import { expect } from 'chai';
import { MultipleErrors, NetworkError, ProtocolError, ResponseError, TimeoutError, UserError } from '@platformatic/kafka';
import { KafkaAdminError } from './errors.ts';
import { translateError } from './platformatic-errors.ts';

describe('translateError (@platformatic/kafka errors to KafkaAdminError)', () => {
  it("finds Kafka's error name nested in a response error and maps it to a stable code", () => {
    // ListOffsets (api key 2) answered UNKNOWN_TOPIC_OR_PARTITION (3) for one partition.
    const answer = new ResponseError(2, 7, { '/topics/0/partitions/0': [3, null] }, {});
    const error = translateError('listOffsets', 'topics orders', answer);
    expect(error.code).to.equal('UNKNOWN_TOPIC');
    expect(error.kafkaError).to.equal('UNKNOWN_TOPIC_OR_PARTITION');
    expect(error.message).to.equal('listOffsets: topics orders: Kafka answered UNKNOWN_TOPIC_OR_PARTITION');
    expect(error.cause).to.equal(answer);
  });

  it('maps invalid requests and other broker errors apart', () => {
    expect(translateError('createTopics', 'topics t', new ProtocolError('INVALID_REPLICATION_FACTOR')).code).to.equal('INVALID_REQUEST');
    expect(translateError('describeConsumerGroups', 'groups g', new ProtocolError('COORDINATOR_NOT_AVAILABLE')).code).to.equal('BROKER_ERROR');
  });

  it('tells a timeout from an unreachable broker, also when wrapped in an aggregate error', () => {
    const refused = new MultipleErrors('Cannot connect to any broker.', [new NetworkError('Connection to 127.0.0.1:1 failed.')]);
    expect(translateError('describeCluster', 'cluster', refused).code).to.equal('BROKER_UNREACHABLE');
    expect(translateError('describeCluster', 'cluster', refused).message).to.contain('127.0.0.1:1');
    expect(translateError('fetchRecord', 'orders[0] at offset 5', new TimeoutError('Request timed out')).code).to.equal('TIMEOUT');
  });

  it("reports the package's unknown-topic and unknown-partition usage errors as UNKNOWN_TOPIC, other usage errors as INVALID_REQUEST", () => {
    expect(translateError('describeTopics', 'topics nope', new UserError('Unknown topic nope.')).code).to.equal('UNKNOWN_TOPIC');
    expect(translateError('listOffsets', 'topics orders', new UserError('Unknown partition.')).code).to.equal('UNKNOWN_TOPIC');
    expect(translateError('createTopics', 'topics t', new UserError('/options/partitions must be >= 1')).code).to.equal('INVALID_REQUEST');
  });

  it('passes a KafkaAdminError through unchanged', () => {
    const original = new KafkaAdminError('CLOSED', 'listOffsets', 'closed');
    expect(translateError('other', 'subject', original)).to.equal(original);
  });
});
