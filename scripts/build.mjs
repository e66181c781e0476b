// `npm run build`, after `tsc --noEmit -p tsconfig.build.json` has type-checked what ships: one esbuild
// bundle per entry point, the gateway (gateway/cli.ts → dist/gateway/cli.js) and the township
// (cloud-ingest/main.ts → dist/cloud-ingest/main.js). Each side's dynamic imports (a CLI command, a stage,
// a driver) become chunks next to its entry, loaded when they run, as from the sources. Node loads a few
// dozen files instead of about 700 modules found through node_modules, and tree-shaking leaves out what
// nothing calls: start-up to the first measurement and resident memory fell with it (issue 12,
// docs/benchmarks.md). Then scripts/copy-build-assets.mjs copies the files the code reads at run time.
//
// Left outside the bundles, loaded from node_modules at run time: native modules (they must be built for
// the box's CPU by `npm ci` there), node-opcua (large, loaded only when an opcua source is configured),
// and pino (its transports start worker threads from files resolved inside its package).
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

const EXTERNAL = ['better-sqlite3', 'serialport', '@serialport/*', 'onoff', 'epoll', 'node-opcua-client', 'node-opcua-certificate-manager', 'pino', 'pino-pretty'];

/**
 * Rewrites our own modules (not node_modules) as they are bundled:
 * - `import.meta.url` becomes the URL the module would have had at dist/<its source path>.js, so files it
 *   finds next to itself (device profiles, the console page, uplot's assets) are found at the same places
 *   as before bundling. Every output file of a side sits directly in dist/<side>/, hence one `../`.
 * - `import { z } from 'zod'` becomes `import * as z from 'zod'`: the same object (zod's index re-exports
 *   its classic API as `z`), but a namespace import lets esbuild drop what is never used (zod's 40-odd
 *   error-message locales, JSON Schema conversion): 155 kB of zod loaded instead of 608 kB.
 */
const ownModules = {
  name: 'lastmile-own-modules',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const text = await readFile(args.path, 'utf8');
      const asShipped = `../${relative(root, args.path).split(sep).join('/').replace(/\.ts$/, '.js')}`;
      const contents = text
        .replaceAll('import.meta.url', `new URL(${JSON.stringify(asShipped)}, import.meta.url).href`)
        .replace(/^import \{ z \} from 'zod';$/m, "import * as z from 'zod';");
      return contents === text ? undefined : { contents, loader: 'ts' };
    });
  },
};

await rm(dist, { recursive: true, force: true });
for (const side of ['gateway', 'cloud-ingest']) {
  const entry = side === 'gateway' ? 'gateway/cli' : 'cloud-ingest/main';
  await build({
    absWorkingDir: root,
    entryPoints: { [entry]: `${entry}.ts` },
    outdir: dist,
    chunkNames: `${side}/[name]-[hash]`,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    external: EXTERNAL,
    plugins: [ownModules],
    // Whitespace and syntax only: names stay as written, so stack traces in the journal stay readable
    // (and dist/**/*.js.map maps them back to the sources with `node --enable-source-maps`). Not
    // keepNames: it wraps every function, closures made per call included, in a call that defines its
    // `name` property, which was 2.3 % of the township worker's main thread at 1,000 gateways (aedes'
    // per-packet closures; perf, issue 19). Only a function esbuild renames for a clash between
    // modules (`Client2`) shows its new name, in a stack trace as in `.name`; nothing here reads `.name`.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    // The bundled CommonJS packages (mqtt, modbus-serial, …) call require() for Node's built-ins.
    banner: { js: "import { createRequire as __lastmileCreateRequire } from 'node:module'; const require = __lastmileCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
