// The vitest configuration Stryker runs: the repository's, restricted to the tests of the folder being
// mutated (scripts/mutate-targets.mjs), one file at a time so mutant runs do not fight for the two cores.
// (Not mergeConfig: it would append to `include` instead of replacing it.)
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';
import { currentTarget } from './scripts/mutate-targets.mjs';

export default defineConfig({ ...base, test: { ...base.test, include: currentTarget().tests, maxWorkers: 1, reporters: ['dot'] } });
