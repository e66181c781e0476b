// One simulated gateway of the fleet bench: the real uplink contract on an mqtt.js client, without the
// gateway's drivers and disk. Like gateway/uplink: persistent session (clean: false, client id = user
// name), reconnect with the uplink's own back-off (backoffMs, longer after a busy refusal), one gzip'd line-protocol batch every
// batchEveryMs, at most maxInflight batches published and unreceipted, the batch freed only on its
// receipt (never on PUBACK), an unreceipted batch published again with the same id after receiptTimeoutMs
// (doubling while none come) and after every reconnect. Latencies are recorded per phase by the owner.
import { createConnection } from 'node:net';
import { gzipSync } from 'node:zlib';
import { MqttClient } from 'mqtt';
import { parseReceipt, topics } from '../../contract/wire.js';
import { CONNACK_SERVER_UNAVAILABLE, attemptAfterError, backoffMs } from '../../gateway/uplink/connection.js';

export interface SimGatewayOptions {
  readonly port: number;
  /** A loopback source address of its own (127.x.y.z): the township limits logins per address, as it should. */
  readonly localAddress: string;
  readonly gateway: string;
  readonly password: string;
  readonly batchEveryMs: number;
  /** 60 by default: 12 meters x 5 fields, the size of a compound's 5 s batch. */
  readonly linesPerBatch: number;
  readonly maxInflight: number;
  readonly receiptTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** Spool bound in batches: the oldest is dropped (and counted) past it, as the gateway's spool does. */
  readonly maxQueued: number;
}

/** What one gateway saw since the last take(). */
export interface SimSamples {
  pubackMs: number[];
  receiptMs: number[];
  connectMs: number[];
  /** Receipted batch ids with their timestamp (the line-protocol ts of every line of the batch). */
  receipted: { id: string; ts: number }[];
  refused: number;
  resends: number;
  dropped: number;
  connectErrors: number;
  /** CONNACK 3 "server unavailable" (the township's password checks full). */
  busyRefusals: number;
}

interface Batch {
  readonly id: string;
  readonly ts: number;
  readonly payload: Buffer;
  sentAt: number | undefined;
  timeoutMs: number;
}

export const FIELDS_PER_LINE = 5;

export class SimGateway {
  private client: MqttClient | undefined;
  private readonly queue: Batch[] = [];
  private readonly inflight = new Map<string, Batch>();
  private seq = 0;
  private attempt = 0;
  private producer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private checker: NodeJS.Timeout | undefined;
  private connectStarted = 0;
  private stopped = false;
  connected = false;
  samples: SimSamples = emptySamples();

  constructor(private readonly o: SimGatewayOptions) {}

  /** Connects and starts producing a batch every batchEveryMs (the first after a random part of it). */
  start(): void {
    this.connect();
    const first = Math.floor(Math.random() * this.o.batchEveryMs);
    this.producer = setTimeout(() => {
      this.produce();
      this.producer = setInterval(() => this.produce(), this.o.batchEveryMs);
    }, first);
    this.checker = setInterval(() => this.resendLate(), 1000);
  }

  take(): SimSamples {
    const s = this.samples;
    this.samples = emptySamples();
    return s;
  }

  /** A network cut: the socket goes away without DISCONNECT; the client reconnects with back-off. */
  cut(): void {
    this.client?.stream.destroy();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.producer);
    clearInterval(this.producer);
    clearInterval(this.checker);
    clearTimeout(this.reconnectTimer);
    await this.client?.endAsync(true).catch(() => undefined);
  }

  private connect(): void {
    this.connectStarted = performance.now();
    const { port, localAddress } = this.o;
    const client = new MqttClient(() => createConnection({ host: '127.0.0.1', port, localAddress }), {
      clientId: this.o.gateway,
      username: this.o.gateway,
      password: this.o.password,
      clean: false,
      resubscribe: false,
      protocolVersion: 4,
      keepalive: 60,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
    });
    this.client = client;
    client.on('connect', () => {
      this.connected = true;
      this.attempt = 0;
      this.samples.connectMs.push(performance.now() - this.connectStarted);
      client.subscribe(topics.receipt(this.o.gateway), { qos: 1 });
      // After a reconnect every unreceipted batch goes again, same id (cloud-ingest's dedup answers).
      for (const b of this.inflight.values()) this.publish(b);
      this.pump();
    });
    client.on('message', (_topic, payload) => this.receipt(payload));
    client.on('error', (error) => {
      this.samples.connectErrors++;
      if ((error as { code?: unknown }).code === CONNACK_SERVER_UNAVAILABLE) this.samples.busyRefusals++;
      this.attempt = attemptAfterError(this.attempt, error);
    });
    client.on('close', () => {
      this.connected = false;
      if (this.stopped || this.reconnectTimer) return;
      client.removeAllListeners();
      client.end(true);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        if (!this.stopped) this.connect();
      }, backoffMs(this.attempt++, this.o.reconnectMinMs, this.o.reconnectMaxMs));
    });
  }

  private produce(): void {
    const ts = Date.now();
    const lines: string[] = [];
    for (let l = 0; l < this.o.linesPerBatch / FIELDS_PER_LINE; l++) {
      lines.push(`power,source=meter-${l},building=${l % 4} voltage=${220 + (this.seq % 10)},current=${(l % 50) / 10},active_power=${l * 3 + (this.seq % 7)},power_factor=0.95,import_energy=${this.seq * 10 + l} ${ts}`);
    }
    this.queue.push({ id: `b${this.seq++}`, ts, payload: gzipSync(lines.join('\n')), sentAt: undefined, timeoutMs: this.o.receiptTimeoutMs });
    if (this.queue.length > this.o.maxQueued) {
      this.queue.shift();
      this.samples.dropped++;
    }
    this.pump();
  }

  private pump(): void {
    while (this.connected && this.inflight.size < this.o.maxInflight && this.queue.length > 0) {
      const b = this.queue.shift()!;
      this.inflight.set(b.id, b);
      this.publish(b);
    }
  }

  private publish(b: Batch): void {
    const client = this.client;
    if (!client || !this.connected) return;
    if (b.sentAt !== undefined) this.samples.resends++;
    const sentAt = performance.now();
    b.sentAt = sentAt;
    client.publish(topics.telemetry(this.o.gateway, b.id), b.payload, { qos: 1 }, (error) => {
      if (!error) this.samples.pubackMs.push(performance.now() - sentAt);
    });
  }

  private receipt(payload: Buffer): void {
    for (const item of parseReceipt(payload)?.items ?? []) {
      const b = this.inflight.get(item.id);
      if (!b) continue;
      this.inflight.delete(item.id);
      if (b.sentAt !== undefined) this.samples.receiptMs.push(performance.now() - b.sentAt);
      if (item.status === 'stored') this.samples.receipted.push({ id: b.id, ts: b.ts });
      else this.samples.refused++;
    }
    this.pump();
  }

  private resendLate(): void {
    const now = performance.now();
    for (const b of this.inflight.values()) {
      if (b.sentAt !== undefined && this.connected && now - b.sentAt > b.timeoutMs) {
        b.timeoutMs = Math.min(b.timeoutMs * 2, 10 * 60_000);
        this.publish(b);
      }
    }
  }
}

function emptySamples(): SimSamples {
  return { pubackMs: [], receiptMs: [], connectMs: [], receipted: [], refused: 0, resends: 0, dropped: 0, connectErrors: 0, busyRefusals: 0 };
}
