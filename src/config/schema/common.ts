// Building blocks shared by the config sections.
import { z } from 'zod';
import { durationPattern, parseDurationMillis } from '../../util/duration.ts';

/**
 * A duration written as text ("15s") and read as milliseconds. `prefault` (not `default`)
 * gives defaults as text, so they go through the same parsing as written values.
 */
export function duration(description: string, defaultText: string) {
  const text = z
    .string()
    .regex(durationPattern, { error: (issue) => `"${String(issue.input)}" is not a duration (use e.g. 500ms, 15s, 2m, 1h)` })
    .describe(description);
  return text.transform((value) => parseDurationMillis(value)).prefault(defaultText);
}

/** Names that appear in metric labels, log fields and Redis keys: short and plain. */
export const resourceName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/, {
    error: (issue) => `"${String(issue.input)}" is not a valid name (lowercase letters, digits, ".", "_", "-"; at most 63 characters)`,
  });

export function httpUrl(description: string) {
  return z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).describe(description);
}

function isValidRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** A regular expression written as text, refused at load when JavaScript cannot compile it. */
export function regexPattern(description: string) {
  return z.string().min(1).refine(isValidRegExp, { error: 'is not a valid regular expression' }).describe(description);
}
