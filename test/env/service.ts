// The contract each service of the local test environment implements. A service installs what
// it needs (cached by version outside the repo), starts on free loopback ports, waits until it
// is healthy and returns its connection details, which the env file records.

/** What every service records in the env file, beside its own connection details. */
export interface ServiceRecord {
  /** Pids of the service's processes (all of them: one per broker for kafka3). */
  pids: number[];
  /** Directory holding the service's data and logs. */
  runDir: string;
  startedAt: string;
  /** Milliseconds from `up` to healthy, install time included. */
  startMillis: number;
}

export interface EnvService<Details extends ServiceRecord = ServiceRecord> {
  readonly name: string;
  /** Downloads or builds what the service needs, if not cached yet. Idempotent. */
  install(): Promise<void>;
  /** Starts the service (installing first if needed) and resolves once it is healthy. */
  start(): Promise<Details>;
  /** True while the recorded service answers. */
  isHealthy(details: Details): Promise<boolean>;
  /** Stops every process of the service. Idempotent. */
  stop(details: Details): Promise<void>;
}
