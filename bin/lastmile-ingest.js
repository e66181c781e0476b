#!/usr/bin/env node
// Entry point for the township service (`lastmile-ingest <cloud-ingest.yaml>`): runs the compiled
// cloud-ingest in dist/ (`npm run build`). From a checkout, `npm run ingest -- <file>` runs the sources.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cloud-ingest/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('lastmile-ingest: dist/ is missing; run `npm run build` first (or `npm run ingest -- <file>` from sources) / 未编译: 请先运行 npm run build');
  process.exit(1);
}
const { cloudIngestMain } = await import(main.href);
cloudIngestMain(process.argv.slice(2));
