// npm run mutate [-- <target> ...]: StrykerJS over the core, one folder at a time (scripts/mutate-targets.mjs),
// incremental (only mutants whose code or tests changed are run again). Stryker's progress goes to stderr;
// the scores go to stdout as JSON, one object per target: mutants by status and the score, per file too,
// for this run and for the whole folder so far (narrowed runs merged, scripts/mutate-targets.mjs reportName).
// LM_MUTATE_CONCURRENCY (default 2) sets the test runners; LM_MUTATE_FILES=<globs> narrows a target; LM_MUTATE_CHECK=1 adds the TypeScript checker (slow here: a type check per mutant).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { reportName, targets } from './mutate-targets.mjs';

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

/**
 * Every report of a target (the whole folder's and the narrowed runs'), each file's mutants taken from the
 * newest report that has the file: the folder's score as far as it has been run.
 */
function merged(name) {
  const dir = '.tmp/mutation';
  const reports = readdirSync(dir)
    .filter((f) => (f === `${name}.json` || f.startsWith(`${name}--`)) && f.endsWith('.json') && !f.endsWith('.incremental.json'))
    .map((f) => ({ path: `${dir}/${f}`, mtime: statSync(`${dir}/${f}`).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime);
  const byFile = new Map();
  for (const { path } of reports) for (const [file, { mutants }] of Object.entries(JSON.parse(readFileSync(path, 'utf8')).files)) byFile.set(file, mutants);
  const files = [...byFile].sort(([a], [b]) => a.localeCompare(b)).map(([file, mutants]) => ({ file, ...score(mutants) }));
  return { ...score([...byFile.values()].flat()), files };
}

let failed = false;
for (const name of names.length ? names : Object.keys(targets)) {
  process.stderr.write(`mutate: ${name} (${(process.env.LM_MUTATE_FILES ?? targets[name].mutate.join(' '))})\n`);
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], { stdio: ['ignore', 2, 2], env: { ...process.env, LM_MUTATE: name } });
  const report = `.tmp/mutation/${reportName(name)}.json`;
  if (run.status !== 0 || !existsSync(report)) {
    failed = true;
    process.stderr.write(`mutate: stryker exited with ${run.status ?? run.signal} for ${name}\n`);
    continue;
  }
  const reported = Object.entries(JSON.parse(readFileSync(report, 'utf8')).files);
  const files = reported.map(([file, { mutants }]) => ({ file, ...score(mutants) }));
  const all = score(reported.flatMap(([, { mutants }]) => mutants));
  // run: this run's files; folder: every file of the target run so far (narrowed runs merged, newest per file).
  process.stdout.write(`${JSON.stringify({ target: name, run: { ...all, files }, folder: merged(name) })}\n`);
}
process.exitCode = failed ? 1 : 0;
