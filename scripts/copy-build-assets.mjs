// `npm run build`, second step: the files the compiled code reads next to itself (found through
// import.meta.url), copied into dist/ at the same relative places: device profiles
// (gateway/devices/profile-index.ts), the installer console's page (gateway/console/server.ts), the demo
// config (scripts/demo/demo-compound.ts) and the generated JSON Schemas (for editors on the box). Then the
// built-in profiles' parsed YAML, dist/devices/profiles.cache.json (gateway/devices/profile-cache.ts).
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'gateway', 'cli.js'))) {
  console.error('copy-build-assets: dist/gateway/cli.js is missing; tsc -p tsconfig.build.json did not emit');
  process.exit(1);
}
const assets = [
  { from: 'devices', keep: (file) => file.endsWith('.yaml') },
  { from: 'gateway/console/static' },
  { from: 'config/examples' },
  { from: 'config/schema' },
];
for (const { from, keep } of assets) {
  const target = join(dist, from);
  rmSync(target, { recursive: true, force: true });
  cpSync(join(root, from), target, { recursive: true, filter: (src) => !keep || statSync(src).isDirectory() || keep(src) });
}

const { BUILTIN_PROFILES_DIR, listProfileFiles } = await import(pathToFileURL(join(dist, 'gateway/devices/profile-index.js')).href);
const { buildProfileCache, PROFILE_CACHE_FILE } = await import(pathToFileURL(join(dist, 'gateway/devices/profile-cache.js')).href);
const profiles = new Map(listProfileFiles(BUILTIN_PROFILES_DIR).map((file) => [relative(BUILTIN_PROFILES_DIR, file).split(sep).join('/'), readFileSync(file, 'utf8')]));
const cache = buildProfileCache(profiles);
if (Object.keys(cache.files).length !== profiles.size) {
  console.error(`copy-build-assets: ${profiles.size - Object.keys(cache.files).length} built-in profile(s) could not be cached (YAML syntax error?)`);
  process.exit(1);
}
writeFileSync(join(BUILTIN_PROFILES_DIR, PROFILE_CACHE_FILE), JSON.stringify(cache));
