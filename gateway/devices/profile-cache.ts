// The built-in profiles' parsed YAML, written by `npm run build` next to them in dist/devices/ (scripts/
// copy-build-assets.mjs), so that a gateway starting from the release does not parse every profile's YAML
// again: the yaml parser was over a third of start-up, before the first poll (issue 12, docs/benchmarks.md).
// An entry is used only for a file whose text has the SHA-256 it was made from, so an edited profile is
// parsed from its YAML as before; everything after parsing (zod, the cross-checks) runs either way.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { parseWithSchema, YamlSource, type Parsed } from '../../contract/load-yaml.js';

export const PROFILE_CACHE_FILE = 'profiles.cache.json';

/** One entry per profile file, keyed by its path under the folder (`eastron/sdm630.yaml`). */
export interface ProfileCache {
  readonly version: 1;
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly value: unknown }>>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The cache for these files (relative path → text): files with a YAML syntax error, or a value JSON cannot carry, are left out. */
export function buildProfileCache(files: ReadonlyMap<string, string>): ProfileCache {
  const entries: Record<string, { sha256: string; value: unknown }> = {};
  for (const [path, text] of files) {
    const source = new YamlSource(path, text);
    if (source.syntaxIssues().length > 0) continue;
    const value = source.value();
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(value)) as unknown, value)) continue;
    entries[path] = { sha256: sha256(text), value };
  }
  return { version: 1, files: entries };
}

/** The folder's cache, or undefined when it has none (a checkout, a site's own profilesDir) or an unreadable one. */
export function readProfileCache(dir: string): ProfileCache | undefined {
  const file = join(dir, PROFILE_CACHE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const cache = JSON.parse(readFileSync(file, 'utf8')) as ProfileCache;
    return cache.version === 1 && typeof cache.files === 'object' && cache.files !== null ? cache : undefined;
  } catch {
    return undefined; // a damaged cache costs only time: every profile is parsed from its YAML
  }
}

/**
 * parseWithSchema for a profile, taking the parsed YAML from the cache entry when it was made from this
 * text. The YamlSource (for the line and column of a cross-check problem) is then made only if asked for.
 * A value the schema refuses is parsed again from the YAML, so its problems name lines as before.
 */
export function parseProfileText<S extends z.ZodType>(file: string, text: string, schema: S, entry: ProfileCache['files'][string] | undefined): Parsed<z.infer<S>> | { ok: true; value: z.infer<S>; source: Pick<YamlSource, 'issue'> } {
  if (entry === undefined || entry.sha256 !== sha256(text)) return parseWithSchema(file, text, schema);
  const result = schema.safeParse(entry.value);
  if (!result.success) return parseWithSchema(file, text, schema);
  let source: YamlSource | undefined;
  return { ok: true, value: result.data, source: { issue: (...args) => (source ??= new YamlSource(file, text)).issue(...args) } };
}
