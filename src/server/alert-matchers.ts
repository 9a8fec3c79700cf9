// Label matchers written the way Alertmanager's routes and silences write them, so a route can be
// copied between the two: name="value", name!="value", name=~"regex", name!~"regex". Regexes are
// anchored at both ends, as in Alertmanager; they are JavaScript regexes, which accept every
// RE2 pattern Alertmanager's matchers usually hold (alternation, classes, repetition).
// A label the alert lacks reads as "", so name="" matches its absence, as in Alertmanager.

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  operator: MatchOperator;
  value: string;
  /** The original text, for logs and errors. */
  text: string;
  matches(labels: Readonly<Record<string, string>>): boolean;
}

export type ParsedMatcher = { ok: true; matcher: LabelMatcher } | { ok: false; message: string };

const matcherPattern = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

export function parseMatcher(text: string): ParsedMatcher {
  const parts = matcherPattern.exec(text);
  if (parts === null) return { ok: false, message: `"${text}" is not a matcher; write name="value", name!="value", name=~"regex" or name!~"regex"` };
  const [, name = '', operatorText = '=', rawValue = ''] = parts;
  const operator = operatorText as MatchOperator;
  const value = unquote(rawValue);
  if (value === undefined) return { ok: false, message: `"${text}": the value ${rawValue} is not a properly quoted string` };
  let test: (labelValue: string) => boolean;
  if (operator === '=' || operator === '!=') {
    test = (labelValue) => labelValue === value;
  } else {
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${value})$`, 's');
    } catch (error) {
      return { ok: false, message: `"${text}": ${(error as Error).message}` };
    }
    test = (labelValue) => pattern.test(labelValue);
  }
  const negated = operator === '!=' || operator === '!~';
  return {
    ok: true,
    matcher: { name, operator, value, text, matches: (labels) => test(labels[name] ?? '') !== negated },
  };
}

/** Parses a matcher known to be valid (the config schema checked it); throws otherwise. */
export function matcherFrom(text: string): LabelMatcher {
  const parsed = parseMatcher(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.matcher;
}

function unquote(raw: string): string | undefined {
  if (!raw.startsWith('"')) return raw.includes('"') ? undefined : raw;
  if (raw.length < 2 || !raw.endsWith('"')) return undefined;
  let value = '';
  const inner = raw.slice(1, -1);
  for (let index = 0; index < inner.length; index += 1) {
    const character = inner.charAt(index);
    if (character === '"') return undefined;
    if (character !== '\\') {
      value += character;
      continue;
    }
    index += 1;
    const escaped = inner[index];
    if (escaped === undefined) return undefined;
    // \d and friends stay as they are, for the regex.
    value += escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped === '"' || escaped === '\\' ? escaped : `\\${escaped}`;
  }
  return value;
}
