// Test harness for the Modbus driver: a real GatewayRuntime (decoder, event bus, ModbusDriver) built from a
// site config written in the test, with every measurement, fault, status change and log line recorded.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parseSiteConfig } from '../../../../config/load-site.js';
import type { Measurement, PointFault, Reading, SourceStatus } from '../../../../gateway/pipeline/types.js';
import { GatewayRuntime, type RuntimeOptions } from '../../../../gateway/runtime.js';
import { tempDir } from '../../../helpers/peers.js';

/** The one bounded wait (tests/helpers/wait.ts), for the tests built on this harness. */
export { waitFor } from '../../../helpers/wait.js';

export interface SiteParts {
  buses: Record<string, unknown>[];
  sources: Record<string, unknown>[];
  /** Extra profiles folder (relative to the temp dir the config is written in, or absolute). */
  profilesDir?: string;
}

export interface Recorded {
  readonly runtime: GatewayRuntime;
  readonly readings: Reading[];
  readonly measurements: Measurement[];
  readonly faults: PointFault[];
  readonly statuses: SourceStatus[];
  readonly logs: Record<string, unknown>[];
  counter(name: string, labels?: Record<string, string>): number;
  stop(): Promise<void>;
}

export function siteConfigText(parts: SiteParts, spoolDir?: string): string {
  // JSON is YAML, so the site config is written exactly as an installer's file would be parsed.
  return JSON.stringify({
    version: 1,
    gateway: { township: 'test-town', compound: 'test-compound', id: 'gw-test', ...(parts.profilesDir ? { profilesDir: parts.profilesDir } : {}) },
    buses: parts.buses,
    sources: parts.sources.map((s) => ({ tags: { building: '1' }, ...s })),
    // The spool always runs (with or without an uplink): each test gateway gets its own.
    ...(spoolDir ? { spool: { dir: `${spoolDir}/spool` } } : {}),
  });
}

export async function startGateway(parts: SiteParts, options: Pick<RuntimeOptions, 'clock'> = {}): Promise<Recorded> {
  const dir = tempDir('modbus-site');
  const loaded = parseSiteConfig(`${dir.path}/site.yaml`, siteConfigText(parts, dir.path));
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const runtime = new GatewayRuntime(loaded, { ...options, log: pino({ level: 'debug' }, sink) });
  const recorded: Recorded = {
    runtime,
    readings: [],
    measurements: [],
    faults: [],
    statuses: [],
    logs,
    counter: (name, labels = {}) => runtime.context.stats.counter(name, labels),
    stop: async () => {
      await runtime.stop();
      dir.remove();
    },
  };
  const { events } = runtime.context;
  events.on('reading', (r) => recorded.readings.push(r));
  events.on('measurement', (m) => recorded.measurements.push(m));
  events.on('fault', (f) => recorded.faults.push(f));
  events.on('source.status', (s) => recorded.statuses.push(s));
  await runtime.start();
  return recorded;
}

/** The latest value of one point of one source. */
export function latest(recorded: Recorded, source: string, point: string): Measurement | undefined {
  for (let i = recorded.measurements.length - 1; i >= 0; i--) {
    const m = recorded.measurements[i]!;
    if (m.source === source && m.point === point) return m;
  }
  return undefined;
}
