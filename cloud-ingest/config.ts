// cloud-ingest instance config: broker (embedded aedes or an external cluster), InfluxDB, stores, console staff.
// Loaded from YAML with located errors (file:line path), validated once and frozen.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, deepFreeze, parseWithSchema } from '../contract/load-yaml.js';
import { id, logSettings } from '../contract/config-atoms.js';
import { listenerTls } from '../contract/listener-tls.js';
import { workflowSection } from './alarms/options.js';
import { databaseSection } from './db/options.js';
import { notifySection } from './notify/options.js';
import { viewsSection } from './views/options.js';


const embeddedBroker = z.strictObject({
  type: z.literal('embedded').describe('aedes inside this process: the demo and small townships need nothing else'),
  host: z.string().default('127.0.0.1').describe('Loopback by default; set the address gateways reach, with tls, to serve them'),
  port: z.number().int().min(0).max(65535).default(1883).describe('0 = any free port (tests); 8883 is usual with tls'),
  tls: listenerTls.optional().describe('MQTT over TLS (mqtts://): required for any listener gateways reach over a network'),
  maxPacketBytes: z.number().int().min(64 * 1024).default(8 * 1024 * 1024).describe('Largest MQTT packet a logged-in gateway may send (a batch is gzip\'d; 16 MiB at most after decompression)'),
}).refine((b) => b.tls !== undefined || isLoopbackHost(b.host), { path: ['tls'], message: 'a broker gateways reach over a network needs tls (certFile, keyFile): gateway passwords must not cross it in plain text; keep host: 127.0.0.1 without it' });

/** 127.0.0.0/8, ::1 and localhost: a listener there never leaves the box. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const externalBroker = z.strictObject({
  type: z.literal('external').describe('An existing broker (Mosquitto, EMQX cluster); several workers share the load'),
  url: z.string().regex(/^(mqtts?|wss?):\/\//, 'expected mqtts://host:8883'),
  username: z.string().min(1),
  passwordFile: z.string().min(1).describe('File holding the ingest worker password'),
  clientId: z.string().min(1).optional().describe('Defaults to cloud-ingest-<worker>'),
  shareGroup: z.string().regex(/^[A-Za-z0-9_-]+$/).default('ingest').describe('Workers subscribe via $share/<group>/...'),
  connections: z.number().int().min(1).max(64).default(4).describe('Connections per worker in the share group: messages handled at once'),
  ca: z.string().min(1).optional(),
});

export const influxSection = z.strictObject({
  url: z.string().url().describe('InfluxDB v2 (or compatible, e.g. VictoriaMetrics) base URL'),
  tokenFile: z.string().min(1).optional().describe('File with the API token (never inline in config)'),
  org: z.string().min(1).default('lastmile'),
  bucket: z.string().min(1).default('lastmile'),
  flushLines: z.number().int().min(1).max(50_000).default(20_000).describe('At most this many lines per HTTP write'),
  maxPendingLines: z.number().int().min(1000).default(200_000).describe('Backpressure: publishers wait while this many lines are unwritten'),
  writeConcurrency: z.number().int().min(1).max(16).default(2).describe('HTTP writes in flight at once (the next batch is parsed while one is written)'),
  timeoutMs: z.number().int().min(100).default(10_000),
  compress: z
    .enum(['auto', 'gzip', 'none'])
    .default('auto')
    .describe('gzip the write bodies: auto = gzip unless the database is on this host (loopback), where compressing only costs CPU on both ends'),
});

const staffUser = z.strictObject({
  name: id,
  township: id.describe('The township this user sees; only its compounds are shown'),
  passwordHash: z.string().startsWith('scrypt$', 'expected a hash made by `hashPassword` (scrypt$...), never a plain password'),
  displayName: z.string().min(1).optional(),
});

export const cloudIngestConfig = z.strictObject({
  version: z.literal(1),
  worker: id.default('w1').describe('Name of this worker (client id, logs)'),
  log: logSettings.default({ level: 'info' }).describe('Logging; LASTMILE_LOG_LEVEL overrides log.level'),
  broker: z.discriminatedUnion('type', [embeddedBroker, externalBroker]).default({ type: 'embedded', host: '127.0.0.1', port: 1883, maxPacketBytes: 8 * 1024 * 1024 }),
  influx: influxSection.optional().describe('Without it, only a bounded recent window is kept in memory (history is NOT stored)'),
  dataDir: z.string().min(1).default('/var/lib/lastmile-ingest').describe('Registry, dedup journal and alarm log'),
  database: databaseSection.describe('Alarm workflow store: embedded SQLite under dataDir by default, PostgreSQL for several workers'),
  workflow: workflowSection.describe('Per-level workflow, staff, duty roster (escalation order)'),
  notify: notifySection.default({ channels: [], retry: { attempts: 5, firstDelayMs: 2000, maxDelayMs: 120_000, timeoutMs: 10_000 } }).describe('Notification channels: WeCom, DingTalk, Feishu robots, webhooks, SMS gateway'),
  views: viewsSection.describe('What the township views show: display names, units and thresholds per field, history read-back'),
  registryFile: z.string().min(1).optional().describe('Defaults to <dataDir>/gateways.json'),
  recentWindow: z
    .strictObject({
      pointsPerSeries: z.number().int().min(10).default(120),
      maxBytes: z.number().int().min(1024 * 1024).default(64 * 1024 * 1024).describe('Memory budget of the whole window; past it the oldest points of all go first (a source still reporting keeps its latest points)'),
      maxBytesPerGateway: z.number().int().min(64 * 1024).default(1024 * 1024).describe("One gateway's share: past it, that gateway's own oldest points go first (never another gateway's), a source with its last point"),
    })
    .default({ pointsPerSeries: 120, maxBytes: 64 * 1024 * 1024, maxBytesPerGateway: 1024 * 1024 }),
  series: z
    .strictObject({
      maxPerGateway: z.number().int().min(10).default(2000).describe('Distinct series (measurement + tags) one gateway may write; lines of new series past it are rejected with a reason'),
      maxPerTownship: z.number().int().min(100).default(200_000).describe('Distinct series of all gateways of one township'),
      forgetAfterMs: z.number().int().min(60_000).default(86_400_000).describe('A series unseen for one to two of these no longer counts'),
    })
    .default({ maxPerGateway: 2000, maxPerTownship: 200_000, forgetAfterMs: 86_400_000 }),
  dedup: z.strictObject({ capacity: z.number().int().min(100).default(200_000) }).default({ capacity: 200_000 }),
  admission: z
    .strictObject({
      maxPendingBytes: z.number().int().min(64 * 1024).default(64 * 1024 * 1024).describe('Payload bytes being processed at once (all gateways); past it a message is shed without receipt and the gateway resends it'),
      maxPendingPerGateway: z.number().int().min(1).max(1000).default(16).describe('Messages of one gateway being processed at once (its uplink keeps at most maxInflight unreceipted)'),
    })
    .default({ maxPendingBytes: 64 * 1024 * 1024, maxPendingPerGateway: 16 }),
  console: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().default('127.0.0.1').describe('Loopback by default; an address staff reach over a network needs tls, or behindTlsProxy'),
      port: z.number().int().min(0).max(65535).default(8080),
      tls: listenerTls.optional().describe('Serve the console over HTTPS (Secure cookie, HSTS); required off loopback unless behindTlsProxy'),
      behindTlsProxy: z.boolean().default(false).describe('A TLS reverse proxy (nginx, Caddy) or a container network that publishes only on loopback sits in front: plain HTTP off loopback is then allowed'),
      secureCookie: z.boolean().default(true).describe('Set false only behind plain http on a test bench (always Secure with tls)'),
      users: z.array(staffUser).default([]),
    })
    .refine((c) => c.tls !== undefined || c.behindTlsProxy || isLoopbackHost(c.host), { path: ['tls'], message: 'a console staff reach over a network needs tls (certFile, keyFile), or behindTlsProxy: true when a TLS proxy terminates in front of it: staff passwords and session cookies must not cross it in plain text' })
    .default({ enabled: true, host: '127.0.0.1', port: 8080, behindTlsProxy: false, secureCookie: true, users: [] }),
  metrics: z
    .strictObject({
      host: z.string().default('127.0.0.1').describe('Loopback by default; Prometheus and the compose healthcheck scrape it (no login)'),
      port: z.number().int().min(0).max(65535).default(9465).describe('/metrics, /healthz, /readyz; 0 picks a free port'),
    })
    .optional()
    .describe('Prometheus /metrics with /healthz and /readyz on a small HTTP listener; off without this section'),
});

export type CloudIngestConfig = z.infer<typeof cloudIngestConfig>;
export type InfluxConfig = z.infer<typeof influxSection>;

/**
 * Whether the writer gzips its bodies. `auto`: yes where the write crosses a network (line protocol
 * shrinks about tenfold), no for a database on this host, where gzip only costs CPU twice (level 6 in
 * the worker, inflating in the database): bench:ingest's worker stored 15-17 % more measurements per
 * second without it, and 10-25 % more per CPU-second (docs/city-scale.md, 2026-12-04).
 */
export function gzipWrites(influx: Pick<InfluxConfig, 'url' | 'compress'>): boolean {
  if (influx.compress !== 'auto') return influx.compress === 'gzip';
  return !isLoopbackHost(new URL(influx.url).hostname.replace(/^\[(.*)\]$/, '$1'));
}

/** Parses config text; throws ConfigError listing every issue with file:line and path. */
export function parseCloudIngestConfig(file: string, text: string): Readonly<CloudIngestConfig> {
  const parsed = parseWithSchema(file, text, cloudIngestConfig);
  if (!parsed.ok) throw new ConfigError(parsed.issues);
  return deepFreeze(parsed.value);
}

export function loadCloudIngestConfig(file: string): Readonly<CloudIngestConfig> {
  return parseCloudIngestConfig(file, readFileSync(file, 'utf8'));
}

/** Reads a secret file (password, token), trimming the trailing newline editors add. */
export function readSecretFile(path: string, what: string): string {
  const text = readFileSync(path, 'utf8').trim();
  if (text === '') throw new Error(`${what}: ${path} is empty`);
  return text;
}
