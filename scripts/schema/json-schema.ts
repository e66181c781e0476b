// JSON Schema for editors (YAML language server, VS Code), generated from the zod schemas so the two
// can never disagree; tests/config/json-schema.test.ts fails when config/schema/*.json is stale.
import { z } from 'zod';
import { cloudIngestConfig } from '../../cloud-ingest/config.js';
import { profile } from '../../config/profile.js';
import { siteConfig } from '../../config/site.js';

export const GENERATED_SCHEMAS = {
  'site.schema.json': { schema: siteConfig, title: 'lastmile site config (gateway)' },
  'profile.schema.json': { schema: profile, title: 'lastmile device profile' },
  'cloud-ingest.schema.json': { schema: cloudIngestConfig, title: 'lastmile cloud-ingest config (township)' },
} as const;

/** The JSON text of one schema, stable across runs (sorted by construction, 2-space indent, trailing newline). */
export function renderJsonSchema(name: keyof typeof GENERATED_SCHEMAS): string {
  const { schema, title } = GENERATED_SCHEMAS[name];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return JSON.stringify({ ...json, title }, null, 2) + '\n';
}
