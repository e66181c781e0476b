// config/schema/*.schema.json are generated from the zod schemas; this fails when someone changed a
// schema and forgot `npm run gen:schema`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GENERATED_SCHEMAS, renderJsonSchema } from '../../scripts/schema/json-schema.js';

describe('generated JSON Schema', () => {
  for (const name of Object.keys(GENERATED_SCHEMAS) as (keyof typeof GENERATED_SCHEMAS)[]) {
    it(`${name} is up to date (run "npm run gen:schema")`, () => {
      const file = fileURLToPath(new URL(`../../config/schema/${name}`, import.meta.url));
      expect(readFileSync(file, 'utf8')).toBe(renderJsonSchema(name));
    });
  }

  it('rejects unknown keys for editors too', () => {
    const site = JSON.parse(renderJsonSchema('site.schema.json'));
    expect(site.additionalProperties).toBe(false);
    expect(site.properties.sources.items.additionalProperties).toBe(false);
  });
});
