// StrykerJS for one core folder at a time (scripts/mutate.mjs sets LM_MUTATE and runs this per target).
// Vitest runs only the target's tests (vitest.stryker.config.ts), one or two at once on the 2-core box,
// and (with LM_MUTATE_CHECK=1) the TypeScript checker drops mutants that would not compile. Incremental: a
// re-run tests only the mutants whose code or tests changed since the last run
// (.tmp/mutation/<target>.incremental.json). LM_MUTATE_FILES / LM_MUTATE_TESTS (comma-separated globs)
// narrow a target to some of its files and tests; such a run has its own report and incremental file
// (.tmp/mutation/<target>--<globs>.*), and scripts/mutate.mjs merges the reports of a target per file.
// String literals are not mutated: they are almost all log and error texts, which no
// test should pin word for word, and each such mutant costs a full run of real-peer tests on this box.
// Static mutants (module-level constants, which need every test re-run) are skipped for the same reason.
import { currentTarget } from './scripts/mutate-targets.mjs';

const target = currentTarget();

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: false },
  checkers: process.env.LM_MUTATE_CHECK ? ['typescript'] : [],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: target.mutate,
  // Each mutant runs only the tests that covered it in the dry run (the default, stated: the run is only
  // feasible on this box because a mutant in one file does not re-run a whole folder's tests).
  coverageAnalysis: 'perTest',
  mutator: { excludedMutations: ['StringLiteral'] },
  ignoreStatic: true,
  ignorePatterns: ['.tmp', 'dist', 'coverage', 'var', 'reports'],
  tempDirName: '.tmp/stryker',
  cleanTempDir: 'always',
  concurrency: Number(process.env.LM_MUTATE_CONCURRENCY ?? 2),
  // A mutant times out after 2 x its tests' dry-run time + 5 s: an endless loop costs seconds, not minutes,
  // and a loaded box (other helpers' benches) still leaves a healthy run room.
  timeoutMS: 5_000,
  timeoutFactor: 2,
  // The dry run (every test of the target once, with coverage) is bounded too.
  dryRunTimeoutMinutes: 5,
  incremental: true,
  incrementalFile: `.tmp/mutation/${target.report}.incremental.json`,
  // One file per target and run: scripts/mutate.mjs reads the JSON report.
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: `.tmp/mutation/${target.report}.json` },
  htmlReporter: { fileName: `.tmp/mutation/${target.report}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  thresholds: { high: 80, low: 60, break: null },
};
