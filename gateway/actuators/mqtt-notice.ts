// Local MQTT notices for displays in the guard room, lift lobbies and staff phones: one retained JSON
// message per alarm on `<topicPrefix>/<alarmId>`, carrying its current state and zh-CN/en texts that
// name the building/unit/floor and what to do. A cleared alarm leaves a retained `cleared` state (alarm
// ids are stable per source/point/rule, so this stays bounded) and a display that connects later sees
// the true last state. On start, retained notices of alarms this gateway no longer has (left from before
// a restart) are overwritten as cleared, so no display keeps showing an alarm nobody can clear.
import type { MqttClient } from 'mqtt';
import type { z } from 'zod';
import type { mqttNoticeActuator } from '../../config/sections/outputs.js';
import type { AlarmView } from '../alarms/alarm.js';
import { locationText } from '../alarms/text.js';
import type { AlarmEvent } from '../pipeline/types.js';
import type { Logger } from '../shared/logger.js';
import type { Stats } from '../shared/stats.js';

export type MqttNoticeConfig = z.infer<typeof mqttNoticeActuator>;

export interface NoticePayload {
  readonly alarmId: string;
  readonly eventId: string;
  readonly transition: AlarmEvent['transition'];
  readonly state: AlarmEvent['state'];
  readonly level: AlarmEvent['level'];
  readonly silenced: boolean;
  readonly source: string;
  readonly point: string | null;
  readonly rule: string;
  readonly value: AlarmEvent['value'] | null;
  readonly location: { readonly zh: string; readonly en: string; readonly building?: string; readonly unit?: string; readonly floor?: string; readonly room?: string };
  readonly text: AlarmEvent['text'];
  readonly ts: number;
  readonly timeSynced: boolean;
  readonly test: boolean;
}

/** How long start-up waits for retained notices from before a restart. */
const STALE_SCAN_MS = 1000;

export class MqttNotice {
  private readonly levels: ReadonlySet<string>;
  private scanning = true;

  constructor(
    readonly config: MqttNoticeConfig,
    private readonly client: MqttClient,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {
    this.levels = new Set(config.levels);
  }

  topicOf(alarmId: string): string {
    return `${this.config.topicPrefix}/${alarmId}`;
  }

  static payload(event: AlarmEvent, view: AlarmView): NoticePayload {
    const where = locationText(event.tags);
    const { building, unit, floor, room } = event.tags;
    return {
      alarmId: event.alarmId,
      eventId: event.eventId,
      transition: event.transition,
      state: event.state,
      level: event.level,
      silenced: view.silenced,
      source: event.source,
      point: event.point ?? null,
      rule: event.rule,
      value: event.value ?? null,
      location: { ...where, building, unit, floor, room },
      text: event.text,
      ts: event.ts,
      timeSynced: event.timeSynced,
      test: view.test,
    };
  }

  /** Publishes the alarm's state after one transition. */
  onAlarm(event: AlarmEvent, view: AlarmView): void {
    if (!this.levels.has(event.level)) return;
    const topic = this.topicOf(event.alarmId);
    this.client.publish(topic, JSON.stringify(MqttNotice.payload(event, view)), { qos: 1, retain: true }, (error) => {
      if (!error) return;
      this.stats.inc('notice.publish_error', { actuator: this.config.id });
      this.log.error({ topic, err: error }, 'MQTT notice could not be published');
    });
    this.stats.inc('notice.published', { actuator: this.config.id });
  }

  /** Looks for retained notices this gateway no longer backs and marks them cleared. */
  scanStale(current: () => readonly AlarmView[]): Promise<void> {
    const filter = `${this.config.topicPrefix}/+`;
    const onMessage = (topic: string, payload: Buffer, packet: { retain?: boolean }) => {
      if (!this.scanning || !packet.retain || !topic.startsWith(`${this.config.topicPrefix}/`)) return;
      let previous: Partial<NoticePayload> | undefined;
      try {
        previous = JSON.parse(payload.toString('utf8')) as Partial<NoticePayload>;
      } catch (error) {
        this.stats.inc('notice.bad_retained', { actuator: this.config.id });
        this.log.warn({ topic, err: error }, 'retained notice is not JSON; overwriting it as cleared');
      }
      const alarmId = topic.slice(this.config.topicPrefix.length + 1);
      if (previous?.state === 'cleared' || current().some((a) => a.alarmId === alarmId)) return;
      const cleared = { ...previous, alarmId, state: 'cleared', transition: 'reset', silenced: false, note: { zh: '网关重启，此报警已不在当前报警中', en: 'gateway restarted; this alarm is no longer active' } };
      this.client.publish(topic, JSON.stringify(cleared), { qos: 1, retain: true });
      this.log.info({ topic }, 'retained notice from before a restart marked cleared');
    };
    this.client.on('message', onMessage);
    return new Promise((resolve) => {
      this.client.subscribe(filter, { qos: 1 }, (error) => {
        if (error) {
          this.stats.inc('notice.subscribe_error', { actuator: this.config.id });
          this.log.error({ filter, err: error }, 'could not look for stale retained notices');
        }
        setTimeout(() => {
          this.scanning = false;
          this.client.removeListener('message', onMessage);
          this.client.unsubscribe(filter);
          resolve();
        }, STALE_SCAN_MS).unref();
      });
    });
  }
}
