import { defineConfig } from 'vitest/config';

// Integration tests start real peers (mosquitto, pymodbus, VictoriaMetrics) on loopback; each test file
// picks free ports, so files may run in parallel. Two workers match the 2-core CI box.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
