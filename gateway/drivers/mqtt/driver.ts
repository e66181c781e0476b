// The MQTT driver: takes every MQTT source's messages from the local broker. Each JSON payload becomes
// one reading carrying the payload for every point of the profile; the decoder picks each point's field
// by its `json` path. Streaming: nothing is polled.
// A device's QoS 1 publish is acknowledged only once what it caused is durable in the spool:
// - embedded broker: a gate inside aedes' authorizePublish holds the device's PUBACK on the spool's
//   durability barrier (one fsync covers many messages); no subscription is needed;
// - external broker: it acknowledges the device itself (its persistence is what holds the message
//   then); our persistent QoS 1 subscription acknowledges that broker only after the barrier.
// QoS 0 is best effort in both cases.
import type { MqttClient } from 'mqtt';
import type { LocalBroker } from '../../local-broker/local-broker.js';
import { LogThrottle } from '../../local-broker/log-throttle.js';
import { isValidFilter, topicMatches } from '../../local-broker/topic-filter.js';
import { type RawValue, sourceFault } from '../../pipeline/types.js';
import type { Driver, DriverContext, DriverFactory, ResolvedSource } from '../driver.js';
import { DEFAULT_MQTT_DRIVER_OPTIONS, type MqttDriverOptions } from './options.js';
import { parseJsonPayload, payloadPreview } from './payload.js';

interface Route {
  readonly filter: string;
  readonly source: ResolvedSource;
}

export class MqttDriver implements Driver {
  private readonly routes: Route[] = [];
  private readonly online = new Set<string>();
  private readonly throttle: LogThrottle;
  private broker: LocalBroker | undefined;
  private client: MqttClient | undefined;
  private connected = false;
  private removeGate: (() => void) | undefined;

  constructor(
    private readonly context: DriverContext,
    private readonly options: MqttDriverOptions = DEFAULT_MQTT_DRIVER_OPTIONS,
  ) {
    this.throttle = new LogThrottle(() => context.clock.mono());
  }

  init(): void {
    const byFilter = new Map<string, string>();
    for (const source of this.context.sources) {
      const id = source.config.id;
      const topic = source.config.mqtt?.topic;
      if (topic === undefined) throw new Error(`source ${id}: an MQTT source needs "mqtt: { topic }"`);
      if (!isValidFilter(topic)) throw new Error(`source ${id}: mqtt.topic "${topic}" is not a valid MQTT topic filter`);
      const other = byFilter.get(topic);
      if (other !== undefined) throw new Error(`source ${id}: mqtt.topic "${topic}" is already used by source ${other}; a message could not be told apart`);
      byFilter.set(topic, id);
      this.routes.push({ filter: topic, source });
    }
    this.broker = this.context.services.get('localBroker');
    if (this.broker === undefined && this.routes.length > 0) {
      throw new Error(`source ${this.routes[0]!.source.config.id}: MQTT sources need an enabled "localBroker" section in the site config (embedded, or external: { url })`);
    }
  }

  async start(): Promise<void> {
    if (this.routes.length === 0 || this.broker === undefined) return;
    const { log, stats } = this.context;
    const durable = () => this.context.durability?.barrier() ?? Promise.resolve();
    if (this.broker.interceptDevicePublishes) {
      this.removeGate = this.broker.interceptDevicePublishes((topic, payload) => {
        if (!this.routes.some((route) => topicMatches(route.filter, topic))) return undefined;
        this.onMessage(topic, payload, false);
        return durable();
      });
      log.info({ broker: this.broker.url(), topics: this.routes.map((r) => r.filter) }, 'MQTT driver takes device messages inside the embedded broker');
      return;
    }
    // A fixed client id and a persistent session, so the external broker keeps what we did not acknowledge.
    const client = this.broker.connect('driver-mqtt', { clean: false, clientId: `lastmile-gw-driver-mqtt-${this.context.site.gateway.id}` });
    this.client = client;
    client.handleMessage = (packet, callback) => {
      if (packet.qos === 0) return callback();
      durable().then(
        () => callback(),
        (error: Error) => {
          stats.inc('mqtt.not_durable');
          log.error({ topic: packet.topic, err: error.message }, 'MQTT message could not be made durable; not acknowledged to the broker / 数据未能写入缓存');
          client.stream.destroy(); // reconnect: the broker redelivers what we did not acknowledge
        },
      );
    };
    client.on('connect', () => {
      this.connected = true;
      log.info({ broker: this.broker?.url(), topics: this.routes.map((r) => r.filter) }, 'MQTT driver connected; subscribing');
      this.subscribeAll(client);
    });
    client.on('close', () => {
      if (!this.connected) return; // a failed reconnect attempt, already reported
      this.connected = false;
      stats.inc('mqtt.disconnected');
      log.warn({ broker: this.broker?.url() }, 'MQTT driver lost the broker; reconnecting / 与MQTT代理断开，正在重连');
      this.markAllOffline('lost the connection to the MQTT broker');
    });
    client.on('error', (error) => {
      stats.inc('mqtt.connection_error');
      const suppressed = this.throttle.admit(`error:${error.message}`);
      if (suppressed !== undefined) log.warn({ broker: this.broker?.url(), err: error.message, suppressed }, 'MQTT driver connection error');
    });
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
  }

  async stop(): Promise<void> {
    this.removeGate?.();
    this.removeGate = undefined;
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    if (client) await client.endAsync(true);
    client?.removeAllListeners();
    this.online.clear();
  }

  private subscribeAll(client: MqttClient): void {
    const { log, stats } = this.context;
    for (const { filter, source } of this.routes) {
      client.subscribe(filter, { qos: this.options.qos }, (error, granted) => {
        const refused = error ?? (granted?.[0]?.qos === 128 ? new Error('the broker refused the subscription (ACL?)') : undefined);
        if (refused === undefined) return;
        stats.inc('mqtt.subscribe_refused', { source: source.config.id });
        log.error({ source: source.config.id, topic: filter, err: refused.message }, 'MQTT subscription failed; this source will stay silent / MQTT订阅失败');
      });
    }
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    const { events, clock, log, stats } = this.context;
    if (retained && this.options.ignoreRetained) {
      stats.inc('mqtt.retained_ignored');
      log.debug({ topic }, 'retained MQTT message ignored: it is old');
      return;
    }
    const routes = this.routes.filter((route) => topicMatches(route.filter, topic));
    if (routes.length === 0) {
      stats.inc('mqtt.unrouted');
      return;
    }
    if (payload.length === 0) {
      // An empty payload is how a retained message is cleared (MQTT 3.1.1 §3.3.1.3): nothing to read, nothing wrong.
      stats.inc('mqtt.empty');
      return;
    }
    const mono = clock.mono();
    const parsed = parseJsonPayload(payload, this.options.maxPayloadBytes);
    for (const { source } of routes) {
      const id = source.config.id;
      stats.inc('mqtt.message', { source: id });
      if (!parsed.ok) {
        stats.inc('mqtt.malformed', { source: id });
        const suppressed = this.throttle.admit(`malformed:${id}:${parsed.reason}`);
        if (suppressed !== undefined) {
          log.warn(
            { source: id, topic, reason: parsed.reason, detail: parsed.detail, preview: payloadPreview(payload), suppressed },
            'malformed MQTT payload dropped / MQTT报文格式错误，已丢弃',
          );
        }
        continue;
      }
      if (!this.online.has(id)) {
        this.online.add(id);
        events.emit('source.status', { source: id, online: true, mono });
      }
      const raw: RawValue = { kind: 'json', value: parsed.value };
      events.emit('reading', { source: id, mono, values: new Map(source.resolved.points.map((point) => [point.id, raw])) });
    }
  }

  /** Without the broker the gateway cannot hear these sources; the first message after reconnecting marks each online again. */
  private markAllOffline(message: string): void {
    const mono = this.context.clock.mono();
    for (const id of this.online) {
      this.context.events.emit('source.status', { source: id, online: false, mono, lastError: sourceFault('connection', message) });
    }
    this.online.clear();
  }
}

/** A factory with other options (tests, embedders); the registry uses the defaults. */
export function createMqttDriverWith(options: Partial<MqttDriverOptions>): DriverFactory {
  return (context) => new MqttDriver(context, { ...DEFAULT_MQTT_DRIVER_OPTIONS, ...options });
}

export const createMqttDriver: DriverFactory = (context) => new MqttDriver(context);
