// npm run mutate [-- <target> ...]: StrykerJS over the core, one folder at a time (scripts/mutate-targets.mjs),
// incremental (only mutants whose code or tests changed are run again). Stryker's progress goes to stderr;
// the scores go to stdout as JSON, one object per target: mutants by status and the score, per file too.
// LM_MUTATE_CONCURRENCY (default 2) sets the test runners; LM_MUTATE_FILES=<globs> narrows a target; LM_MUTATE_CHECK=1 adds the TypeScript checker (slow here: a type check per mutant).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { targets } from './mutate-targets.mjs';

const names = process.argv.slice(2);
for (const name of names) if (!targets[name]) throw new Error(`unknown target ${name}: expected one of ${Object.keys(targets).join(', ')}`);

/** Stryker's score: detected (killed, timeout) over valid mutants (also survived, no coverage); compile errors and ignored do not count. */
function score(mutants) {
  const count = (status) => mutants.filter((m) => m.status === status).length;
  const killed = count('Killed');
  const timeout = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const valid = killed + timeout + survived + noCoverage;
  return { killed, timeout, survived, noCoverage, compileError: count('CompileError'), runtimeError: count('RuntimeError'), valid, score: valid ? Math.round((1000 * (killed + timeout)) / valid) / 10 : null };
}

let failed = false;
for (const name of names.length ? names : Object.keys(targets)) {
  process.stderr.write(`mutate: ${name} (${targets[name].mutate.join(' ')})\n`);
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], { stdio: ['ignore', 2, 2], env: { ...process.env, LM_MUTATE: name } });
  if (run.status !== 0) {
    failed = true;
    process.stderr.write(`mutate: stryker exited with ${run.status ?? run.signal} for ${name}\n`);
    continue;
  }
  const report = JSON.parse(readFileSync(`.tmp/mutation/${name}.json`, 'utf8'));
  const files = Object.entries(report.files).map(([file, { mutants }]) => ({ file, ...score(mutants) }));
  const all = score(Object.values(report.files).flatMap((f) => f.mutants));
  process.stdout.write(`${JSON.stringify({ target: name, ...all, files })}\n`);
}
process.exitCode = failed ? 1 : 0;
