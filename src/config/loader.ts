// Reading a config file: YAML, then `${ENV}` substitution, then the schema. Every problem found
// is reported, one line each, naming where it is, so a person can fix a file in one pass.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { substituteEnvironment } from './env-substitution.ts';
import { configSchema, type LagpilotConfig } from './schema.ts';

export type ConfigResult = { ok: true; config: LagpilotConfig } | { ok: false; problems: string[] };

export interface ParseOptions {
  /** Named in line-numbered problems: usually the file path. */
  sourceName: string;
  environment: NodeJS.ProcessEnv;
}

export async function loadConfigFile(path: string, environment: NodeJS.ProcessEnv = process.env): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    return { ok: false, problems: [`${path}: cannot read the config file: ${reason}`] };
  }
  return parseConfigText(text, { sourceName: path, environment });
}

export function parseConfigText(text: string, options: ParseOptions): ConfigResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [syntaxError] = document.errors;
  if (syntaxError !== undefined) {
    // Only the first: the parser's later complaints are mostly echoes of the first mistake.
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    const firstLine = syntaxError.message.split('\n')[0] ?? syntaxError.message;
    return { ok: false, problems: [`${options.sourceName}:${line}:${col}: YAML syntax error: ${firstLine}`] };
  }
  const substitutionProblems = substituteEnvironment(document, options.environment, lineCounter);
  if (substitutionProblems.length > 0) {
    return {
      ok: false,
      problems: substitutionProblems.map(
        ({ variable, line }) =>
          `${options.sourceName}:${line}: environment variable ${variable} is not set (write \${${variable}:-value} to give a default)`,
      ),
    };
  }
  // An empty file is an empty config: every section has defaults.
  const data: unknown = document.toJS() ?? {};
  const parsed = configSchema.safeParse(data, { reportInput: true });
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: parsed.error.issues.flatMap((issue) => describeIssue(issue)) };
}

/** `targets[0].replicas`, or `(top level)` for the document itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? '(top level)' : text;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`);
  }
  return [`${formatPath(issue.path)}: ${describeProblem(issue)}`];
}

function describeProblem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${article(issue.expected)} (found ${describeValue(issue.input)})`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')} (found ${describeValue(issue.input)})`;
    case 'invalid_union':
      if ('note' in issue && issue.note === 'No matching discriminator') return 'has an unknown kind';
      return issue.message;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
