// The alarm stage: subscribes the engine to rule conditions and commands, and ticks it for silence
// expiry, test-alarm expiry and suppression windows closing.
import { join } from 'node:path';
import { alarmSettings, type AlarmSettings } from '../../config/sections/rules.js';
import type { RuntimeContext, Stage, StageFactory } from '../pipeline/stage.js';
import { onCondition } from '../rules/condition.js';
import { scope } from '../../contract/logger.js';
import { AlarmEngine } from './engine.js';
import { LatchStore } from './latch-store.js';

export const ALARM_TICK_MS = 250;

/** Site-wide settings: `alarms:` in the site config, else the defaults. */
export function siteAlarmSettings(site: RuntimeContext['site']): AlarmSettings {
  return site.alarms ?? alarmSettings.parse({});
}

export class AlarmStage implements Stage {
  readonly name = 'alarms';
  readonly engine: AlarmEngine;
  private readonly unsubscribe: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Withdraws the `alarmEngine` service on stop. */
  private withdraw: (() => void) | undefined;
  private readonly store: LatchStore;

  constructor(private readonly context: RuntimeContext) {
    const { site } = context;
    const settings = siteAlarmSettings(site);
    const log = scope(context.log, 'alarms');
    // Next to the spool on the SD card by default: the one place the site config already says is durable.
    this.store = new LatchStore(settings.latchFile ?? join(site.spool.dir, 'latched-alarms.json'), log, context.stats);
    this.engine = new AlarmEngine({
      events: context.events,
      clock: context.clock,
      log,
      stats: context.stats,
      gatewayId: site.gateway.id,
      gatewayTags: Object.freeze({ township: site.gateway.township, compound: site.gateway.compound, gateway: site.gateway.id, source: site.gateway.id }),
      settings,
      store: this.store,
    });
  }

  start(): void {
    this.unsubscribe.push(
      onCondition(this.context.events, (c) => this.engine.condition(c)),
      this.context.events.on('command', (c) => this.engine.command(c)),
    );
    this.timer = setInterval(() => this.engine.tick(), ALARM_TICK_MS);
    this.timer.unref();
    this.withdraw = this.context.services.provide('alarmEngine', this.engine);
    // After subscribing and after the actuators started (sink-first), so the restored alarms sound.
    this.engine.restore();
  }

  stop(): void {
    this.withdraw?.();
    this.withdraw = undefined;
    for (const off of this.unsubscribe.splice(0)) off();
    clearInterval(this.timer);
    this.timer = undefined;
    this.store.flush();
  }
}

export const alarmStage: StageFactory = (context) => new AlarmStage(context);
