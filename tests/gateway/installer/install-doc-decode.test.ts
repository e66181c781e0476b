// Every `decode:` example in docs/install.md (zh-CN and en) is a valid source decode block, and the
// docs name no per-point `address` override (the schema has none: addresses belong to the profile).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { source as sourceSchema } from '../../../config/sections/sources.js';

const doc = readFileSync(new URL('../../../docs/install.md', import.meta.url), 'utf8');
const snippets = [...doc.matchAll(/`(decode: [^`]+)`/g)].map((m) => m[1]!);

describe('docs/install.md decode examples', () => {
  it('has the common cases in both languages', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(16);
    expect(snippets.filter((s) => s === 'decode: { defaults: { wordOrder: little } }')).toHaveLength(2);
  });

  it.each(snippets)('%s is a valid decode block', (snippet) => {
    const { decode } = parseYaml(snippet) as { decode: unknown };
    const parsed = sourceSchema.shape.decode.safeParse(decode);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('never tells the installer to override an address in decode', () => {
    expect(doc).not.toMatch(/wordOrder`\/`byteOrder`\/`address`|字序\/字节序\/地址/);
    for (const snippet of snippets) expect(snippet).not.toContain('address');
  });
});
