// Per-component alarms. The panel has already decided (火警 is the fire panel's verdict, not a value to
// threshold), and a panel has hundreds of components the profile cannot list as points, so the driver
// reports each component's verdict as a rule condition, the way the rules stage reports a device fault
// sentinel (rules/stage.ts fault()). The alarm engine does the rest: latching, acknowledge, silence,
// suppression windows, the spool's alarm lane. Location: the installer's map (source `gbt26875.components`)
// over the source tags; an unmapped component still alarms at the source tags, named by the panel description.
import type { ComponentLocation } from '../../../config/sections/gbt26875.js';
import { composeAlarmText, defaultAction } from '../../alarms/text.js';
import type { EventBus } from '../../pipeline/event-bus.js';
import type { GatewayEvents } from '../../pipeline/events.js';
import type { AlarmLevel, LocalText, Tags } from '../../pipeline/types.js';
import { alarmIdOf, emitCondition } from '../../rules/condition.js';
import { COMPONENT_BITS } from './codec/status.js';
import type { ComponentChange, ComponentSnapshot } from './panel-state.js';

interface BitAlarm {
  readonly bit: keyof typeof COMPONENT_BITS;
  readonly rule: string;
  readonly level: AlarmLevel;
  readonly latch: boolean;
  readonly what: LocalText;
}

/** Fire first: the order is the order conditions are emitted for one packet. */
export const COMPONENT_ALARMS: readonly BitAlarm[] = [
  { bit: 'fire', rule: 'panel_fire', level: 'fire', latch: true, what: { zh: '火警', en: 'fire alarm' } },
  { bit: 'fault', rule: 'panel_fault', level: 'fault', latch: false, what: { zh: '故障', en: 'fault' } },
  { bit: 'power_fault', rule: 'panel_power_fault', level: 'fault', latch: false, what: { zh: '电源故障', en: 'power fault' } },
  { bit: 'supervisory', rule: 'panel_supervisory', level: 'alarm', latch: false, what: { zh: '监管报警', en: 'supervisory alarm' } },
  { bit: 'disabled', rule: 'panel_disabled', level: 'warning', latch: false, what: { zh: '被屏蔽（不再报警）', en: 'disabled (will not alarm)' } },
];

/** Component types of §8.2.1.2 most seen in residential buildings; others show as "部件类型 N". */
const COMPONENT_TYPES: Readonly<Record<number, LocalText>> = {
  1: { zh: '火灾报警控制器', en: 'Fire alarm control panel' },
  10: { zh: '可燃气体探测器', en: 'Combustible gas detector' },
  21: { zh: '探测回路', en: 'Detection loop' },
  22: { zh: '火灾显示盘', en: 'Fire display panel' },
  23: { zh: '手动火灾报警按钮', en: 'Manual call point' },
  24: { zh: '消火栓按钮', en: 'Hydrant button' },
  25: { zh: '火灾探测器', en: 'Fire detector' },
  30: { zh: '感温火灾探测器', en: 'Heat detector' },
  31: { zh: '点型感温火灾探测器', en: 'Point heat detector' },
  40: { zh: '感烟火灾探测器', en: 'Smoke detector' },
  41: { zh: '点型离子感烟火灾探测器', en: 'Ionisation smoke detector' },
  42: { zh: '点型光电感烟火灾探测器', en: 'Optical smoke detector' },
  44: { zh: '吸气式感烟火灾探测器', en: 'Aspirating smoke detector' },
  51: { zh: '复合式感烟感温火灾探测器', en: 'Smoke and heat detector' },
  84: { zh: '模块', en: 'Module' },
  85: { zh: '输入模块', en: 'Input module' },
  86: { zh: '输出模块', en: 'Output module' },
  91: { zh: '消防水泵', en: 'Fire pump' },
  92: { zh: '消防水箱', en: 'Fire water tank' },
  95: { zh: '喷淋泵', en: 'Sprinkler pump' },
  96: { zh: '水流指示器', en: 'Water flow indicator' },
  97: { zh: '信号阀', en: 'Signal valve' },
  98: { zh: '报警阀', en: 'Alarm valve' },
  99: { zh: '压力开关', en: 'Pressure switch' },
  102: { zh: '防火门', en: 'Fire door' },
  111: { zh: '防烟排烟风机', en: 'Smoke exhaust fan' },
  117: { zh: '防火卷帘控制器', en: 'Fire shutter controller' },
  118: { zh: '防火门监控器', en: 'Fire door monitor' },
};

export function componentTypeName(type: number): LocalText {
  return COMPONENT_TYPES[type] ?? { zh: `部件类型${type}`, en: `component type ${type}` };
}

/** Alarm-id point of a component: ids hold [a-z0-9_-] only, so the key's dashes stay. */
export function componentPoint(key: string): string {
  return `c${key}`;
}

export interface ComponentAlarmContext {
  readonly source: string;
  readonly tags: Tags;
  readonly map: Readonly<Record<string, ComponentLocation>>;
  readonly events: EventBus<GatewayEvents>;
  /** Called once per unmapped component, so the installer learns its key. */
  readonly onUnmapped: (component: ComponentSnapshot) => void;
}

export class ComponentAlarms {
  /** `key/rule` of the conditions reported active and not yet cleared. */
  private readonly active = new Set<string>();
  private readonly unmappedSeen = new Set<string>();

  constructor(private readonly context: ComponentAlarmContext) {}

  /** Emits a condition for every alarm bit that turned on or off; fire first. */
  changed(changes: readonly ComponentChange[], mono: number): void {
    for (const alarm of COMPONENT_ALARMS) {
      for (const change of changes) {
        const on = ((change.now.status >> COMPONENT_BITS[alarm.bit]) & 1) === 1;
        const key = `${change.now.key}/${alarm.rule}`;
        if (on === this.active.has(key)) continue;
        if (on) this.active.add(key);
        else this.active.delete(key);
        this.emit(alarm, change.now, on, mono);
      }
    }
  }

  /** Components with an active alarm condition, for the console and tests. */
  activeConditions(): readonly string[] {
    return [...this.active];
  }

  private emit(alarm: BitAlarm, component: ComponentSnapshot, active: boolean, mono: number): void {
    const { source, events } = this.context;
    const tags = this.locate(component);
    // The installer's name says it all ("3层走廊感烟探测器 (1-1-3-12)"); otherwise the component type and the
    // panel's description ("手动火灾报警按钮 二层手报 (1-1-3-7)"). The key lets staff find it on the panel.
    const mapped = this.context.map[component.key]?.name;
    const typeName = componentTypeName(component.ref.type);
    const subject: LocalText =
      mapped !== undefined
        ? { zh: `${mapped} (${component.key})`, en: `${mapped} (${component.key})` }
        : {
            zh: `${[typeName.zh, component.description].filter(Boolean).join(' ')} (${component.key})`,
            en: `${[typeName.en, component.description].filter(Boolean).join(' ')} (${component.key})`,
          };
    const point = componentPoint(component.key);
    emitCondition(events, {
      alarmId: alarmIdOf(source, point, alarm.rule),
      source,
      point,
      rule: alarm.rule,
      kind: 'state',
      class: 'smoke',
      level: alarm.level,
      latch: alarm.latch,
      active,
      value: component.status,
      text: composeAlarmText({ tags, subject, value: undefined, unit: undefined, what: alarm.what, action: defaultAction(alarm.level, 'smoke') }),
      suppress: [],
      members: [],
      tags,
      mono,
    });
  }

  /** Source tags, overridden by the installer map; an unmapped component keeps the source tags (and is logged once). */
  private locate(component: ComponentSnapshot): Tags {
    const mapped = this.context.map[component.key];
    if (mapped) {
      const { name: _name, ...where } = mapped;
      return { ...this.context.tags, ...where };
    }
    if (!this.unmappedSeen.has(component.key)) {
      this.unmappedSeen.add(component.key);
      this.context.onUnmapped(component);
    }
    return this.context.tags;
  }
}
