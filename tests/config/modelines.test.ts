// Editors validate as you type (issue 20): every device profile, the demo site config and the cloud-ingest
// example name their JSON Schema on the first line (yaml-language-server modeline), and the path resolves.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const profiles = readdirSync(join(repo, 'devices'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.yaml') && !f.endsWith('.cases.yaml') && !f.startsWith('_'))
  .map((f) => join('devices', f));
const FILES: [string, string][] = [
  ...profiles.map((f): [string, string] => [f, 'profile.schema.json']),
  ['config/examples/demo-compound.yaml', 'site.schema.json'],
  ['config/cloud-ingest.example.yaml', 'cloud-ingest.schema.json'],
];

describe('yaml-language-server modelines', () => {
  it.each(FILES)('%s names %s on its first line', (file, schema) => {
    const first = readFileSync(join(repo, file), 'utf8').split('\n')[0]!;
    const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(match, first).not.toBeNull();
    const target = resolve(dirname(join(repo, file)), match![1]!);
    expect(target).toBe(join(repo, 'config/schema', schema));
    expect(existsSync(target)).toBe(true);
  });
});
