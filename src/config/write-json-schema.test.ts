import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { configJsonSchemaText, jsonSchemaPath } from './write-json-schema.ts';

describe('config/lagpilot.schema.json', () => {
  it('is what the schema generates (run "npm run schema" after changing the schema)', () => {
    expect(readFileSync(jsonSchemaPath, 'utf8')).to.equal(configJsonSchemaText());
  });

  it('refuses unknown keys and documents defaults, for editors', () => {
    const schema = JSON.parse(configJsonSchemaText()) as {
      additionalProperties: boolean;
      properties: { targets: { items: { properties: { interval: { default: string; pattern: string } } } } };
    };
    expect(schema.additionalProperties).to.equal(false);
    expect(schema.properties.targets.items.properties.interval.default).to.equal('15s');
    expect(new RegExp(schema.properties.targets.items.properties.interval.pattern).test('250ms')).to.equal(true);
  });
});
