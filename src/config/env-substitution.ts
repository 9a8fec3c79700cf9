// `${NAME}` and `${NAME:-default}` in config values, so one file serves every environment and
// secrets stay out of it. Substitution happens in the parsed YAML's scalar values, not in the raw
// text: a password containing ": " or "#" cannot change the structure of the document.
import { parse as parseYaml, Scalar, visit, type Document, type LineCounter } from 'yaml';

const referencePattern = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface SubstitutionProblem {
  variable: string;
  line: number;
}

/**
 * Replaces references in every string scalar of `document` (in place). `$${` is a literal `${`.
 * A variable that is unset (or empty) takes its default; without one it is a problem.
 */
export function substituteEnvironment(
  document: Document,
  environment: NodeJS.ProcessEnv,
  lineCounter: LineCounter,
): SubstitutionProblem[] {
  const problems: SubstitutionProblem[] = [];
  visit(document, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('$')) return;
      const original = node.value;
      const line = node.range === undefined || node.range === null ? 0 : lineCounter.linePos(node.range[0]).line;
      const substituted = original.replace(referencePattern, (whole, variable: string | undefined, fallback: string | undefined) => {
        if (variable === undefined) return '${';
        const value = environment[variable];
        if (value !== undefined && !(fallback !== undefined && value === '')) return value;
        if (fallback !== undefined) return fallback;
        problems.push({ variable, line });
        return whole;
      });
      if (substituted === original) return;
      node.value = node.type === Scalar.PLAIN ? retype(substituted) : substituted;
    },
  });
  return problems;
}

/**
 * An unquoted `port: ${PORT}` should read as the number it would be if written directly; only
 * numbers and booleans are re-typed, never structure.
 */
function retype(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch {
    return text;
  }
  return typeof parsed === 'number' || typeof parsed === 'boolean' ? parsed : text;
}
