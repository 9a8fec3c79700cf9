// Durations in config files: "15s", "500ms", "2m", "1h", or a number of milliseconds.
const unitMillis: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationMillis(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (match === null) throw new Error(`"${text}" is not a duration (use e.g. 500ms, 15s, 2m, 1h)`);
  const [, amount, unit] = match;
  return Number(amount) * (unitMillis[unit ?? 'ms'] ?? 1);
}
