// `npm run build`, second step: the files the compiled code reads next to itself (found through
// import.meta.url), copied into dist/ at the same relative places: device profiles
// (gateway/devices/profile-index.ts), the installer console's page (gateway/console/server.ts), the demo
// config (scripts/demo/demo-compound.ts) and the generated JSON Schemas (for editors on the box).
import { cpSync, existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
