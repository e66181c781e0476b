// Local MQTT notices for displays in the guard room, lift lobbies and staff phones: one retained JSON
// message per alarm on `<topicPrefix>/<alarmId>`, carrying its current state and zh-CN/en texts that
// name the building/unit/floor and what to do. A cleared alarm leaves a retained `cleared` state with its
// own text ("积水报警已解除 / Flooding cleared", never the raise text; alarm ids are stable per
// source/point/rule, so this stays bounded) and a display that connects later sees the true last state.
// Per area (building, or `site` for sources with none), a retained `<topicPrefix>/area/<area>` lists the
// alarms not yet cleared there, so a lobby display subscribes to one topic and, after a reboot, knows at
// once whether a flood is on. On start, retained notices of alarms this gateway no longer has (left from
// before a restart) are overwritten as cleared, and every area is published as it is now.
import type { MqttClient } from 'mqtt';
import type { AlarmView } from '../../alarms/alarm.js';
import { locationText } from '../../alarms/text.js';
import type { AlarmEvent } from '../../pipeline/types.js';
import type { Logger } from '../../../contract/logger.js';
import type { Stats } from '../../../contract/stats.js';
import type { MqttNoticeConfig } from './options.js';

export type { MqttNoticeConfig } from './options.js';

/** The rule's own text (what happened), for the cleared notice; undefined when the rule has none. */
export type RuleTextOf = (source: string, rule: string) => AlarmEvent['text'] | undefined;

/** The area a notice belongs to: its building, or the whole site. */
export function areaOf(tags: { readonly building?: string }): string {
  return tags.building !== undefined && /^[A-Za-z0-9_-]{1,32}$/.test(tags.building) ? tags.building : 'site';
}

export interface AreaNotice {
  readonly area: string;
  readonly location: { readonly zh: string; readonly en: string };
  /** Alarms not yet cleared in this area, most urgent first. */
  readonly alarms: readonly { readonly alarmId: string; readonly level: AlarmEvent['level']; readonly state: AlarmEvent['state']; readonly silenced: boolean; readonly text: AlarmEvent['text']; readonly raisedTs: number }[];
  readonly text: AlarmEvent['text'];
  readonly ts: number;
}

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
    private readonly ruleText: RuleTextOf = () => undefined,
  ) {
    this.levels = new Set(config.levels);
  }

  topicOf(alarmId: string): string {
    return `${this.config.topicPrefix}/${alarmId}`;
  }

  areaTopicOf(area: string): string {
    return `${this.config.topicPrefix}/area/${area}`;
  }

  /** A cleared or reset alarm's own text: where, and the rule's text with "cleared" (解除) or "reset" (复位). */
  static clearedText(event: AlarmEvent, ruleText: AlarmEvent['text'] | undefined): AlarmEvent['text'] {
    const where = locationText(event.tags);
    const what = ruleText ?? { zh: '报警', en: 'alarm' };
    const [zhDone, enDone] = event.transition === 'reset' ? ['已复位', 'reset'] : ['已解除', 'cleared'];
    return {
      zh: `${[where.zh, `${what.zh}${zhDone}`].filter(Boolean).join('：')}`,
      en: `${[where.en, `${what.en} ${enDone}`].filter(Boolean).join(': ')}`,
    };
  }

  static payload(event: AlarmEvent, view: AlarmView, ruleText?: RuleTextOf): NoticePayload {
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
      text: event.state === 'cleared' ? MqttNotice.clearedText(event, ruleText?.(event.source, event.rule)) : event.text,
      ts: event.ts,
      timeSynced: event.timeSynced,
      test: view.test,
    };
  }

  /** Publishes the alarm's state after one transition, and its area's current alarms (`current` is after it). */
  onAlarm(event: AlarmEvent, view: AlarmView, current: readonly AlarmView[], now: number): void {
    if (!this.levels.has(event.level)) return;
    this.publish(this.topicOf(event.alarmId), MqttNotice.payload(event, view, this.ruleText));
    this.publishArea(areaOf(event.tags), event.tags, current, now);
  }

  /** One area's retained summary: what a display shows when it (re)connects. */
  publishArea(area: string, tags: { readonly building?: string }, current: readonly AlarmView[], now: number): void {
    const alarms = current
      .filter((a) => this.levels.has(a.level) && areaOf(a.tags) === area)
      .map((a) => ({ alarmId: a.alarmId, level: a.level, state: a.state, silenced: a.silenced, text: a.text, raisedTs: a.raisedTs }));
    const location = area === 'site' ? { zh: '全小区', en: 'whole compound' } : locationText(tags.building === undefined ? {} : { building: tags.building });
    const text = alarms.length === 0 ? { zh: `${location.zh}：无报警`, en: `${location.en}: no alarms` } : { zh: `${location.zh}：${alarms.length}条报警`, en: `${location.en}: ${alarms.length} alarm(s)` };
    const notice: AreaNotice = { area, location, alarms, text, ts: now };
    this.publish(this.areaTopicOf(area), notice);
  }

  private publish(topic: string, payload: object): void {
    this.client.publish(topic, JSON.stringify(payload), { qos: 1, retain: true }, (error) => {
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
