// `npm run schema`: writes config/lagpilot.schema.json from the zod schema, so editors (via a
// `# yaml-language-server: $schema=...` line) complete and check config files. The committed file
// is checked against the schema by a unit test, so it cannot drift.
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from './schema.ts';

export const jsonSchemaPath = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'config', 'lagpilot.schema.json');

/** The JSON Schema of what a person writes (durations as text, defaults optional). */
export function configJsonSchemaText(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify({ ...schema, title: 'lagpilot configuration' }, null, 2)}\n`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(jsonSchemaPath, configJsonSchemaText());
  console.log(`wrote ${jsonSchemaPath}`);
}
