// How a failure of the Kafka admin port shows up among a collector's errors. Shared by the
// collectors that read Kafka, so that an unreachable broker or a time-out carries the same code
// whichever of them met it.
import { KafkaAdminError } from '../kafka/errors.ts';
import type { CollectionErrorCode } from './collector.ts';

/**
 * The collection error code for a failure of the Kafka admin port; `otherwise` is the code of a
 * failure that did not come from the port (a bug of the collector, say).
 */
export function collectionCodeForKafkaError(error: unknown, otherwise: CollectionErrorCode): CollectionErrorCode {
  if (!(error instanceof KafkaAdminError)) return otherwise;
  switch (error.code) {
    case 'BROKER_UNREACHABLE':
    case 'CLOSED':
      return 'UNREACHABLE';
    case 'TIMEOUT':
      return 'TIMEOUT';
    case 'UNKNOWN_TOPIC':
      return 'UNKNOWN_TOPIC';
    default:
      return 'QUERY_FAILED';
  }
}
