// Prometheus-style /metrics, /healthz and /readyz, for the gateway (gateway/metrics-stage.ts) and for
// cloud-ingest (cloud-ingest/metrics/server.ts). The counters and gauges are the ones Stats already
// holds: `spool.dropped{lane=telemetry}` is written `lastmile_spool_dropped_total{lane="telemetry"}`.
//
// A small exposition writer rather than prom-client: Stats names are made at run time
// (`modbus.${fault.kind}`), while prom-client wants each metric registered up front with its label
// names; and the Pi gateway is counted in megabytes (issue 12), so no registry that copies every value.
// Shared like stats.ts and logger.ts, which both sides already import; it moves with them into the
// contract module.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StatEntry, Stats } from './stats.js';

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Returns undefined when fine, or why not (shown by /healthz and /readyz, logged by nobody: the prober decides). */
export type Probe = () => string | undefined;

/** `modbus.timeout` → `lastmile_modbus_timeout`; anything outside [a-zA-Z0-9_] becomes `_`. */
export function metricName(prefix: string, name: string): string {
  const clean = `${prefix}${name}`.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

function labelName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(clean) || clean.startsWith('__') ? `_${clean.replace(/^_+/, '')}` : clean;
}

/** Label values are escaped as the format says: backslash, double quote and line feed. */
function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelSet(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${labelName(k)}="${labelValue(v)}"`).join(',')}}`;
}

function sample(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** The process itself, named as Prometheus client libraries name them, so the usual dashboards work. */
function processEntries(): { name: string; kind: 'counter' | 'gauge'; help: string; value: number }[] {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return [
    { name: 'process_resident_memory_bytes', kind: 'gauge', help: 'Resident memory size in bytes.', value: memory.rss },
    { name: 'process_cpu_seconds_total', kind: 'counter', help: 'User and system CPU time spent in seconds.', value: (cpu.user + cpu.system) / 1e6 },
    { name: 'process_start_time_seconds', kind: 'gauge', help: 'Start time of the process since unix epoch in seconds.', value: Math.round(Date.now() / 1000 - process.uptime()) },
    { name: 'nodejs_heap_size_used_bytes', kind: 'gauge', help: 'V8 heap used in bytes.', value: memory.heapUsed },
    { name: 'nodejs_heap_size_total_bytes', kind: 'gauge', help: 'V8 heap size in bytes.', value: memory.heapTotal },
    { name: 'nodejs_external_memory_bytes', kind: 'gauge', help: 'Memory of C++ objects bound to JavaScript objects (buffers included) in bytes.', value: memory.external },
  ];
}

/**
 * The whole exposition: every Stats counter (suffix `_total`) and gauge, grouped by name with one
 * TYPE line each, `constLabels` (e.g. {gateway: 'gw-1'}) on every Stats sample, then the process metrics.
 */
export function prometheusText(stats: Stats, prefix = 'lastmile_', constLabels: Readonly<Record<string, string>> = {}): string {
  const families = new Map<string, { kind: StatEntry['kind']; samples: string[] }>();
  for (const entry of stats.entries()) {
    let name = metricName(prefix, entry.name) + (entry.kind === 'counter' && !entry.name.endsWith('_total') ? '_total' : '');
    let family = families.get(name);
    // A name used both as counter and gauge would give one family two types: the second gets its kind appended.
    if (family && family.kind !== entry.kind) {
      name = `${name}_${entry.kind}`;
      family = families.get(name);
    }
    if (!family) families.set(name, (family = { kind: entry.kind, samples: [] }));
    family.samples.push(`${name}${labelSet({ ...constLabels, ...entry.labels })} ${sample(entry.value)}`);
  }
  const lines: string[] = [];
  for (const [name, { kind, samples }] of [...families].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    lines.push(`# TYPE ${name} ${kind}`, ...samples);
  }
  for (const p of processEntries()) lines.push(`# HELP ${p.name} ${p.help}`, `# TYPE ${p.name} ${p.kind}`, `${p.name} ${sample(p.value)}`);
  return `${lines.join('\n')}\n`;
}

export interface MetricsServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly stats: Stats;
  readonly prefix?: string;
  readonly constLabels?: Readonly<Record<string, string>>;
  /** /healthz: the process should keep running (a failed one is what systemd or compose restarts). */
  readonly health: readonly Probe[];
  /** /readyz: the service does its job now (started, not stopping). */
  readonly ready: readonly Probe[];
  /** Runs before each /metrics answer: sets the gauges that are read, not counted (sizes of bounded structures). */
  readonly collect?: () => void;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

function probeAnswer(response: ServerResponse, probes: readonly Probe[]): void {
  const reasons = probes.map((probe) => probe()).filter((r): r is string => r !== undefined);
  response.writeHead(reasons.length === 0 ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(reasons.length === 0 ? { ok: true } : { ok: false, reasons }));
}

function handle(options: MetricsServerOptions, request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (path === '/metrics') {
    options.collect?.();
    response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
    response.end(prometheusText(options.stats, options.prefix, options.constLabels));
  } else if (path === '/healthz') probeAnswer(response, options.health);
  else if (path === '/readyz') probeAnswer(response, options.ready);
  else response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('try /metrics, /healthz or /readyz\n');
}

/** Listens on host:port; rejects with the address when it cannot bind (the caller names its config path). */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => handle(options, request, response));
  // Scrapers keep connections open; they must not hold close() up.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: Error) => reject(new Error(`metrics listener on ${options.host}:${options.port}: ${error.message}`)));
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
