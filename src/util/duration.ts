// Durations in config files: "15s", "500ms", "2m", "1h" (a decimal amount and one unit).
const unitMillis: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The accepted text, also published in the config's JSON Schema so editors check it. */
export const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

export function parseDurationMillis(text: string): number {
  const match = durationPattern.exec(text.trim());
  if (match === null) throw new Error(`"${text}" is not a duration (use e.g. 500ms, 15s, 2m, 1h)`);
  const [, amount, unit] = match;
  return Number(amount) * (unitMillis[unit ?? 'ms'] ?? 1);
}

/** The shortest exact text for a number of milliseconds: 15000 -> "15s", 90000 -> "90s". */
export function formatDurationMillis(millis: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const size = unitMillis[unit] ?? 1;
    if (millis >= size && millis % size === 0) return `${millis / size}${unit}`;
  }
  return `${millis}ms`;
}
