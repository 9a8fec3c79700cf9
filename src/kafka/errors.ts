// Errors of the Kafka admin port. The code is stable (callers and metrics switch on it); the
// message names the operation and the group, topic or broker that failed, and, when the broker
// answered with an error, Kafka's own error name (e.g. UNKNOWN_TOPIC_OR_PARTITION).

export type KafkaAdminErrorCode =
  /** A named topic (or partition of it) does not exist. */
  | 'UNKNOWN_TOPIC'
  /** No broker could be reached, or a connection broke. */
  | 'BROKER_UNREACHABLE'
  /** A request got no answer in time. */
  | 'TIMEOUT'
  /** The broker does not support a request version the client needs. */
  | 'UNSUPPORTED'
  /** The request was refused as invalid (bad partition count, bad replica list…). */
  | 'INVALID_REQUEST'
  /** The client was closed before the call. */
  | 'CLOSED'
  /** Any other error the broker answered with. */
  | 'BROKER_ERROR';

export class KafkaAdminError extends Error {
  readonly code: KafkaAdminErrorCode;
  /** The operation of the port that failed, e.g. "describeTopics". */
  readonly operation: string;
  /** Kafka's error name when the broker answered with one, e.g. "UNKNOWN_TOPIC_OR_PARTITION". */
  readonly kafkaError: string | undefined;

  constructor(code: KafkaAdminErrorCode, operation: string, message: string, options?: { kafkaError?: string; cause?: unknown }) {
    super(`${operation}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KafkaAdminError';
    this.code = code;
    this.operation = operation;
    this.kafkaError = options?.kafkaError;
  }
}

const unknownTopicErrors = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID']);
const invalidRequestErrors = new Set([
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_REPLICA_ASSIGNMENT',
  'INVALID_CONFIG',
  'INVALID_REQUEST',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_ALREADY_EXISTS',
  'OFFSET_OUT_OF_RANGE',
  'POLICY_VIOLATION',
  'INVALID_GROUP_ID',
]);
const unsupportedErrors = new Set(['UNSUPPORTED_VERSION', 'UNSUPPORTED_FOR_MESSAGE_FORMAT']);

/** The error code of the port for one of Kafka's error names. */
export function codeForKafkaError(kafkaError: string): KafkaAdminErrorCode {
  if (unknownTopicErrors.has(kafkaError)) return 'UNKNOWN_TOPIC';
  if (invalidRequestErrors.has(kafkaError)) return 'INVALID_REQUEST';
  if (unsupportedErrors.has(kafkaError)) return 'UNSUPPORTED';
  if (kafkaError === 'REQUEST_TIMED_OUT') return 'TIMEOUT';
  return 'BROKER_ERROR';
}
