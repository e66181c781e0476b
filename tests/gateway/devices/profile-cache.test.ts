// The built-in profiles' parsed YAML cached by `npm run build` (gateway/devices/profile-cache.ts): the
// index it gives is the one the YAML gives, an entry counts only for the exact text it was made from, and
// a problem found in a cached profile still names its file and line.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProfileCache, PROFILE_CACHE_FILE, readProfileCache, type ProfileCache } from '../../../gateway/devices/profile-cache.js';
import { BUILTIN_PROFILES_DIR, listProfileFiles, ProfileIndex } from '../../../gateway/devices/profile-index.js';
import { tempDir } from '../../helpers/peers.js';

const dir = tempDir('profile-cache');
afterAll(() => dir.remove());

const METER = `id: test/meter
vendor: Test
model: M1
name: { zh: 表, en: Meter }
class: power
driver: modbus
references: [https://example.com/manual]
heartbeat: { every: 5m }
defaults: { function: 4 }
points:
  - { id: voltage, address: 0, unit: V, range: { min: 0, max: 400 } }
`;

/** A profiles folder holding these files (path → text), with a cache made from `cached` (default: the same texts). */
function folder(name: string, files: Record<string, string>, cached: Record<string, string> = files): string {
  const root = join(dir.path, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  writeFileSync(join(root, PROFILE_CACHE_FILE), JSON.stringify(buildProfileCache(new Map(Object.entries(cached)))));
  return root;
}

function loadError(root: string): string {
  try {
    ProfileIndex.load([root]);
    return 'loaded';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('profile cache', () => {
  it('gives the same index as the YAML for every built-in profile', () => {
    const root = join(dir.path, 'builtin');
    cpSync(BUILTIN_PROFILES_DIR, root, { recursive: true });
    const texts = new Map(listProfileFiles(root).map((file) => [relative(root, file).split(sep).join('/'), readFileSync(file, 'utf8')]));
    const cache = buildProfileCache(texts);
    expect(Object.keys(cache.files).sort()).toEqual([...texts.keys()].sort());
    writeFileSync(join(root, PROFILE_CACHE_FILE), JSON.stringify(cache));
    const fromYaml = ProfileIndex.load([BUILTIN_PROFILES_DIR]);
    const fromCache = ProfileIndex.load([root]);
    expect(fromCache.ids()).toEqual(fromYaml.ids());
    for (const id of fromYaml.ids()) expect(fromCache.get(id), id).toEqual(fromYaml.get(id));
  });

  it('uses an entry for the text it was made from', () => {
    const root = folder('used', { 'test/meter.yaml': METER });
    const cacheFile = join(root, PROFILE_CACHE_FILE);
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as ProfileCache;
    (cache.files['test/meter.yaml']!.value as { model: string }).model = 'from-the-cache';
    writeFileSync(cacheFile, JSON.stringify(cache));
    expect(ProfileIndex.load([root]).get('test/meter')!.model).toBe('from-the-cache');
  });

  it('parses an edited profile from its YAML, not from the entry made before the edit', () => {
    const root = folder('edited', { 'test/meter.yaml': METER.replace('model: M1', 'model: M2') }, { 'test/meter.yaml': METER });
    expect(ProfileIndex.load([root]).get('test/meter')!.model).toBe('M2');
  });

  it('names the file and line of a problem in a cached profile, as the YAML does', () => {
    const broken = `${METER}  - { id: voltage, address: 2, unit: V }\n`;
    const withCache = folder('problem', { 'test/meter.yaml': broken });
    const without = join(dir.path, 'problem-no-cache');
    mkdirSync(join(without, 'test'), { recursive: true });
    writeFileSync(join(without, 'test/meter.yaml'), broken);
    const message = loadError(withCache);
    expect(message).toContain('meter.yaml:12');
    expect(message).toContain('duplicate point id "voltage"');
    expect(message.replace(withCache, '')).toBe(loadError(without).replace(without, ''));
  });

  it('reports a value the schema refuses with its line, even when the entry matches', () => {
    const root = folder('refused', { 'test/meter.yaml': METER.replace('class: power', 'class: teapot') });
    expect(loadError(root)).toMatch(/meter\.yaml:5:\d+.*class/s);
  });

  it('ignores a damaged cache file', () => {
    const root = folder('damaged', { 'test/meter.yaml': METER });
    writeFileSync(join(root, PROFILE_CACHE_FILE), '{"version": 1, "files": ');
    expect(ProfileIndex.load([root]).get('test/meter')!.model).toBe('M1');
  });

  it('leaves out a file with a YAML syntax error', () => {
    expect(buildProfileCache(new Map([['test/bad.yaml', 'id: [unclosed\n']])).files).toEqual({});
  });

  it('leaves out a file whose value JSON cannot carry (YAML .inf and .nan)', () => {
    const files = new Map([
      ['test/inf.yaml', 'id: test/inf\nscale: .inf\n'],
      ['test/nan.yaml', 'id: test/nan\nscale: .nan\n'],
      ['test/ok.yaml', 'id: test/ok\nscale: 0.1\n'],
    ]);
    expect(Object.keys(buildProfileCache(files).files)).toEqual(['test/ok.yaml']);
  });

  it('reads only a cache of its own version with a files table', () => {
    const at = (name: string, text: string | undefined) => {
      const root = join(dir.path, name);
      mkdirSync(root, { recursive: true });
      if (text !== undefined) writeFileSync(join(root, PROFILE_CACHE_FILE), text);
      return readProfileCache(root);
    };
    expect(at('none', undefined)).toBeUndefined();
    expect(at('v1', '{"version": 1, "files": {}}')).toEqual({ version: 1, files: {} });
    expect(at('v2', '{"version": 2, "files": {}}')).toBeUndefined();
    expect(at('no-files', '{"version": 1}')).toBeUndefined();
    expect(at('null-files', '{"version": 1, "files": null}')).toBeUndefined();
    expect(at('text-files', '{"version": 1, "files": "x"}')).toBeUndefined();
  });
});
