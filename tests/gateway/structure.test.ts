// Every driver, rule and actuator folder is registered and has its fixed files (STYLE.md habit 1, issue 12),
// and every registered name has a folder; the config schemas know exactly the registered names. Reads the
// folder tree and compares it with the registries.
import { mkdirSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { profile } from '../../config/profile.js';
import { actuator } from '../../config/sections/outputs.js';
import { rule } from '../../config/sections/rules.js';
import { ACTUATOR_OPTIONS } from '../../gateway/actuators/kinds.js';
import { REGISTERED_ACTUATOR_KINDS } from '../../gateway/actuators/registry.js';
import { DRIVER_PLUGINS, REGISTERED_DRIVERS } from '../../gateway/drivers/registry.js';
import { RULE_OPTIONS } from '../../gateway/rules/kinds.js';
import { REGISTERED_RULE_KINDS } from '../../gateway/rules/registry.js';
import { tempDir } from '../helpers/peers.js';

const GATEWAY = fileURLToPath(new URL('../../gateway/', import.meta.url));

/** What is wrong with a plugin folder tree: folders nobody registered, registered names without a folder, missing files. */
function structureProblems(dir: string, registered: readonly string[], files: readonly string[]): string[] {
  const folders = readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory());
  const problems: string[] = [];
  for (const folder of folders) {
    if (!registered.includes(folder)) problems.push(`${folder}/ is not registered`);
    for (const file of files) if (!existsSync(join(dir, folder, file))) problems.push(`${folder}/ has no ${file}`);
  }
  for (const name of registered) if (!folders.includes(name)) problems.push(`${name} is registered but has no folder`);
  return problems.sort();
}

const KINDS = [
  { what: 'drivers', dir: join(GATEWAY, 'drivers'), registered: [...REGISTERED_DRIVERS], files: ['plugin.ts', 'driver.ts', 'options.ts', 'README.md'] },
  { what: 'rules', dir: join(GATEWAY, 'rules'), registered: [...REGISTERED_RULE_KINDS], files: ['options.ts', 'rule.ts', 'README.md'] },
  { what: 'actuators', dir: join(GATEWAY, 'actuators'), registered: [...REGISTERED_ACTUATOR_KINDS], files: ['options.ts', 'actuator.ts', 'README.md'] },
] as const;

describe('plugin folders', () => {
  it.each(KINDS)('$what: every folder registered with its fixed files, every registered name a folder', ({ dir, registered, files }) => {
    expect(structureProblems(dir, registered, files)).toEqual([]);
  });

  it('the config-side lists and the schemas name exactly the registered plugins', () => {
    expect(DRIVER_PLUGINS.map((p) => p.name)).toEqual(REGISTERED_DRIVERS);
    expect(profile.shape.driver.options).toEqual(REGISTERED_DRIVERS);
    expect(RULE_OPTIONS.map((k) => k.schema.shape.kind.value).sort()).toEqual([...REGISTERED_RULE_KINDS].sort());
    expect(rule.options.map((o) => o.shape.kind.value).sort()).toEqual([...REGISTERED_RULE_KINDS].sort());
    // An actuator schema is one object with `type`, or a union of them (gpio: one per role).
    const typeOf = (schema: object): string =>
      'shape' in schema ? (schema as { shape: { type: { value: string } } }).shape.type.value : typeOf((schema as { options: readonly object[] }).options[0]!);
    expect(ACTUATOR_OPTIONS.map((k) => typeOf(k.schema)).sort()).toEqual([...REGISTERED_ACTUATOR_KINDS].sort());
    expect(actuator.options.map(typeOf).sort()).toEqual([...REGISTERED_ACTUATOR_KINDS].sort());
  });

  describe('the check itself', () => {
    const tree = tempDir('structure');
    afterAll(() => tree.remove());

    it('fails on an unregistered folder, a missing options.ts or README.md, and a registered name without a folder', () => {
      for (const [folder, files] of [
        ['good', ['options.ts', 'README.md']],
        ['stray', ['options.ts', 'README.md']],
        ['no-readme', ['options.ts']],
        ['no-options', ['README.md']],
      ] as const) {
        mkdirSync(join(tree.path, folder));
        for (const file of files) writeFileSync(join(tree.path, folder, file), '');
      }
      writeFileSync(join(tree.path, 'registry.ts'), '');
      expect(structureProblems(tree.path, ['good', 'no-readme', 'no-options', 'ghost'], ['options.ts', 'README.md'])).toEqual([
        'ghost is registered but has no folder',
        'no-options/ has no options.ts',
        'no-readme/ has no README.md',
        'stray/ is not registered',
      ]);
    });
  });
});
