// `npm run schema` (after the JSON Schema): writes docs/configuration.md, the configuration
// reference, from the same JSON Schema editors use. Every field, its type, default, allowed
// values and description comes from the zod schema, so the reference cannot say something the
// validator does not do; a unit test fails when the committed file differs from what this writes.
// Examples come from config/example.yaml (commented, and validated by its own test); a section
// or actuator kind it does not show gets a template with its defaults written out.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { z } from 'zod';
import { durationPattern } from '../util/duration.ts';
import { configSchema } from './schema.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const configReferencePath = join(repoRoot, 'docs', 'configuration.md');
export const exampleConfigPath = join(repoRoot, 'config', 'example.yaml');

/** The part of JSON Schema that z.toJSONSchema produces for lagpilot's config. */
export interface SchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  additionalProperties?: boolean | SchemaNode;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
}

/** One line of a reference table. */
export interface FieldRow {
  path: string;
  type: string;
  defaultText: string;
  allowed: string;
  description: string;
}

/** A table of fields with its heading: a top-level section, or one kind of a union in it. */
interface FieldBlock {
  heading: string;
  description: string;
  rows: FieldRow[];
  example: { source: 'example.yaml' | 'template'; yaml: string };
  /** The kinds of the block's large unions, each its own sub-block. */
  variants: FieldBlock[];
}

// A union whose kinds each have more fields than this gets a sub-section per kind; a smaller
// one (the Kubernetes credentials: kubeconfig or inCluster) reads better inline.
const inlineUnionMaxFields = 3;

export function configJsonSchema(): SchemaNode {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as SchemaNode;
}

function isObjectNode(node: SchemaNode): boolean {
  return node.type === 'object' && node.properties !== undefined;
}

function isRecordNode(node: SchemaNode): boolean {
  return node.type === 'object' && node.properties === undefined && typeof node.additionalProperties === 'object';
}

/** The property every kind of a union fixes to a constant (`kind`, `from`), if there is one. */
function discriminatorOf(variants: readonly SchemaNode[]): string | undefined {
  const [first] = variants;
  if (first?.properties === undefined) return undefined;
  return Object.keys(first.properties).find((key) => variants.every((variant) => variant.properties?.[key]?.const !== undefined));
}

function code(text: string): string {
  // A table cell ends at an unescaped pipe, even inside a code span.
  const escaped = text.replaceAll('|', '\\|');
  return escaped.includes('`') ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function typeText(node: SchemaNode): string {
  if (node.const !== undefined) return code(JSON.stringify(node.const));
  if (node.anyOf !== undefined) return node.anyOf.map((choice) => typeText(choice)).join(' or ');
  if (node.type === 'string') {
    if (node.pattern === durationPattern.source) return 'duration';
    if (node.format === 'uri') return 'URL';
    return 'string';
  }
  if (node.type === 'array') {
    const items = node.items;
    if (items === undefined) return 'list';
    return isObjectNode(items) ? 'list of objects' : `list of ${typeText(items)}`;
  }
  if (isRecordNode(node) && typeof node.additionalProperties === 'object') return `map of string to ${typeText(node.additionalProperties)}`;
  if (node.oneOf !== undefined) return 'object (one kind of several)';
  return node.type ?? 'any';
}

function numberRange(node: SchemaNode): string | undefined {
  // zod publishes an integer's implicit bounds; they say nothing a reader needs.
  const maximum = node.maximum === Number.MAX_SAFE_INTEGER ? undefined : node.maximum;
  const minimum = node.minimum === Number.MIN_SAFE_INTEGER ? undefined : node.minimum;
  const low = node.exclusiveMinimum !== undefined ? `> ${node.exclusiveMinimum}` : minimum !== undefined ? `≥ ${minimum}` : undefined;
  const high = node.exclusiveMaximum !== undefined ? `< ${node.exclusiveMaximum}` : maximum !== undefined ? `≤ ${maximum}` : undefined;
  if (minimum !== undefined && maximum !== undefined) return `${minimum} to ${maximum}`;
  if (low !== undefined && high !== undefined) return `${low}, ${high}`;
  return low ?? high;
}

function allowedText(node: SchemaNode): string {
  if (node.enum !== undefined) return node.enum.map((value) => code(String(value))).join(', ');
  if (node.anyOf !== undefined) return node.anyOf.map((choice) => allowedText(choice)).filter((text) => text !== '').join('; or ');
  if (node.const !== undefined) return '';
  const parts: string[] = [];
  const range = numberRange(node);
  if (range !== undefined) parts.push(range);
  if (node.type === 'string') {
    if (node.pattern === durationPattern.source) parts.push('e.g. `500ms`, `15s`, `2m`, `1h`');
    else if (node.pattern !== undefined) parts.push(`matches ${code(node.pattern)}`);
    if (node.minLength !== undefined && node.minLength > 1) parts.push(`at least ${node.minLength} characters`);
    else if (node.minLength === 1 && node.pattern === undefined) parts.push('not empty');
    if (node.maxLength !== undefined) parts.push(`at most ${node.maxLength} characters`);
  }
  if (node.type === 'array') {
    if (node.minItems !== undefined) parts.push(`at least ${node.minItems} item${node.minItems === 1 ? '' : 's'}`);
    if (node.items !== undefined && !isObjectNode(node.items)) {
      const itemRule = allowedText(node.items);
      if (itemRule !== '') parts.push(`each ${itemRule}`);
    }
  }
  return parts.join('; ');
}

function defaultText(node: SchemaNode, required: boolean): string {
  if (node.default !== undefined) {
    const value = node.default;
    return code(typeof value === 'string' ? value : JSON.stringify(value));
  }
  return required ? '**required**' : '(unset)';
}

function row(path: string, node: SchemaNode, required: boolean, descriptionPrefix = ''): FieldRow {
  return {
    path: code(path),
    type: typeText(node),
    defaultText: defaultText(node, required),
    allowed: allowedText(node),
    description: `${descriptionPrefix}${node.description ?? ''}`,
  };
}

/** Rows for `node` at `path` (relative to its block), and sub-blocks for its large unions. */
function collect(node: SchemaNode, path: string, required: boolean, block: FieldBlock, blockPath: string, descriptionPrefix = ''): void {
  if (node.oneOf !== undefined) {
    collectUnion(node, node.oneOf, path, required, block, blockPath, descriptionPrefix);
    return;
  }
  if (path !== '') block.rows.push(row(path, node, required, descriptionPrefix));
  if (isObjectNode(node)) {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      collect(child, path === '' ? key : `${path}.${key}`, node.required?.includes(key) ?? false, block, blockPath, descriptionPrefix);
    }
  } else if (node.type === 'array' && node.items !== undefined && isObjectNode(node.items)) {
    collect({ ...node.items, description: undefined }, `${path}[]`, false, block, blockPath, descriptionPrefix);
    // The items' own rows follow; drop the item row itself, which only repeats the list.
    const itemRow = block.rows.findIndex((candidate) => candidate.path === code(`${path}[]`));
    if (itemRow !== -1) block.rows.splice(itemRow, 1);
  }
}

function collectUnion(union: SchemaNode, variants: SchemaNode[], path: string, required: boolean, block: FieldBlock, blockPath: string, descriptionPrefix: string): void {
  const discriminator = discriminatorOf(variants);
  if (discriminator === undefined) {
    block.rows.push(row(path, union, required, descriptionPrefix));
    return;
  }
  const kinds = variants.map((variant) => String(variant.properties?.[discriminator]?.const));
  const inline = variants.every((variant) => Object.keys(variant.properties ?? {}).length <= inlineUnionMaxFields);
  const kindsText = kinds.map((kind) => code(kind)).join(', ');
  block.rows.push({
    path: code(path),
    type: `object, by ${code(discriminator)}`,
    defaultText: defaultText(union, required),
    allowed: `${code(discriminator)}: ${kindsText}`,
    description: `${descriptionPrefix}${union.description ?? ''}${inline ? '' : ' One sub-section per kind below.'}`,
  });
  variants.forEach((variant, index) => {
    const kind = kinds[index] ?? '';
    if (inline) {
      const when = `${descriptionPrefix}With ${code(`${discriminator}: ${kind}`)}: `;
      for (const [key, child] of Object.entries(variant.properties ?? {})) {
        if (key === discriminator) {
          block.rows.push({ ...row(`${path}.${key}`, child, true, when), type: typeText(child) });
          continue;
        }
        collect(child, `${path}.${key}`, variant.required?.includes(key) ?? false, block, blockPath, when);
      }
      return;
    }
    const variantPath = `${blockPath}${blockPath === '' || path === '' ? '' : '.'}${path}`;
    const sub: FieldBlock = {
      heading: `${code(variantPath)} with ${code(`${discriminator}: ${kind}`)}`,
      description: variant.description ?? '',
      rows: [],
      example: { source: 'template', yaml: templateYaml(path.split('.').at(-1) ?? path, variant) },
      variants: [],
    };
    collect(variant, '', true, sub, variantPath);
    block.variants.push(sub);
  });
}

/** What a field's value looks like when it has no default: a placeholder naming its type. */
function placeholder(node: SchemaNode): unknown {
  if (node.const !== undefined) return node.const;
  if (node.enum !== undefined) return node.enum[0];
  if (isObjectNode(node)) return templateValue(node);
  if (node.oneOf !== undefined) return templateValue(node.oneOf[0] ?? {});
  if (node.type === 'array') return node.items === undefined ? [] : [placeholder(node.items)];
  return `<${typeText(node).replaceAll('`', '')}>`;
}

/** An object with every default written out and every required field as a placeholder. */
function templateValue(node: SchemaNode): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (child.default !== undefined && !(typeof child.default === 'object' && child.default !== null && isObjectNode(child))) {
      value[key] = child.default;
    } else if (child.default !== undefined || (node.required?.includes(key) ?? false)) {
      value[key] = placeholder(child);
    }
  }
  return value;
}

function templateYaml(key: string, node: SchemaNode): string {
  return stringify({ [key]: templateValue(node) }, { lineWidth: 0 }).trimEnd();
}

/**
 * The top-level sections of config/example.yaml as text, comments kept: a section starts at
 * its key on column 0 and ends before the comment lines that lead into the next one.
 */
export function exampleSections(text: string): Map<string, string> {
  const lines = text.split('\n');
  const starts: { key: string; line: number }[] = [];
  lines.forEach((line, index) => {
    const match = /^([A-Za-z][A-Za-z0-9]*):/.exec(line);
    if (match?.[1] !== undefined) starts.push({ key: match[1], line: index });
  });
  const sections = new Map<string, string>();
  starts.forEach((start, index) => {
    let end = starts[index + 1]?.line ?? lines.length;
    while (end > start.line + 1 && /^\s*(#.*)?$/.test(lines[end - 1] ?? '')) end -= 1;
    sections.set(start.key, lines.slice(start.line, end).join('\n'));
  });
  return sections;
}

function optionality(section: SchemaNode, required: boolean): string {
  if (required) return 'Required.';
  if (section.default === undefined) return 'Optional: omit the section to leave it off.';
  if (Array.isArray(section.default) && section.default.length === 0) return 'Optional: an empty list when omitted.';
  return 'Optional: every field has a default.';
}

function sectionBlocks(schema: SchemaNode, examples: ReadonlyMap<string, string>): FieldBlock[] {
  return Object.entries(schema.properties ?? {}).map(([key, node]) => {
    const required = schema.required?.includes(key) ?? false;
    const isList = node.type === 'array' && node.items !== undefined;
    const body = isList && node.items !== undefined ? node.items : node;
    const fromExample = examples.get(key);
    const template = isList ? stringify({ [key]: [templateValue(body)] }, { lineWidth: 0 }).trimEnd() : templateYaml(key, body);
    const block: FieldBlock = {
      heading: code(key),
      description: [node.description ?? '', isList ? `A list; each item has the fields below (${code(`${key}[].…`)}).` : '', optionality(node, required)]
        .filter((part) => part !== '')
        .join(' '),
      rows: [],
      example: fromExample === undefined ? { source: 'template', yaml: template } : { source: 'example.yaml', yaml: fromExample },
      variants: [],
    };
    collect(body, '', true, block, isList ? `${key}[]` : key);
    return block;
  });
}

function renderTable(rows: readonly FieldRow[]): string[] {
  if (rows.length === 0) return [];
  return [
    '| Field | Type | Default | Allowed | Description |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((entry) => `| ${entry.path} | ${entry.type} | ${entry.defaultText} | ${entry.allowed} | ${cell(entry.description)} |`),
    '',
  ];
}

function renderBlock(block: FieldBlock, level: number): string[] {
  const exampleTitle = block.example.source === 'example.yaml'
    ? 'Example (from [config/example.yaml](../config/example.yaml)):'
    : 'Template (defaults written out; replace each `<…>`):';
  return [
    `${'#'.repeat(level)} ${block.heading}`,
    '',
    ...(block.description === '' ? [] : [block.description, '']),
    ...renderTable(block.rows),
    exampleTitle,
    '',
    '```yaml',
    block.example.yaml,
    '```',
    '',
    ...block.variants.flatMap((variant) => renderBlock(variant, level + 1)),
  ];
}

export function configReferenceText(): string {
  return renderConfigReference(configJsonSchema(), readFileSync(exampleConfigPath, 'utf8'));
}

/** The reference of any config JSON Schema, with examples taken from `exampleText` where it has them. */
export function renderConfigReference(schema: SchemaNode, exampleText: string): string {
  const blocks = sectionBlocks(schema, exampleSections(exampleText));
  const contents = blocks.map((block) => `- [${block.heading.replaceAll('`', '')}](#${block.heading.replaceAll('`', '').toLowerCase()})`);
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run schema` (src/config/write-config-reference.ts) from the config schema. Do not edit by hand. -->',
    '',
    'lagpilot reads one YAML file (`lagpilot run --config FILE`; check one with',
    '`lagpilot validate-config FILE`). This page lists every field the schema accepts. Conventions:',
    '',
    '- Every object is strict: an unknown or misspelled key is an error, never ignored.',
    '- Durations are text: a number and one unit, `500ms`, `15s`, `2m`, `1h`.',
    '- `${NAME}` and `${NAME:-default}` in any value are replaced from the environment; keep secrets there.',
    '- **required** fields have no default; `(unset)` means the field is optional and off or derived when omitted.',
    '- Paths: `a.b` is field `b` of object `a`; `a[].b` is field `b` of each item of list `a`.',
    '- Rules that span fields (`replicas.min` ≤ `max`, a target\'s `cluster` must be defined, unique names, …) are checked too;',
    '  `validate-config` names each problem with its path. See [daemon.md](daemon.md#the-config-file).',
    '',
    `Sections: ${contents.length} (${blocks.map((block) => block.heading).join(', ')}).`,
    '',
    ...contents,
    '',
    ...blocks.flatMap((block) => renderBlock(block, 2)),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(configReferencePath, configReferenceText());
  console.log(`wrote ${configReferencePath}`);
}
