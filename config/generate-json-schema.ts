// `npm run gen:schema`: rewrites config/schema/*.schema.json from the zod schemas.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GENERATED_SCHEMAS, renderJsonSchema } from './json-schema.js';

for (const name of Object.keys(GENERATED_SCHEMAS) as (keyof typeof GENERATED_SCHEMAS)[]) {
  const file = fileURLToPath(new URL(`./schema/${name}`, import.meta.url));
  writeFileSync(file, renderJsonSchema(name));
  console.log(`wrote ${file}`);
}
