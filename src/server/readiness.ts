// /readyz: ready only when every dependency answers. Each dependency client registers a named
// check; the report names the ones that fail, so an operator sees at once what is missing.
import { errorMessage } from '../logging/logger.ts';

export interface ReadinessCheck {
  /** Shown in /readyz, e.g. "kafka:main", "redis", "prometheus". */
  name: string;
  /** Resolves when the dependency answers; rejects (with a reason) when it does not. */
  check(signal: AbortSignal): Promise<void>;
  /** Time limit of one check; `defaultCheckTimeoutMillis` if not given. */
  timeoutMillis?: number;
}

export const defaultCheckTimeoutMillis = 2000;

export interface CheckResult {
  name: string;
  ok: boolean;
  durationMillis: number;
  error?: string;
}

export interface ReadinessReport {
  ready: boolean;
  /** Names of the failing checks, in registration order. */
  failing: string[];
  checks: CheckResult[];
}

export class ReadinessChecks {
  readonly #checks: ReadinessCheck[] = [];
  #notReadyReason: string | undefined;

  register(check: ReadinessCheck): void {
    if (this.#checks.some((existing) => existing.name === check.name)) {
      throw new Error(`a readiness check named "${check.name}" is registered already`);
    }
    this.#checks.push(check);
  }

  get names(): string[] {
    return this.#checks.map((check) => check.name);
  }

  /** From now on report not ready, whatever the checks say (e.g. while shutting down). */
  markNotReady(reason: string): void {
    this.#notReadyReason = reason;
  }

  /** Runs every check at once, each bounded by its timeout. Never rejects. */
  async run(): Promise<ReadinessReport & { reason?: string }> {
    const checks = await Promise.all(this.#checks.map((check) => runCheck(check)));
    const failing = checks.filter((result) => !result.ok).map((result) => result.name);
    const report = { ready: failing.length === 0 && this.#notReadyReason === undefined, failing, checks };
    return this.#notReadyReason === undefined ? report : { ...report, reason: this.#notReadyReason };
  }
}

async function runCheck(check: ReadinessCheck): Promise<CheckResult> {
  const timeoutMillis = check.timeoutMillis ?? defaultCheckTimeoutMillis;
  const controller = new AbortController();
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const reason = new Error(`no answer within ${timeoutMillis} ms`);
      controller.abort(reason);
      reject(reason);
    }, timeoutMillis);
    timer.unref();
  });
  try {
    await Promise.race([check.check(controller.signal), timedOut]);
    return { name: check.name, ok: true, durationMillis: elapsedSince(startedAt) };
  } catch (error) {
    return { name: check.name, ok: false, durationMillis: elapsedSince(startedAt), error: errorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}

function elapsedSince(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
