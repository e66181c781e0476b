// How other stages reach the local MQTT broker: `context.services.get('localBroker')` gives the LocalBroker of this
// gateway runtime (embedded or external), whose connect() returns an mqtt.js client with the gateway's
// own identity. Keyed by the runtime's event bus, so several runtimes in one process (tests) stay apart.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MqttClient, connect as mqttConnect, type IClientOptions } from 'mqtt';
import type { z } from 'zod';
import type { externalBroker } from '../../config/sections/outputs.js';
import type { DevicePublishGate, EmbeddedBroker } from './embedded-broker.js';
import { INTERNAL_CLIENT_PREFIX } from './users.js';

export interface LocalBroker {
  /** embedded: aedes inside the gateway; external: a broker named by localBroker.external. */
  readonly kind: 'embedded' | 'external';
  /** Where devices connect (for logs and the console), e.g. mqtt://0.0.0.0:1883. Never carries credentials. */
  url(): string;
  /**
   * A new mqtt.js client with the gateway's own identity. It connects in the background and reconnects by
   * itself (every second by default); listen for 'connect' to (re)subscribe. The caller ends it in stop().
   * `purpose` becomes part of the client id, e.g. "driver-mqtt", "notice", "homeassistant" (an external
   * broker's client may pass a fixed clientId of its own, for a persistent session).
   */
  connect(purpose: string, options?: Partial<IClientOptions>): MqttClient;
  /**
   * Embedded only: device publishes pass through `gate` before they are acknowledged (see
   * DevicePublishGate). Returns the function that removes it. An external broker acknowledges devices
   * itself; there the gateway's own subscription acknowledges that broker only once data is durable.
   */
  interceptDevicePublishes?(gate: DevicePublishGate): () => void;
}

type ExternalConfig = z.infer<typeof externalBroker>;

function clientId(purpose: string): string {
  return `${INTERNAL_CLIENT_PREFIX}${purpose}-${randomBytes(4).toString('hex')}`;
}

const COMMON_OPTIONS: IClientOptions = {
  protocolVersion: 4,
  reconnectPeriod: 1000,
  connectTimeout: 10_000,
  keepalive: 30,
  clean: true,
  // Stages subscribe in their 'connect' handler, so a reconnect never doubles or loses a subscription.
  resubscribe: false,
  // mqtt-packet's message-id cache is 65,536 two-byte Buffers kept for the process's life (about 6 MB of
  // heap); an id written per packet instead costs nothing measurable at our packet rates (issue 12, RSS).
  writeCache: false,
};

export class EmbeddedLocalBroker implements LocalBroker {
  readonly kind = 'embedded';

  constructor(private readonly broker: EmbeddedBroker) {}

  url(): string {
    return this.broker.url();
  }

  connect(purpose: string, options: Partial<IClientOptions> = {}): MqttClient {
    const { username, password } = this.broker.internalCredentials();
    return new MqttClient(() => this.broker.internalStream(), { ...COMMON_OPTIONS, ...options, clientId: clientId(purpose), username, password });
  }

  interceptDevicePublishes(gate: DevicePublishGate): () => void {
    return this.broker.interceptDevicePublishes(gate);
  }
}

export class ExternalLocalBroker implements LocalBroker {
  readonly kind = 'external';
  private readonly password: string | undefined;
  private readonly ca: Buffer | undefined;

  /** Reads the password and CA files now (at stage start), so a missing file fails start-up with its config path. */
  constructor(private readonly config: ExternalConfig) {
    this.password = config.passwordFile === undefined ? undefined : readSecret(config.passwordFile, 'localBroker.external.passwordFile');
    this.ca = config.caFile === undefined ? undefined : readFileOrThrow(config.caFile, 'localBroker.external.caFile');
  }

  url(): string {
    const url = new URL(this.config.url);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  }

  connect(purpose: string, options: Partial<IClientOptions> = {}): MqttClient {
    const auth: IClientOptions = {};
    if (this.config.username !== undefined) auth.username = this.config.username;
    if (this.password !== undefined) auth.password = this.password;
    if (this.ca !== undefined) auth.ca = this.ca;
    return mqttConnect(this.config.url, { ...COMMON_OPTIONS, ...options, ...auth, clientId: options.clientId ?? clientId(purpose) });
  }
}

function readFileOrThrow(file: string, path: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`${path}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function readSecret(file: string, path: string): string {
  const text = readFileOrThrow(file, path).toString('utf8').replace(/\r?\n$/, '');
  if (text.length === 0) throw new Error(`${path}: ${file} is empty`);
  return text;
}
