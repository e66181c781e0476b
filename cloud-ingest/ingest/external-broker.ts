// Ingest behind an existing broker (Mosquitto, EMQX): this worker subscribes through a shared subscription
// ($share/<group>/...), so several identical workers split the load. The broker authenticates gateways and
// enforces the ACL (see registry/provision.ts for the Mosquitto entries); identity still comes from our
// registry by the topic's gateway id. Each message is acknowledged to the broker at once and answered
// with a receipt after the database write (contract.ts): mqtt.js handles one packet at a time per
// connection, so holding the PUBACK on the database would also hold its keepalives, and a broker's queue
// is no place for a backlog (mosquitto drops from a full one). Subscriptions are made on every connect,
// whatever sessionPresent says: mosquitto 2.0 restores a session without its $share subscriptions.
import { readFileSync } from 'node:fs';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import { INGEST_SUBSCRIPTIONS, RECEIPT_QOS, parseTopic, topics, type CommandMessage, type Receipt } from '../../contract/wire.js';
import type { GatewayRegistry } from '../registry/registry.js';
import type { CommandChannel } from './embedded-broker.js';
import type { Ingest } from './ingest.js';
import type { ReceiptChannel } from './receipts.js';

/**
 * Alarm events and gateway status go to every worker (not through the share group): they are few, each
 * worker's board then shows every alarm, and retained status messages are only delivered to ordinary
 * subscriptions. Telemetry and command results are shared. Repeats are dropped by event id per worker.
 */
const EVERY_WORKER = INGEST_SUBSCRIPTIONS.filter((t) => t.endsWith('/a/+') || t.endsWith('/status'));
const SHARED = INGEST_SUBSCRIPTIONS.filter((t) => !EVERY_WORKER.includes(t));

export interface ExternalBrokerOptions {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly clientId: string;
  readonly shareGroup: string;
  /** Connections this worker opens in the share group (messages in flight at once). */
  readonly connections: number;
  readonly caFile?: string;
}

export class ExternalBroker implements CommandChannel, ReceiptChannel {
  private readonly clients: MqttClient[] = [];

  constructor(
    private readonly options: ExternalBrokerOptions,
    private readonly registry: GatewayRegistry,
    private readonly ingest: Ingest,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.options.connections; i++) this.clients.push(await this.connect(this.options.connections === 1 ? this.options.clientId : `${this.options.clientId}-${i}`, i === 0));
  }

  private async connect(clientId: string, first: boolean): Promise<MqttClient> {
    const o = this.options;
    const client = mqtt.connect(o.url, {
      clientId,
      username: o.username,
      password: o.password,
      clean: false, // the broker keeps our share of QoS 1 messages while this worker restarts
      // We subscribe on every connect ourselves; mqtt.js's own bookkeeping would skip a topic it believes
      // the restored session still has (it does not, for $share on mosquitto 2.0).
      resubscribe: false,
      reconnectPeriod: 1000,
      ...(o.caFile ? { ca: readFileSync(o.caFile) } : {}),
    });
    client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void) => {
      this.onMessage(packet);
      callback();
    };
    client.on('error', (error) => this.log.warn({ err: error.message, url: o.url, clientId }, 'broker connection error'));
    const filters = [...SHARED.map((t) => `$share/${o.shareGroup}/${t}`), ...(first ? EVERY_WORKER : [])];
    client.on('connect', (connack) => {
      client.subscribe(filters, { qos: 1 }, (error, granted) => {
        const refused = error ?? (granted?.some((g) => g.qos === 128) ? new Error('the broker refused a subscription (ACL?)') : undefined);
        if (refused) {
          this.stats.inc('ingest.subscribe_failed');
          this.log.error({ url: o.url, clientId, filters, err: refused.message }, 'subscribing failed; reconnecting to try again');
          client.stream.destroy();
          return;
        }
        this.stats.inc('ingest.subscribed');
        this.log.info({ url: o.url, clientId, filters, sessionPresent: connack.sessionPresent }, 'subscribed (on every connect, whatever the session says)');
      });
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return client;
  }

  private onMessage(packet: IPublishPacket): void {
    const parsed = parseTopic(packet.topic);
    const identity = parsed ? this.registry.identity(parsed.gateway) : undefined;
    if (!identity) {
      this.stats.inc('ingest.unknown_gateway');
      this.log.warn({ topic: packet.topic }, 'message from a gateway not in the registry dropped');
      return;
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    void this.ingest.accept(identity, packet.topic, payload);
  }

  async sendCommand(gateway: string, message: CommandMessage): Promise<void> {
    await this.connectedClient().publishAsync(topics.command(gateway), JSON.stringify(message), { qos: 1 });
  }

  /** At RECEIPT_QOS (contract/wire.ts says which, and why). */
  async sendReceipt(gateway: string, receipt: Receipt): Promise<void> {
    await this.connectedClient().publishAsync(topics.receipt(gateway), JSON.stringify(receipt), { qos: RECEIPT_QOS });
  }

  /** Any connected client of this worker (they are interchangeable for publishing). */
  private connectedClient(): MqttClient {
    const client = this.clients.find((c) => c.connected);
    if (!client) throw new Error('broker not connected');
    return client;
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.endAsync()));
  }
}
