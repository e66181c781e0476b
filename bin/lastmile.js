#!/usr/bin/env node
// Entry point for the `lastmile` command: runs the compiled gateway in dist/ (`npm run build`).
// From a checkout without a build, `npm run lastmile -- <command>` runs the sources through tsx instead.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/gateway/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('lastmile: dist/ is missing; run `npm run build` first (or `npm run lastmile -- <command>` from sources) / 未编译: 请先运行 npm run build');
  process.exit(1);
}
await import(cli.href);
