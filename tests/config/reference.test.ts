// config/reference/*.yaml (every option with its description and default, Telegraf's sample config) are
// generated from the zod schemas; this fails when someone changed a schema and forgot `npm run gen:schema`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REFERENCES, renderReference } from '../../scripts/schema/reference.js';

describe('generated reference configs', () => {
  for (const name of Object.keys(REFERENCES) as (keyof typeof REFERENCES)[]) {
    it(`config/reference/${name} is up to date (run "npm run gen:schema")`, () => {
      const file = fileURLToPath(new URL(`../../config/reference/${name}`, import.meta.url));
      expect(readFileSync(file, 'utf8')).toBe(renderReference(name));
    });
  }

  it('lists every option with its default and description, and is valid YAML', () => {
    const site = renderReference('site.yaml');
    expect(parse(site)).toEqual({ version: 1 });
    expect(site).toContain('# log:');
    expect(site).toContain('  # level: "info"');
    expect(site).toContain("LASTMILE_LOG_LEVEL overrides");
    expect(site).toMatch(/# stateEvery: "10s"/);
    expect(site).toMatch(/# - type: "rtu"/);
    const ingest = renderReference('cloud-ingest.yaml');
    expect(ingest).toContain('  # level: "info"');
    expect(ingest).toMatch(/# dataDir: "\/var\/lib\/lastmile-ingest"/);
  });
});
