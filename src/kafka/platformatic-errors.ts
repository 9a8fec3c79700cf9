// How errors of @platformatic/kafka become KafkaAdminErrors: the package nests Kafka's own error
// names (ProtocolError.apiId) inside aggregate errors, and reports some conditions (a topic missing
// from a metadata answer) as usage errors of its own.
import { KafkaAdminError, codeForKafkaError } from './errors.ts';

/** Kafka's error name inside an error of the package, searching nested errors. */
function kafkaErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { apiId?: unknown; errors?: unknown; cause?: unknown };
  if (typeof candidate.apiId === 'string') return candidate.apiId;
  if (Array.isArray(candidate.errors)) {
    for (const nested of candidate.errors) {
      const name = kafkaErrorName(nested);
      if (name !== undefined) return name;
    }
  }
  return candidate.cause === undefined ? undefined : kafkaErrorName(candidate.cause);
}

function packageErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' ? code : undefined;
}

/** The package's own code of the error or of any error nested in it (aggregate errors wrap the real one). */
function packageErrorCodes(error: unknown): string[] {
  if (typeof error !== 'object' || error === null) return [];
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  const nested = Array.isArray(errors) ? errors.flatMap((inner: unknown) => packageErrorCodes(inner)) : [];
  return typeof code === 'string' ? [code, ...nested] : nested;
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.length > 0) {
    const first: unknown = nested[0];
    const detail = first instanceof Error ? first.message : String(first);
    return `${error.message} (${detail})`;
  }
  return error.message;
}

/** Turns any error of the package into a KafkaAdminError naming the operation and its subject. */
export function translateError(operation: string, subject: string, error: unknown): KafkaAdminError {
  if (error instanceof KafkaAdminError) return error;
  const kafkaError = kafkaErrorName(error);
  if (kafkaError !== undefined) {
    return new KafkaAdminError(codeForKafkaError(kafkaError), operation, `${subject}: Kafka answered ${kafkaError}`, {
      kafkaError,
      cause: error,
    });
  }
  const packageCode = packageErrorCode(error);
  const detail = describeCause(error);
  const codes = packageErrorCodes(error);
  // The package's TimeoutError carries the network code: only its message tells a timeout apart.
  if (codes.includes('PLT_KFK_TIMEOUT') || (codes.includes('PLT_KFK_NETWORK') && /timed out/i.test(detail))) {
    return new KafkaAdminError('TIMEOUT', operation, `${subject}: ${detail}`, { cause: error });
  }
  if (codes.includes('PLT_KFK_NETWORK')) return new KafkaAdminError('BROKER_UNREACHABLE', operation, `${subject}: ${detail}`, { cause: error });
  if (packageCode === 'PLT_KFK_UNSUPPORTED_API' || packageCode === 'PLT_KFK_UNSUPPORTED') {
    return new KafkaAdminError('UNSUPPORTED', operation, `${subject}: ${detail}`, { cause: error });
  }
  // The package reports a topic or partition missing from a metadata answer as a usage error of its own.
  if (packageCode === 'PLT_KFK_USER' && /unknown (topic|partition)/i.test(detail)) {
    return new KafkaAdminError('UNKNOWN_TOPIC', operation, `${subject}: ${detail}`, { kafkaError: 'UNKNOWN_TOPIC_OR_PARTITION', cause: error });
  }
  if (packageCode === 'PLT_KFK_USER') return new KafkaAdminError('INVALID_REQUEST', operation, `${subject}: ${detail}`, { cause: error });
  return new KafkaAdminError('BROKER_ERROR', operation, `${subject}: ${detail}`, { cause: error });
}
