// Errors of Redis calls worded for the log and the APIs. ioredis rejects a command that passed
// the client's time limit (redis.commandTimeout) with only "Command timed out": that alone names
// neither what was asked nor how long it waited.
import type { Redis } from 'ioredis';
import { errorMessage } from '../logging/logger.ts';

/** ioredis's message for a command that passed its client's commandTimeout. */
export const commandTimedOut = 'Command timed out';

/** What went wrong with a Redis call: a passed time limit named with its length, else the client's own message. */
export function describeRedisFailure(client: Redis, error: unknown): string {
  const message = errorMessage(error);
  const limit = client.options.commandTimeout;
  if (message !== commandTimedOut || limit === undefined) return message;
  return `Redis did not answer within ${limit} ms (redis.commandTimeout)`;
}

/** The failure of a Redis call as an error that says what was being done: "`doing`: what went wrong". */
export function redisCommandFailure(client: Redis, doing: string, error: unknown): Error {
  return new Error(`${doing}: ${describeRedisFailure(client, error)}`, { cause: error });
}

/**
 * The answer of a Redis call whose callers word their own errors: a passed time limit is
 * rethrown naming its length; any other error goes on unchanged.
 */
export async function answered<T>(client: Redis, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (errorMessage(error) !== commandTimedOut) throw error;
    throw new Error(describeRedisFailure(client, error), { cause: error });
  }
}
