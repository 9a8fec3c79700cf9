// Secrets must never reach the logs: log lines end up in shared aggregation systems that far
// more people can read than the daemon's own configuration. Redaction is by key name (anything
// that looks like a credential) and by value (credentials embedded in URLs).

export const redactedText = '[REDACTED]';

/** Keys whose values are credentials, wherever they appear in a logged object. */
const secretKeyPattern = /password|passwd|secret|token|authorization|sasl|api[-_]?key|cookie|credential|private[-_]?key/i;

/**
 * `scheme://user:password@host` or `scheme://token@host`: the user name is kept (it helps to
 * tell which account is used), everything that can be a credential is not.
 */
const urlCredentialsPattern = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*)(?::[^/\s@]*)?@/gi;

export function isSecretKey(key: string): boolean {
  return secretKeyPattern.test(key);
}

export function redactUrlCredentials(text: string): string {
  return text.replace(urlCredentialsPattern, (whole: string, scheme: string, user: string) => {
    const hasPassword = whole.slice(scheme.length + user.length).startsWith(':');
    if (hasPassword) return `${scheme}${user}:${redactedText}@`;
    return `${scheme}${redactedText}@`;
  });
}

/**
 * A redacted copy of `value`; the original is never modified (it may be the live config).
 * Cycles are cut rather than followed.
 */
export function redactSecrets(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactUrlCredentials(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, seen));
  if (value instanceof Error) {
    return { name: value.name, message: redactUrlCredentials(value.message) };
  }
  if (value instanceof Date) return value.toISOString();
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSecretKey(key) && item !== undefined ? redactedText : redactSecrets(item, seen);
  }
  return copy;
}
