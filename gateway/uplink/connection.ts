// The MQTT connection to the township broker: TLS material and the per-gateway password read from the
// files named in config, persistent session (clean: false, fixed client id) so QoS 1 messages in flight
// survive a reconnect, an LWT on the retained status topic, and reconnect with exponential back-off
// and jitter (mqtt.js only knows a fixed period, so reconnecting is driven from here).
import { readFileSync } from 'node:fs';
import { connect, Store, type IClientOptions, type MqttClient } from 'mqtt';
import { topics, type GatewayStatus } from '../../contract/wire.js';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import { ERROR_CATALOG, type ErrorCode } from '../../contract/errors.js';

export interface ConnectionOptions {
  readonly url: string;
  readonly gateway: string;
  readonly clientId: string;
  readonly username: string;
  readonly passwordFile: string | undefined;
  readonly ca: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  readonly keepaliveMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** The status published by the broker for us when we vanish (retained). */
  readonly lastWill: () => GatewayStatus;
}

function readConfigFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`uplink.${what}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export function mqttOptions(options: ConnectionOptions): IClientOptions {
  const password = options.passwordFile ? readConfigFile(options.passwordFile, 'passwordFile').toString('utf8').trim() : undefined;
  return {
    clientId: options.clientId,
    username: options.username,
    password,
    clean: false,
    // Subscribed on every connect by the Uplink; mqtt.js would skip topics it believes the session has.
    resubscribe: false,
    protocolVersion: 4,
    keepalive: Math.max(1, Math.round(options.keepaliveMs / 1000)),
    reconnectPeriod: 0,
    connectTimeout: 30_000,
    ca: options.ca ? readConfigFile(options.ca, 'ca') : undefined,
    cert: options.cert ? readConfigFile(options.cert, 'cert') : undefined,
    key: options.key ? readConfigFile(options.key, 'key') : undefined,
    rejectUnauthorized: true,
    // No 65,536-Buffer message-id cache (about 6 MB of heap for the process's life; issue 12, RSS).
    writeCache: false,
    will: { topic: topics.status(options.gateway), payload: Buffer.from(JSON.stringify(options.lastWill())), qos: 1, retain: true },
  };
}

/** Back-off before reconnect attempt `attempt` (0-based): doubling from min to max, then 50–100 % jitter. */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

/** MQTT 3.1.1 CONNACK return code 3: the township broker is up but refuses connects for now (too many at once). */
export const CONNACK_SERVER_UNAVAILABLE = 3;
/**
 * Back-off attempt after a "server unavailable" refusal: at least the fourth step (4–8 s with the 1 s
 * default minimum), so a storm of refused gateways spreads out instead of coming back within a second.
 */
export const BUSY_BACKOFF_ATTEMPT = 3;

/** The attempt number to back off with after `error`: raised to BUSY_BACKOFF_ATTEMPT when the broker said it is busy. */
export function attemptAfterError(attempt: number, error: Error & { code?: unknown }): number {
  return uplinkErrorCode(error) === 'UPLINK_SERVER_BUSY' ? Math.max(attempt, BUSY_BACKOFF_ATTEMPT) : attempt;
}

/** How long shutdown waits for the broker to acknowledge the offline status (and to take the DISCONNECT). */
const CLOSE_WAIT_MS = 2000;
/** An MQTT 3.1.1 DISCONNECT packet: type 14, no flags, remaining length 0. */
const DISCONNECT_PACKET = Buffer.from([0xe0, 0x00]);

export class UplinkConnection {
  readonly client: MqttClient;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {
    // The password is in the options object only; pino's redaction covers `password` should it be logged.
    this.client = connect(options.url, mqttOptions(options));
    this.client.on('connect', (connack) => {
      this.attempt = 0;
      this.stats.inc('uplink.connect');
      this.log.info({ url: options.url, clientId: options.clientId, sessionPresent: connack.sessionPresent }, 'uplink connected to the township broker');
    });
    this.client.on('error', (error) => {
      const code = uplinkErrorCode(error);
      this.stats.inc('uplink.error', { code });
      // "Server unavailable": the township is refusing connects for now; wait longer than after a cut.
      this.attempt = attemptAfterError(this.attempt, error);
      this.log.warn({ url: options.url, code, decision: ERROR_CATALOG[code].decision, err: error.message }, `uplink connection error: ${ERROR_CATALOG[code].zh} / ${ERROR_CATALOG[code].en}`);
    });
    this.client.on('close', () => this.scheduleReconnect());
  }

  connected(): boolean {
    return this.client.connected;
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.timer) return;
    const delay = backoffMs(this.attempt++, this.options.reconnectMinMs, this.options.reconnectMaxMs);
    this.stats.inc('uplink.reconnect_scheduled');
    this.log.info({ url: this.options.url, delayMs: delay, attempt: this.attempt }, 'uplink disconnected; reconnecting after back-off');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A fresh outgoing store: the Sender republishes whatever was unacknowledged itself, with the same
      // ids, instead of mqtt.js replaying its store while new publishes take fresh message ids beside it.
      if (!this.stopping && !this.client.connected) this.client.reconnect({ outgoingStore: new Store() });
    }, delay);
  }

  /** Publishes an offline status (the LWT is only for unclean ends), then disconnects. */
  async close(finalStatus: GatewayStatus | undefined): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (finalStatus && this.client.connected) {
      const published = this.client.publishAsync(topics.status(this.options.gateway), JSON.stringify(finalStatus), { qos: 1, retain: true }).then(
        () => true,
        (error: unknown) => {
          this.log.warn({ err: error }, 'uplink: could not publish the offline status on shutdown');
          return true;
        },
      );
      const acknowledged = await Promise.race([published, new Promise<false>((resolve) => setTimeout(() => resolve(false), CLOSE_WAIT_MS).unref())]);
      if (!acknowledged) this.log.warn({ waitedMs: CLOSE_WAIT_MS }, 'uplink: offline status not acknowledged on shutdown; the LWT will tell the township');
      // A clean end: the broker drops the will instead of publishing it, retained, over the status just
      // published (the will was made at connect, with that time, uptime and backlog). Written here because
      // mqtt.js sends DISCONNECT only from a graceful end(), and that waits for the PUBACKs below.
      else if (this.client.connected) await new Promise<void>((resolve) => {
        this.client.stream.write(DISCONNECT_PACKET, () => resolve());
        setTimeout(resolve, CLOSE_WAIT_MS).unref();
      });
    }
    // Forced: anything unacknowledged is still in the spool, and a graceful end would wait for PUBACKs of
    // publishes from before a reconnect that the Sender has already republished.
    await this.client.endAsync(true);
  }
}

/** The catalog code of an uplink connection error: a refused login or a bad certificate is config, the rest is retried. */
export function uplinkErrorCode(error: Error & { code?: unknown }): ErrorCode {
  // mqtt.js: CONNACK return codes 4 (bad user name or password) and 5 (not authorized), 3 server unavailable;
  // MQTT 5's 134/135 and 136/137 say the same.
  if (error.code === 4 || error.code === 5 || error.code === 134 || error.code === 135) return 'UPLINK_NOT_AUTHORIZED';
  if (error.code === CONNACK_SERVER_UNAVAILABLE || error.code === 136 || error.code === 137) return 'UPLINK_SERVER_BUSY';
  if (typeof error.code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|HOSTNAME|VERIFY|ISSUER|SIGNATURE/i.test(error.code)) return 'UPLINK_TLS';
  return 'UPLINK_CONNECTION';
}
