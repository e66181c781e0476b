// The core folders that `npm run mutate` mutates, each with the test files that guard it. A run mutates one
// target at a time (the tests of one folder, not the whole suite: the box has two cores), so each target
// names only the tests that exercise its code; crash.test.ts is left out because its child process never
// runs an active mutant.
import { createHash } from 'node:crypto';

export const targets = {
  spool: { mutate: ['gateway/spool/**/*.ts'], tests: ['tests/gateway/spool/*.test.ts'] },
  uplink: { mutate: ['gateway/uplink/**/*.ts'], tests: ['tests/gateway/uplink/{stages,tls-credentials,tls-refusal,alarm-priority,busy-refusal,sender-receipts,wire,uplink-broker,uplink-aedes}.test.ts', 'tests/contract/errors.test.ts'] },
  ingest: {
    mutate: ['cloud-ingest/ingest/**/*.ts'],
    // The unit-level set: the core and the writer against an in-process InfluxDB v2 write endpoint
    // (ingest-core, writer-http), the embedded broker in process (client-id, broker-queue, admission) and
    // the external one behind mosquitto (broker-contract), and the pure parts. The end-to-end files that
    // start VictoriaMetrics (ingest, writer, shared-subscription, uplink-e2e) stay in the suite but out of
    // this run: each mutant re-ran their database start. So does tests/hostile/line-checks.test.ts: its
    // 60 KB-line window flood takes over 30 s under Stryker's instrumentation (units.test.ts checks the
    // same line checks). tests/hostile/township-logins.test.ts is in (3 s): the embedded broker's login
    // limits, the -doctor twin and the packet-size cut.
    tests: ['tests/cloud-ingest/{ingest-core,writer-http,units,client-id,broker-queue,broker-contract,admission,decompress,dedup-journal,receipts,series-budget,recent-window-memory,recent-window-budgets,embedded-broker-acl,external-broker-client,line-protocol,line-post}.test.ts', 'tests/hostile/township-logins.test.ts'],
  },
  // tests/contract/wire.test.ts: the parsers and rules alone (there never was a tests/cloud-ingest/contract.test.ts).
  contract: { mutate: ['contract/wire.ts', 'contract/vocabulary.ts'], tests: ['tests/contract/wire.test.ts', 'tests/cloud-ingest/ingest.test.ts', 'tests/gateway/uplink/stages.test.ts'] },
  // The RTU files (rtu-line-faults, rtu-pymodbus) stay out: Stryker's vitest runner runs tests in worker
  // threads, and serialport's native poller aborts the whole process there (SIGABRT, "Entering the V8 API
  // without proper locking") when a worker ends with a pty open; the RTU-only code is reported as not covered.
  modbus: { mutate: ['gateway/drivers/modbus/**/*.ts'], tests: ['tests/gateway/drivers/modbus/{backoff,dead-device-bound,fault,faults,overlap,plan,driver,poller-schedule,profile-checks,site-checks,tcp-client,tcp-pymodbus,tcp-servertcp,transport,transport-tcp}.test.ts', 'tests/hostile/modbus-tcp-framing.test.ts'] },
  // tests/gateway/devices holds the folder's own unit tests (ranges, device time, profile cache, state
  // keys) and dlt645/profile-check the DL/T 645 point checks (dlt645-point.ts) at profile load.
  devices: { mutate: ['gateway/devices/**/*.ts'], tests: ['tests/devices/*.test.ts', 'tests/gateway/devices/*.test.ts', 'tests/gateway/pipeline/decoder.test.ts', 'tests/gateway/drivers/modbus/plan.test.ts', 'tests/gateway/drivers/dlt645/profile-check.test.ts'] },
  rules: { mutate: ['gateway/rules/**/*.ts'], tests: ['tests/gateway/rules/*.test.ts'] },
  alarms: { mutate: ['gateway/alarms/**/*.ts'], tests: ['tests/gateway/alarms/*.test.ts', 'tests/gateway/actuators/silence-button.test.ts'] },
};

/**
 * The target named by LM_MUTATE (set by scripts/mutate.mjs), failing with the list of names.
 * LM_MUTATE_FILES and LM_MUTATE_TESTS (comma-separated globs) narrow it to some files and tests.
 */
export function currentTarget() {
  const name = process.env.LM_MUTATE ?? '';
  const target = targets[name];
  if (!target) throw new Error(`LM_MUTATE=${JSON.stringify(name)}: expected one of ${Object.keys(targets).join(', ')}`);
  const list = (value) => (value ? value.split(',') : undefined);
  return { name, mutate: list(process.env.LM_MUTATE_FILES) ?? target.mutate, tests: list(process.env.LM_MUTATE_TESTS) ?? target.tests, report: reportName(name) };
}

/**
 * The report and incremental-file name of a run: the target's name, or for a run narrowed by
 * LM_MUTATE_FILES / LM_MUTATE_TESTS the target's name and the globs, so a narrowed run keeps its own
 * incremental results (and does not overwrite the whole folder's) and scripts/mutate.mjs can merge them.
 */
export function reportName(name) {
  const narrowed = [process.env.LM_MUTATE_FILES, process.env.LM_MUTATE_TESTS && `tests=${process.env.LM_MUTATE_TESTS}`].filter(Boolean).join('+');
  if (!narrowed) return name;
  const readable = narrowed.replace(/[^A-Za-z0-9.=+-]+/g, '_');
  // A file name has at most 255 bytes (the .incremental.json suffix included): a long list of globs
  // keeps its start and a hash of the whole, so two different narrowings never share a report.
  if (readable.length <= 160) return `${name}--${readable}`;
  return `${name}--${readable.slice(0, 120)}-${createHash('sha256').update(narrowed).digest('hex').slice(0, 16)}`;
}
