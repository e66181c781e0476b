// Every rule folder is registered and documented (STYLE.md habit 1), and every registered kind has a folder.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rule } from '../../../config/sections/rules.js';
import { REGISTERED_RULE_KINDS } from '../../../gateway/rules/registry.js';

const RULES_DIR = fileURLToPath(new URL('../../../gateway/rules/', import.meta.url));

describe('rule registry', () => {
  const folders = readdirSync(RULES_DIR).filter((name) => statSync(join(RULES_DIR, name)).isDirectory());

  it('registers exactly the rule folders, and the schema knows the same kinds', () => {
    expect([...folders].sort()).toEqual([...REGISTERED_RULE_KINDS].sort());
    expect([...rule.options.map((o) => o.shape.kind.value)].sort()).toEqual([...REGISTERED_RULE_KINDS].sort());
  });

  it.each(folders)('%s has rule.ts and README.md', (folder) => {
    expect(existsSync(join(RULES_DIR, folder, 'rule.ts'))).toBe(true);
    expect(existsSync(join(RULES_DIR, folder, 'README.md'))).toBe(true);
  });
});
