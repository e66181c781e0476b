// Home Assistant MQTT discovery, so compound staff who run Home Assistant see every sensor and alarm
// with no extra work: a `sensor` per measured point (device_class, state_class and unit by HA's rules,
// ha-classes.ts) and a `binary_sensor` per alarm (rule × point), grouped under one HA device per source,
// each `via_device` the gateway's own device (announced with a connectivity sensor), with an availability
// topic that the broker flips to "offline" (last will) when the gateway goes away. Point states are
// throttled to one per `stateEvery` per point, so a busy bus does not flood the broker. When HA restarts
// it says "online" on `<discoveryPrefix>/status`, and everything is announced again.
import type { MqttClient } from 'mqtt';
import type { ResolvedSource } from '../../drivers/driver.js';
import type { AlarmEvent, Measurement, SourceStatus } from '../../pipeline/types.js';
import { alarmIdOf } from '../../rules/condition.js';
import { effectiveRules, SENSOR_FAULT_RULE_ID } from '../../rules/effective.js';
import type { Logger } from '../../../contract/logger.js';
import type { Stats } from '../../../contract/stats.js';
import { fixedUnitOf, haSensorClass, haValue } from './ha-classes.js';
import type { HomeAssistantConfig } from './options.js';

export type { HomeAssistantConfig } from './options.js';

export interface DiscoveryMessage {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
  /** For an alarm's binary_sensor: the alarm whose state it shows. */
  readonly alarmId?: string;
}

const BINARY_DEVICE_CLASS: Readonly<Record<string, string>> = { smoke: 'smoke', water_level: 'moisture', door: 'door' };

/** The gateway as the HA device every source device sits behind. */
export interface HaGateway {
  readonly id: string;
  readonly name?: { readonly zh: string; readonly en: string } | undefined;
}

export class HomeAssistant {
  private readonly lastState = new Map<string, number>();
  /** Per enum point (`source/point`): the options announced; HA refuses an enum state outside them. */
  private readonly enumOptions = new Map<string, ReadonlySet<string>>();
  /** Per point whose unit comes from a unit-code register: the one unit HA was told; values are converted into it. */
  private readonly fixedUnits = new Map<string, string>();
  private readonly gatewayId: string;
  /** Alarms not cleared, so a re-announce publishes their true state. */
  private readonly active = new Set<string>();
  /** Sources a driver reported offline; a source not heard of yet counts as online (its alarms say otherwise). */
  private readonly offline = new Set<string>();
  private readonly stateEveryMs: number;
  /** Built once at start, so a broken rule override fails the stage start (with its config path), not a later reconnect. */
  private readonly messages: readonly DiscoveryMessage[];

  constructor(
    readonly config: HomeAssistantConfig,
    private readonly gateway: HaGateway,
    private readonly sources: readonly ResolvedSource[],
    private readonly client: MqttClient,
    private readonly log: Logger,
    private readonly stats: Stats,
    private readonly mono: () => number,
  ) {
    this.gatewayId = gateway.id;
    this.stateEveryMs = config.stateEvery;
    this.messages = this.discovery();
  }

  availabilityTopic(): string {
    return `${this.config.statePrefix}/${this.gatewayId}/availability`;
  }

  /** One source's availability: offline while its driver says it is (issue 20: points stayed "good"). */
  sourceAvailabilityTopic(source: string): string {
    return `${this.config.statePrefix}/${this.gatewayId}/${source}/availability`;
  }

  pointStateTopic(source: string, point: string): string {
    return `${this.config.statePrefix}/${this.gatewayId}/${source}/${point}`;
  }

  alarmStateTopic(alarmId: string): string {
    return `${this.config.statePrefix}/${this.gatewayId}/alarm/${alarmId}`;
  }

  /** HA's birth/will topic: "online" after HA (re)starts. */
  statusTopic(): string {
    return `${this.config.discoveryPrefix}/status`;
  }

  /** Every discovery config this gateway announces, and the initial alarm states (all OFF at start). */
  discovery(): DiscoveryMessage[] {
    const gw = this.gatewayId;
    const availability = { availability_topic: this.availabilityTopic(), payload_available: 'online', payload_not_available: 'offline' };
    // The gateway's own device, which every source's via_device names; its connectivity is the availability topic itself.
    const messages: DiscoveryMessage[] = [
      {
        topic: `${this.config.discoveryPrefix}/binary_sensor/${gw}/connectivity/config`,
        payload: {
          name: '网关连接 Gateway connection',
          unique_id: `lastmile_${gw}_connectivity`,
          state_topic: this.availabilityTopic(),
          payload_on: 'online',
          payload_off: 'offline',
          device_class: 'connectivity',
          entity_category: 'diagnostic',
          device: {
            identifiers: [`lastmile_${gw}`],
            name: this.gateway.name ? `${this.gateway.name.zh} ${this.gateway.name.en}` : `lastmile ${gw}`,
            manufacturer: 'lastmile',
            model: 'lastmile gateway',
          },
        },
      },
    ];
    for (const source of this.sources) {
      const id = source.config.id;
      const { building, unit, floor, room } = source.tags;
      const where = [building && `${building}号楼`, unit && `${unit}单元`, floor && `${floor}层`, room].filter(Boolean).join('');
      const device = {
        identifiers: [`lastmile_${gw}_${id}`],
        name: `${source.profile.name.zh} ${where} (${id})`,
        manufacturer: source.profile.vendor,
        model: source.profile.model,
        via_device: `lastmile_${gw}`,
        suggested_area: where || undefined,
      };
      for (const point of source.resolved.points) {
        if (point.internal) continue;
        const classes = haSensorClass(point);
        if (classes.options) this.enumOptions.set(`${id}/${point.id}`, new Set(classes.options));
        const fixed = point.unit === undefined ? fixedUnitOf(point.unitFrom) : undefined;
        if (fixed !== undefined) this.fixedUnits.set(`${id}/${point.id}`, fixed);
        messages.push({
          topic: `${this.config.discoveryPrefix}/sensor/${gw}_${id}/${point.id}/config`,
          payload: {
            name: point.name ? `${point.name.zh} ${point.name.en}` : point.id,
            unique_id: `lastmile_${gw}_${id}_${point.id}`,
            state_topic: this.pointStateTopic(id, point.id),
            ...classes,
            // Unavailable when the gateway is gone or this source is offline: a stale value is not shown as current.
            availability: [
              { topic: this.availabilityTopic(), payload_available: 'online', payload_not_available: 'offline' },
              { topic: this.sourceAvailabilityTopic(id), payload_available: 'online', payload_not_available: 'offline' },
            ],
            availability_mode: 'all',
            device,
          },
        });
        if (point.faults.length > 0) messages.push(this.binary(gw, id, device, availability, alarmIdOf(id, point.id, SENSOR_FAULT_RULE_ID), `${point.name?.zh ?? point.id} 故障 fault`, 'problem'));
      }
      for (const rule of effectiveRules(source.profile, source.config)) {
        const point = 'point' in rule ? rule.point : undefined;
        const name = rule.text ? `${rule.text.zh} ${rule.text.en}` : rule.id;
        const deviceClass = rule.level === 'offline' ? 'connectivity' : rule.kind === 'state' || rule.kind === 'threshold' ? (BINARY_DEVICE_CLASS[source.profile.class] ?? 'problem') : 'problem';
        messages.push(this.binary(gw, id, device, availability, alarmIdOf(id, point, rule.id), name, deviceClass));
      }
    }
    return messages;
  }

  private binary(gw: string, source: string, device: object, availability: object, alarmId: string, name: string, deviceClass: string): DiscoveryMessage {
    return {
      alarmId,
      topic: `${this.config.discoveryPrefix}/binary_sensor/${gw}_${source}/${alarmId.replaceAll('.', '_')}/config`,
      payload: {
        name,
        unique_id: `lastmile_${gw}_${alarmId.replaceAll('.', '_')}`,
        state_topic: this.alarmStateTopic(alarmId),
        payload_on: 'ON',
        payload_off: 'OFF',
        // The state topic always says ON = alarm active. HA's connectivity class wants "on" = connected,
        // so for "sensor silent" alarms the payloads swap meaning.
        ...(deviceClass === 'connectivity' ? { payload_on: 'OFF', payload_off: 'ON' } : {}),
        device_class: deviceClass,
        ...availability,
        device,
      },
    };
  }

  /** Announces everything; called on every (re)connect because HA may have restarted meanwhile. */
  announce(): void {
    this.publish(this.availabilityTopic(), 'online', true, 1);
    for (const source of this.sources) this.publish(this.sourceAvailabilityTopic(source.config.id), this.offline.has(source.config.id) ? 'offline' : 'online', true, 1);
    for (const message of this.messages) {
      this.publish(message.topic, JSON.stringify(message.payload), true, 1);
      const state = message.payload.state_topic;
      // Each alarm's current state: a re-announce while an alarm is on (HA restarted) must not say OFF.
      if (message.alarmId !== undefined && typeof state === 'string') this.publish(state, this.active.has(message.alarmId) ? 'ON' : 'OFF', true, 1);
    }
  }

  goodbye(): void {
    this.publish(this.availabilityTopic(), 'offline', true, 1);
  }

  /** HA's "online" on its status topic: it restarted and forgot everything that was not retained. */
  onStatus(payload: string): void {
    if (payload === 'online') this.announce();
  }

  onMeasurement(measurement: Measurement): void {
    const key = `${measurement.source}/${measurement.point}`;
    // HA logs an error for an enum state it was not told about (an unknown raw code); the fault sensor says it.
    const options = this.enumOptions.get(key);
    if (options && !options.has(String(measurement.value))) return;
    const value = haValue(measurement.value, measurement.unit, this.fixedUnits.get(key));
    if (value === undefined) return;
    const now = this.mono();
    const last = this.lastState.get(key);
    if (last !== undefined && now - last < this.stateEveryMs) return;
    this.lastState.set(key, now);
    this.publish(this.pointStateTopic(measurement.source, measurement.point), value, true, 0);
  }

  onSourceStatus(status: SourceStatus): void {
    if (status.online === !this.offline.has(status.source)) return;
    if (status.online) this.offline.delete(status.source);
    else this.offline.add(status.source);
    this.publish(this.sourceAvailabilityTopic(status.source), status.online ? 'online' : 'offline', true, 1);
  }

  onAlarm(event: AlarmEvent): void {
    if (event.transition !== 'raise' && event.transition !== 'escalate' && event.transition !== 'clear' && event.transition !== 'reset') return;
    if (event.state === 'cleared') this.active.delete(event.alarmId);
    else this.active.add(event.alarmId);
    this.publish(this.alarmStateTopic(event.alarmId), event.state === 'cleared' ? 'OFF' : 'ON', true, 1);
  }

  private publish(topic: string, payload: string, retain: boolean, qos: 0 | 1): void {
    this.client.publish(topic, payload, { qos, retain }, (error) => {
      if (!error) return;
      this.stats.inc('homeassistant.publish_error', { actuator: this.config.id });
      this.log.error({ topic, err: error }, 'Home Assistant message could not be published');
    });
  }
}
