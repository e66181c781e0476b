// A township-side test subscriber: persistent session on lm/v1/<gateway>/#, QoS 1, so it also receives
// what was published while it (or the broker) was away. Unzips telemetry and keeps every delivery, and
// plays cloud-ingest's part of the contract: each telemetry batch and alarm event gets a receipt (unless
// `receipts` is off), without which the gateway frees nothing.
import { gunzipSync } from 'node:zlib';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { parseTopic, topics, type Receipt } from '../../../contract/wire.js';

export interface Delivery {
  readonly kind: 'telemetry' | 'alarm' | 'status' | 'commandResult';
  /** Batch id or event id. */
  readonly id: string;
  readonly lines: readonly string[];
  readonly json: unknown;
}

export class TestSubscriber {
  readonly deliveries: Delivery[] = [];
  /** Whether deliveries are answered with receipts (a test may turn it off to play a township that stores nothing). */
  receipts: boolean;
  private constructor(
    readonly client: MqttClient,
    private readonly gateway: string,
    receipts: boolean,
  ) {
    this.receipts = receipts;
  }

  static async start(url: string, gateway: string, options: { receipts?: boolean; connect?: IClientOptions } = {}): Promise<TestSubscriber> {
    const client = connect(url, { clientId: `township-test-${gateway}`, clean: false, reconnectPeriod: 100, protocolVersion: 4, ...options.connect });
    const subscriber = new TestSubscriber(client, gateway, options.receipts ?? true);
    client.on('message', (topic, payload) => subscriber.receive(topic, payload));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(`lm/v1/${gateway}/#`, { qos: 1 });
    return subscriber;
  }

  private receive(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.kind === 'command' || parsed.kind === 'receipt') return;
    if (parsed.kind === 'telemetry') {
      this.deliveries.push({ kind: 'telemetry', id: parsed.batchId, lines: gunzipSync(payload).toString('utf8').split('\n'), json: undefined });
      this.receipt('t', parsed.batchId);
    } else {
      this.deliveries.push({ kind: parsed.kind, id: parsed.kind === 'alarm' ? parsed.eventId : '', lines: [], json: JSON.parse(payload.toString('utf8')) });
      if (parsed.kind === 'alarm') this.receipt('a', parsed.eventId);
    }
  }

  private receipt(kind: 't' | 'a', id: string): void {
    if (!this.receipts) return;
    const receipt: Receipt = { v: 1, items: [{ kind, id, status: 'stored' }] };
    this.client.publish(topics.receipt(this.gateway), JSON.stringify(receipt), { qos: 1 });
  }

  /**
   * Telemetry values of field `n` in arrival order, after dropping repeated batch ids; throws if a repeated
   * batch id carried different lines (a resend must be identical to count as a duplicate).
   */
  telemetryNumbers(): number[] {
    const seen = new Map<string, string>();
    const numbers: number[] = [];
    for (const d of this.deliveries) {
      if (d.kind !== 'telemetry') continue;
      const body = d.lines.join('\n');
      const earlier = seen.get(d.id);
      if (earlier !== undefined) {
        if (earlier !== body) throw new Error(`batch ${d.id} was resent with different content`);
        continue;
      }
      seen.set(d.id, body);
      for (const line of d.lines) {
        const match = / n=(\d+) /.exec(line);
        if (match) numbers.push(Number(match[1]));
      }
    }
    return numbers;
  }

  /** Telemetry lines in arrival order, each batch id counted once. */
  telemetryLines(): string[] {
    const seen = new Set<string>();
    return this.deliveries.filter((d) => d.kind === 'telemetry' && !seen.has(d.id) && seen.add(d.id)).flatMap((d) => d.lines);
  }

  /** Alarm event ids in arrival order, repeats (same id, same content) dropped. */
  alarmIds(): string[] {
    const seen = new Map<string, string>();
    for (const d of this.deliveries) {
      if (d.kind !== 'alarm') continue;
      const body = JSON.stringify(d.json);
      const earlier = seen.get(d.id);
      if (earlier !== undefined && earlier !== body) throw new Error(`alarm event ${d.id} was resent with different content`);
      seen.set(d.id, body);
    }
    return [...seen.keys()];
  }

  async stop(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** The one bounded wait (tests/helpers/wait.ts), for the tests built on this subscriber. */
export { waitFor } from '../../helpers/wait.js';
