// A real township for the hostile suite: VictoriaMetrics, cloud-ingest with its embedded broker and
// console in this process (so its event loop can be watched), an honest gateway publishing steadily and
// timing its PUBACKs and receipts, and a hostile gateway with a receipt tracker. Shared by
// tests/hostile/corpus.test.ts and `npm run bench:hostile`.
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { cloudIngestConfig } from '../../cloud-ingest/config.js';
import { parseReceipt, topics, type ReceiptItem } from '../../contract/wire.js';
import { GatewayRegistry } from '../../cloud-ingest/registry/registry.js';
import { hashPassword } from '../../cloud-ingest/registry/password.js';
import { provisionGateway } from '../../cloud-ingest/registry/provision.js';
import { CloudIngest } from '../../cloud-ingest/service.js';
import { silentLogger } from '../../contract/logger.js';
import { tempDir } from '../../tests/helpers/peers.js';
import { startVictoria, type Victoria } from '../../tests/helpers/victoria.js';
import type { CorpusCase } from './corpus.js';

/** The duty officer of town-2, the hostile gateway's township: the board shows what it sent. */
export const CONSOLE_USER = { name: 'officer', password: 'officer-password' };

/** Receipts for one gateway, waited for by id (several waiters per id for duplicate-id cases). */
export class ReceiptTracker {
  private readonly waiters = new Map<string, ((item: ReceiptItem) => void)[]>();
  readonly seen: ReceiptItem[] = [];

  constructor(client: MqttClient, gateway: string) {
    client.on('message', (topic, payload) => {
      if (topic !== topics.receipt(gateway)) return;
      for (const item of parseReceipt(payload)?.items ?? []) {
        this.seen.push(item);
        const list = this.waiters.get(`${item.kind}/${item.id}`);
        const next = list?.shift();
        if (list && list.length === 0) this.waiters.delete(`${item.kind}/${item.id}`);
        next?.(item);
      }
    });
  }

  /** The next receipt naming this id, or undefined after timeoutMs. */
  wait(kind: 't' | 'a', id: string, timeoutMs: number): Promise<ReceiptItem | undefined> {
    return new Promise((resolve) => {
      const key = `${kind}/${id}`;
      const timer = setTimeout(() => {
        const list = this.waiters.get(key);
        const i = list?.indexOf(done) ?? -1;
        if (i >= 0) list!.splice(i, 1);
        resolve(undefined);
      }, timeoutMs);
      const done = (item: ReceiptItem) => {
        clearTimeout(timer);
        resolve(item);
      };
      const list = this.waiters.get(key) ?? [];
      list.push(done);
      this.waiters.set(key, list);
    });
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The honest gateway: a batch of `lines` lines every `everyMs`, each line its own timestamp, so what the
 * database holds can be counted against what was receipted.
 */
export class HonestGateway {
  pubackMs: number[] = [];
  receiptMs: number[] = [];
  receiptedLines = 0;
  refusedBatches = 0;
  unreceipted = 0;
  private batch = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private readonly tracker: ReceiptTracker;

  constructor(
    readonly client: MqttClient,
    readonly gateway: string,
    private readonly t0: number,
    private readonly lines = 100,
    private readonly everyMs = 50,
  ) {
    this.tracker = new ReceiptTracker(client, gateway);
  }

  start(): void {
    this.timer = setInterval(() => this.publishOne(), this.everyMs);
  }

  /** Latencies since the last call, and a fresh start for the next phase. */
  takePhase(): { pubackP99: number; receiptP99: number; batches: number } {
    const out = { pubackP99: percentile(this.pubackMs, 99), receiptP99: percentile(this.receiptMs, 99), batches: this.pubackMs.length };
    this.pubackMs = [];
    this.receiptMs = [];
    return out;
  }

  private publishOne(): void {
    const b = this.batch++;
    const id = `honest-${b}`;
    const text = Array.from({ length: this.lines }, (_, i) => `power,source=h-${i % 10} voltage=${230 + (i % 7) / 10} ${this.t0 + b * this.lines + i}`).join('\n');
    const started = performance.now();
    const receipt = this.tracker.wait('t', id, 60_000);
    const work = this.client
      .publishAsync(topics.telemetry(this.gateway, id), gzipSync(Buffer.from(text)), { qos: 1 })
      .then(async () => {
        this.pubackMs.push(performance.now() - started);
        const item = await receipt;
        if (!item) this.unreceipted++;
        else if (item.status === 'stored' && item.reason === undefined) {
          this.receiptMs.push(performance.now() - started);
          this.receiptedLines += this.lines;
        } else this.refusedBatches++;
      })
      .catch(() => {
        this.unreceipted++;
      });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
  }
}

export interface HostileTownship {
  readonly service: CloudIngest;
  readonly vm: Victoria;
  readonly passwords: Record<string, string>;
  connect(gateway: string, clientId?: string): Promise<MqttClient>;
  stop(): Promise<void>;
}

export async function startHostileTownship(gateways: readonly string[] = ['gw-honest', 'gw-hostile']): Promise<HostileTownship> {
  const dir = tempDir('hostile-township');
  const vm = await startVictoria();
  const config = cloudIngestConfig.parse({
    version: 1,
    broker: { type: 'embedded', host: '127.0.0.1', port: 0 },
    influx: { url: vm.url },
    dataDir: join(dir.path, 'data'),
    console: { enabled: true, host: '127.0.0.1', port: 0, secureCookie: false, users: [{ name: CONSOLE_USER.name, township: 'town-2', passwordHash: hashPassword(CONSOLE_USER.password) }] },
  });
  const registry = new GatewayRegistry(join(config.dataDir, 'gateways.json'));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(config.dataDir, { recursive: true });
  registry.load();
  const passwords: Record<string, string> = {};
  gateways.forEach((gateway, i) => {
    passwords[gateway] = provisionGateway(registry, { gateway, township: i === 0 ? 'town-1' : 'town-2', compound: `c-${i}`, brokerUrl: 'mqtt://127.0.0.1:1883' }).password;
  });
  const service = new CloudIngest(config, silentLogger());
  await service.start();
  const clients: MqttClient[] = [];
  return {
    service,
    vm,
    passwords,
    connect: async (gateway, clientId = gateway) => {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${service.brokerPort}`, { clientId, username: gateway, password: passwords[gateway], reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4 });
      await client.subscribeAsync(topics.receipt(gateway), { qos: 1 });
      clients.push(client);
      return client;
    },
    stop: async () => {
      for (const c of clients) c.end(true);
      await service.stop();
      await vm.stop();
      dir.remove();
    },
  };
}

export interface CorpusOutcome {
  messages: number;
  cases: number;
  stored: number;
  refused: number;
  /** Messages that got no receipt within the timeout (a hang, or a shed message). */
  noReceipt: number;
  byCategory: Record<string, number>;
}

/** Sends the corpus from one gateway with at most `window` messages unreceipted, like a gateway's uplink. */
export async function sendCorpus(client: MqttClient, gateway: string, corpus: Iterable<CorpusCase>, window = 8, timeoutMs = 30_000): Promise<CorpusOutcome> {
  const tracker = new ReceiptTracker(client, gateway);
  const outcome: CorpusOutcome = { messages: 0, cases: 0, stored: 0, refused: 0, noReceipt: 0, byCategory: {} };
  const inFlight = new Set<Promise<void>>();
  for (const c of corpus) {
    while (inFlight.size >= window) await Promise.race(inFlight);
    outcome.messages++;
    outcome.cases += c.cases;
    outcome.byCategory[c.category] = (outcome.byCategory[c.category] ?? 0) + c.cases;
    const receipt = tracker.wait('t', c.batchId, timeoutMs);
    const work = client
      .publishAsync(topics.telemetry(gateway, c.batchId), c.payload, { qos: 1 })
      .then(async () => {
        const item = await receipt;
        if (!item) outcome.noReceipt++;
        else if (item.status === 'stored') outcome.stored++;
        else outcome.refused++;
      })
      .catch(() => {
        outcome.noReceipt++;
      });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }
  await Promise.all([...inFlight]);
  return outcome;
}

/** Distinct (series, timestamp) samples of a gateway's series in VictoriaMetrics. */
export async function storedSamples(vm: Victoria, gateway: string): Promise<number> {
  const series = await vm.exportSeries(`{gateway="${gateway}"}`);
  return series.reduce((n, s) => n + new Set(s.timestamps).size, 0);
}
