// Preloaded into a `lastmile` child by lazy-modules.test.ts: appends the URL of every module the process
// loads (ESM, and the packages CommonJS code requires) to the file named by LASTMILE_TEST_MODULE_LOG.
import { appendFileSync } from 'node:fs';
import { Module, register } from 'node:module';

const log = process.env.LASTMILE_TEST_MODULE_LOG;
register(new URL('./record-modules-hooks.mjs', import.meta.url), { data: { log } });
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const loaded = load.call(this, request, parent, isMain);
  try {
    appendFileSync(log, `${Module._resolveFilename(request, parent, isMain)}\n`);
  } catch {
    // a builtin or an unresolvable request: nothing on disk to record
  }
  return loaded;
};
