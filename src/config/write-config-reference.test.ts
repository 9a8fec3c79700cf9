import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { duration } from './schema/common.ts';
import { configJsonSchema, configReferencePath, configReferenceText, exampleSections, renderConfigReference } from './write-config-reference.ts';
import type { SchemaNode } from './write-config-reference.ts';

/**
 * Every field path of a JSON Schema as the reference writes it (`a.b`, `a[].b`); the kinds of a
 * union with more than three fields each get their own table, where paths start again.
 */
function fieldPaths(node: SchemaNode, path: string): string[] {
  const paths: string[] = [];
  const variants = node.oneOf ?? [node];
  const ownTables = node.oneOf?.some((variant) => Object.keys(variant.properties ?? {}).length > 3) ?? false;
  for (const variant of variants) {
    for (const [key, child] of Object.entries(variant.properties ?? {})) {
      const childPath = path === '' || ownTables ? key : `${path}.${key}`;
      paths.push(childPath, ...fieldPaths(child, childPath));
      if (child.items !== undefined) paths.push(...fieldPaths(child.items, `${childPath}[]`));
    }
  }
  return paths;
}

describe('docs/configuration.md', () => {
  it('is what the schema generates (run "npm run schema" after changing the schema or config/example.yaml)', () => {
    expect(readFileSync(configReferencePath, 'utf8')).to.equal(configReferenceText());
  });

  it('has a row with a description for every field of the schema', () => {
    const reference = configReferenceText();
    const schema = configJsonSchema();
    for (const [section, node] of Object.entries(schema.properties ?? {})) {
      const body = node.items ?? node;
      for (const path of fieldPaths(body, '')) {
        expect(reference, `${section}: ${path}`).to.match(new RegExp(`^\\| \`${path.replaceAll(/[.[\]]/g, (match) => `\\${match}`)}\` \\|`, 'm'));
      }
    }
    expect(fieldPaths(schema, '').length).to.be.greaterThan(100);
    const undescribed = reference.split('\n').filter((line) => line.startsWith('| `') && line.endsWith('|  |'));
    expect(undescribed, 'fields without a .describe() text').to.deep.equal([]);
  });

  it('writes type, default, allowed values and description of each field, and a template for a section with no example', () => {
    const section = z
      .strictObject({
        mode: z.enum(['fast', 'safe']).default('safe').describe('How to go.'),
        every: duration('Time between two looks.', '15s'),
        limit: z.int().min(1).max(64).describe('Most at once.'),
        url: z.url().optional().describe('Where to look.'),
      })
      .describe('A made-up section.');
    const schema = z.toJSONSchema(z.strictObject({ watch: section }), { io: 'input', target: 'draft-2020-12' }) as SchemaNode;
    const reference = renderConfigReference(schema, '');
    expect(reference).to.contain('## `watch`\n\nA made-up section. Required.');
    expect(reference).to.contain('| `mode` | string | `safe` | `fast`, `safe` | How to go. |');
    expect(reference).to.contain('| `every` | duration | `15s` | e.g. `500ms`, `15s`, `2m`, `1h` | Time between two looks. |');
    expect(reference).to.contain('| `limit` | integer | **required** | 1 to 64 | Most at once. |');
    expect(reference).to.contain('| `url` | URL | (unset) |  | Where to look. |');
    expect(reference).to.contain('Template (defaults written out; replace each `<…>`):\n\n```yaml\nwatch:\n  mode: safe\n  every: 15s\n  limit: <integer>\n```');
  });

  it('takes a section\'s example from config/example.yaml with its comments, up to the comments that lead into the next section', () => {
    const sections = exampleSections('# head\nlog:\n  level: info  # why\n\n# The next one.\nshutdown:\n  deadline: 20s\n');
    expect(sections.get('log')).to.equal('log:\n  level: info  # why');
    expect(sections.get('shutdown')).to.equal('shutdown:\n  deadline: 20s');
  });
});
