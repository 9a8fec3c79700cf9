// The contract every collector follows. A collector reads one part of the world for one target
// and returns what it saw as typed samples, and what it could not see as error values: it never
// throws into the control loop. The engine, not the collector, times each collection and counts
// its errors (see the engine's collection runner), so every collector is measured the same way.

/** The unit of a sample's value, in base units as Prometheus names them. */
export type SampleUnit =
  | 'messages'
  | 'seconds'
  | 'messages_per_second'
  | 'ratio'
  | 'bytes'
  | 'cores'
  | 'count'
  | 'offset';

export interface Sample {
  /** What was measured, e.g. "consumergroup_lag_messages". Stable: policies and metrics key on it. */
  name: string;
  value: number;
  unit: SampleUnit;
  /** Where it applies: group, topic, partition, broker, pod... Values are strings. */
  labels: Readonly<Record<string, string>>;
  /** When the value was true (epoch milliseconds), not when it was reported. */
  timestampMs: number;
  /** Which collector produced it, e.g. "kafka-lag". */
  source: string;
}

/** Stable codes a person or an alert can act on. */
export type CollectionErrorCode =
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'UNKNOWN_GROUP'
  | 'UNKNOWN_TOPIC'
  | 'NO_LEADER'
  | 'QUERY_FAILED'
  | 'BAD_RESPONSE'
  | 'PARTIAL'
  | 'INTERNAL';

export interface CollectionError {
  code: CollectionErrorCode;
  /** A sentence naming what could not be read and why. */
  message: string;
  source: string;
  /** What the error is about (a topic, partition, broker, query), when narrower than the target. */
  labels?: Readonly<Record<string, string>>;
}

export interface CollectionResult {
  samples: Sample[];
  errors: CollectionError[];
  /**
   * True when some of what the target needs could not be read: the data that is there is
   * correct, but a policy must not scale in on it.
   */
  partial: boolean;
}

/** What a collector is told about the evaluation it serves. */
export interface CollectionContext {
  /** The evaluation's time (epoch milliseconds), from the injected clock. */
  nowMs: number;
  /** Aborted when the tick's timeout passes or the daemon shuts down. */
  signal: AbortSignal;
}

export interface Collector<Target> {
  /** The collector's kind, used as `source` of its samples and errors. */
  readonly source: string;
  collect(target: Target, context: CollectionContext): Promise<CollectionResult>;
  /** Releases clients and timers. Idempotent. */
  close(): Promise<void>;
}

export function emptyResult(): CollectionResult {
  return { samples: [], errors: [], partial: false };
}

/** Turns anything a client threw into an error value, so nothing escapes collect(). */
export function errorFromException(source: string, code: CollectionErrorCode, what: string, exception: unknown): CollectionError {
  const reason = exception instanceof Error ? exception.message : String(exception);
  return { code, source, message: `${what}: ${reason}` };
}
