// `npm run gen:schema`: rewrites config/schema/*.schema.json and the annotated reference configs
// config/reference/*.yaml from the zod schemas.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GENERATED_SCHEMAS, renderJsonSchema } from './json-schema.js';
import { REFERENCES, renderReference } from './reference.js';

for (const name of Object.keys(GENERATED_SCHEMAS) as (keyof typeof GENERATED_SCHEMAS)[]) {
  const file = fileURLToPath(new URL(`../../config/schema/${name}`, import.meta.url));
  writeFileSync(file, renderJsonSchema(name));
  console.log(`wrote ${file}`);
}

mkdirSync(fileURLToPath(new URL('../../config/reference/', import.meta.url)), { recursive: true });
for (const name of Object.keys(REFERENCES) as (keyof typeof REFERENCES)[]) {
  const file = fileURLToPath(new URL(`../../config/reference/${name}`, import.meta.url));
  writeFileSync(file, renderReference(name));
  console.log(`wrote ${file}`);
}
