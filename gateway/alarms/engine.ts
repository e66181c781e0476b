// The alarm engine: rule conditions and commands → alarm records → one 'alarm' event per transition.
//   raise → (acknowledge) → clear;  latching alarms stay until reset once their condition clears;
//   combination rules escalate; silence stops the sound for a limited time while the alarm stays active,
//   and a NEW alarm sounds again; suppression windows (drills, maintenance) hold back raising.
// Every event carries a fresh eventId (crypto.randomUUID) for the spool's alarm lane and township dedup.
import { randomUUID } from 'node:crypto';
import type { AlarmSettings } from '../../config/sections/rules.js';
import type { EventBus } from '../pipeline/event-bus.js';
import type { GatewayEvents } from '../pipeline/events.js';
import { alarmLevelRank, type AlarmEvent, type AlarmLevel, type AlarmTransition, type Clock, type GatewayCommand } from '../pipeline/types.js';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import type { RuleCondition } from '../rules/condition.js';
import { alarmIdOf } from '../rules/condition.js';
import type { AlarmView } from './alarm.js';
import type { LatchedAlarm, LatchStore } from './latch-store.js';
import { openSuppression } from './suppression.js';

export const TEST_ALARM_RULE = 'test_alarm';

interface AlarmRecord extends AlarmView {
  silencedUntil: number | undefined;
  /** For test alarms: monotonic ms when it clears by itself. */
  testUntil: number | undefined;
}

export interface AlarmEngineContext {
  readonly events: EventBus<GatewayEvents>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly stats: Stats;
  /** The gateway id: the source of test alarms. */
  readonly gatewayId: string;
  readonly gatewayTags: AlarmView['tags'];
  readonly settings: AlarmSettings;
  /** Keeps latched alarms across restarts; without it they live in memory only. */
  readonly store?: LatchStore;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class AlarmEngine {
  private readonly records = new Map<string, Mutable<AlarmRecord>>();
  /** Conditions held back by a suppression window; raised if still active when the window closes. */
  private readonly held = new Map<string, RuleCondition>();

  constructor(private readonly context: AlarmEngineContext) {}

  /** The current alarm set (anything not cleared), most urgent first, oldest first within a level. */
  alarms(): AlarmView[] {
    return [...this.records.values()]
      .map((r) => ({ ...r, silenced: r.silencedUntil !== undefined }))
      .sort((a, b) => alarmLevelRank(a.level) - alarmLevelRank(b.level) || a.raisedTs - b.raisedTs);
  }

  get(alarmId: string): AlarmView | undefined {
    return this.alarms().find((a) => a.alarmId === alarmId);
  }

  /**
   * Brings back the latched alarms saved before a restart, waiting for reset (condition unknown until the
   * rules say otherwise), and announces them again so sirens and notices show them.
   */
  restore(): void {
    for (const saved of this.context.store?.load() ?? []) {
      if (this.records.has(saved.alarmId)) continue;
      const record: Mutable<AlarmRecord> = { ...saved, latch: true, conditionActive: false, silenced: false, test: false, silencedUntil: undefined, testUntil: undefined };
      this.records.set(record.alarmId, record);
      this.context.log.warn({ alarmId: record.alarmId, state: record.state }, 'latched alarm restored after a restart; it stays until reset');
      this.emit(record, record.state === 'acknowledged' ? 'acknowledge' : 'raise', record.acknowledgedBy);
    }
  }

  condition(condition: RuleCondition): void {
    const record = this.records.get(condition.alarmId);
    if (!condition.active) {
      this.held.delete(condition.alarmId);
      if (!record) return;
      record.conditionActive = false;
      record.value = condition.value ?? record.value;
      if (record.latch) {
        this.context.log.info({ alarmId: record.alarmId }, 'condition cleared; latched alarm stays until reset');
        return;
      }
      this.finish(record, 'clear', undefined);
      return;
    }
    if (record) {
      record.conditionActive = true;
      record.value = condition.value ?? record.value;
      // A latched alarm that was acknowledged and comes back is a new occurrence: it sounds again.
      if (record.state === 'acknowledged' && record.latch) {
        record.state = 'raised';
        record.silencedUntil = undefined;
        record.text = condition.text;
        this.emit(record, 'raise', undefined);
      }
      return;
    }
    const reason = this.suppressionReason(condition);
    if (reason !== undefined) {
      if (!this.held.has(condition.alarmId)) {
        this.context.stats.inc('alarms.suppressed', { source: condition.source, rule: condition.rule });
        this.context.log.warn({ alarmId: condition.alarmId, reason }, 'alarm held back by a suppression window');
      }
      this.held.set(condition.alarmId, condition);
      return;
    }
    this.raise(condition);
  }

  private suppressionReason(condition: RuleCondition): string | undefined {
    const { clock, settings } = this.context;
    const siteWindows = settings.suppress
      .filter((s) => (s.sources.length === 0 || s.sources.includes(condition.source)) && (s.levels.length === 0 || s.levels.includes(condition.level)))
      .map((s) => s.window);
    return openSuppression([...condition.suppress, ...siteWindows], clock.now(), clock.synced());
  }

  private raise(condition: RuleCondition): void {
    const record: Mutable<AlarmRecord> = {
      alarmId: condition.alarmId,
      source: condition.source,
      point: condition.point,
      rule: condition.rule,
      level: condition.level,
      state: 'raised',
      latch: condition.latch,
      conditionActive: true,
      silenced: false,
      value: condition.value,
      text: condition.text,
      tags: condition.tags,
      raisedTs: this.context.clock.now(),
      acknowledgedBy: undefined,
      test: false,
      silencedUntil: undefined,
      testUntil: undefined,
    };
    this.records.set(record.alarmId, record);
    const escalation = condition.members.some((id) => this.records.has(id));
    this.emit(record, escalation ? 'escalate' : 'raise', undefined);
  }

  command(command: GatewayCommand): void {
    switch (command.kind) {
      case 'acknowledge': {
        const record = this.find(command.alarmId, command.kind);
        if (!record || record.state !== 'raised') return;
        record.state = 'acknowledged';
        record.acknowledgedBy = command.by;
        this.emit(record, 'acknowledge', command.by);
        return;
      }
      case 'silence': {
        const forMs = command.forMs > 0 ? command.forMs : this.context.settings.silenceFor;
        const targets = command.alarmId === undefined ? [...this.records.values()] : [this.find(command.alarmId, command.kind)].filter((r) => r !== undefined);
        for (const record of targets) {
          record.silencedUntil = this.context.clock.mono() + forMs;
          this.emit(record, 'silence', command.by);
        }
        return;
      }
      case 'reset': {
        const record = this.find(command.alarmId, command.kind);
        if (!record) return;
        if (record.conditionActive && !record.test) {
          this.context.stats.inc('alarms.reset_refused', { source: record.source });
          this.context.log.warn({ alarmId: record.alarmId, by: command.by }, 'reset refused: the condition is still active');
          return;
        }
        this.finish(record, 'reset', command.by);
        return;
      }
      case 'test_alarm':
        this.testAlarm(command.level, command.forMs, command.by);
        return;
      default:
        return;
    }
  }

  /** Silence expiry, test-alarm expiry, suppression windows closing. Called by the stage's timer. */
  tick(): void {
    const mono = this.context.clock.mono();
    for (const record of [...this.records.values()]) {
      if (record.testUntil !== undefined && mono >= record.testUntil) {
        this.finish(record, 'clear', undefined);
        continue;
      }
      if (record.silencedUntil !== undefined && mono >= record.silencedUntil) {
        record.silencedUntil = undefined;
        this.emit(record, 'unsilence', undefined);
      }
    }
    for (const condition of [...this.held.values()]) {
      if (this.suppressionReason(condition) !== undefined) continue;
      this.held.delete(condition.alarmId);
      this.context.log.info({ alarmId: condition.alarmId }, 'suppression window closed with the condition still active; raising');
      this.raise(condition);
    }
  }

  private testAlarm(level: AlarmLevel, forMs: number, by: string): void {
    const { gatewayId, gatewayTags, clock } = this.context;
    const alarmId = alarmIdOf(gatewayId, undefined, TEST_ALARM_RULE);
    const existing = this.records.get(alarmId);
    if (existing) this.finish(existing, 'clear', by);
    const record: Mutable<AlarmRecord> = {
      alarmId,
      source: gatewayId,
      point: undefined,
      rule: TEST_ALARM_RULE,
      level,
      state: 'raised',
      latch: false,
      conditionActive: false,
      silenced: false,
      value: undefined,
      text: { zh: '测试报警，不是真实警情，无需处理', en: 'TEST alarm, not a real alarm; no action needed' },
      tags: gatewayTags,
      raisedTs: clock.now(),
      acknowledgedBy: undefined,
      test: true,
      silencedUntil: undefined,
      testUntil: clock.mono() + forMs,
    };
    this.records.set(alarmId, record);
    this.emit(record, 'raise', by);
  }

  private latched(): LatchedAlarm[] {
    return [...this.records.values()]
      .filter((r) => r.latch && !r.test)
      .map(({ alarmId, source, point, rule, level, state, value, text, tags, raisedTs, acknowledgedBy }) => ({ alarmId, source, point, rule, level, state, value, text, tags, raisedTs, acknowledgedBy }));
  }

  private find(alarmId: string, action: string): Mutable<AlarmRecord> | undefined {
    const record = this.records.get(alarmId);
    if (!record) {
      this.context.stats.inc('alarms.unknown_command_target', { action });
      this.context.log.warn({ alarmId, action }, 'command for an alarm that is not active; ignored');
    }
    return record;
  }

  private finish(record: Mutable<AlarmRecord>, transition: 'clear' | 'reset', by: string | undefined): void {
    record.state = 'cleared';
    record.silencedUntil = undefined;
    this.records.delete(record.alarmId);
    this.emit(record, transition, by);
  }

  private emit(record: AlarmRecord, transition: AlarmTransition, by: string | undefined): void {
    const { clock, events, stats, log } = this.context;
    const event: AlarmEvent = {
      eventId: randomUUID(),
      alarmId: record.alarmId,
      transition,
      state: record.state,
      level: record.level,
      source: record.source,
      point: record.point,
      rule: record.rule,
      value: record.value,
      text: record.text,
      tags: record.tags,
      ts: clock.now(),
      mono: clock.mono(),
      timeSynced: clock.synced(),
      by,
    };
    stats.inc('alarms.transition', { transition, level: record.level });
    if (record.latch && !record.test) this.context.store?.save(this.latched());
    log.info({ alarmId: event.alarmId, eventId: event.eventId, transition, level: event.level, state: event.state, by }, 'alarm transition');
    events.emit('alarm', event);
  }
}
