// `npm run build`, last step: the files the bundled code reads next to itself (found through
// import.meta.url, which scripts/build.mjs keeps pointing at dist/<source path>.js), copied into dist/ at
// the same relative places: device profiles (gateway/devices/profile-index.ts), the installer console's
// page (gateway/console/server.ts), the demo config (scripts/demo/demo-compound.ts) and the generated JSON
// Schemas (for editors on the box). Then the built-in profiles' parsed YAML,
// dist/devices/profiles.cache.json (gateway/devices/profile-cache.ts), made by the sources (through tsx,
// a dev dependency) that the bundle was built from.
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'gateway', 'cli.js'))) {
  console.error('copy-build-assets: dist/gateway/cli.js is missing; scripts/build.mjs did not bundle');
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

const { listProfileFiles } = await tsImport('../gateway/devices/profile-index.ts', import.meta.url);
const { buildProfileCache, PROFILE_CACHE_FILE } = await tsImport('../gateway/devices/profile-cache.ts', import.meta.url);
const profilesDir = join(dist, 'devices');
const profiles = new Map(listProfileFiles(profilesDir).map((file) => [relative(profilesDir, file).split(sep).join('/'), readFileSync(file, 'utf8')]));
const cache = buildProfileCache(profiles);
if (Object.keys(cache.files).length !== profiles.size) {
  console.error(`copy-build-assets: ${profiles.size - Object.keys(cache.files).length} built-in profile(s) could not be cached (YAML syntax error?)`);
  process.exit(1);
}
writeFileSync(join(profilesDir, PROFILE_CACHE_FILE), JSON.stringify(cache));
