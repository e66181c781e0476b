// What the rules stage tells the alarm engine: a rule's condition turned on or off for one alarm id.
// Carried on the bus as 'rule.condition'. GatewayEvents (pipeline/events.ts) should list it; until it
// does, these two helpers are the only places that know the event name and payload type.
import type { RuleKind, SuppressionWindow } from '../../config/sections/rules.js';
import type { EventBus } from '../pipeline/event-bus.js';
import type { GatewayEvents } from '../pipeline/events.js';
import type { AlarmLevel, DeviceClass, LocalText, MeasurementValue, Tags } from '../pipeline/types.js';

export const RULE_CONDITION_EVENT = 'rule.condition';

export interface RuleCondition {
  /** Stable per source/point/rule: `<source>.<point or _>.<rule>`. */
  readonly alarmId: string;
  readonly source: string;
  readonly point: string | undefined;
  readonly rule: string;
  /** The rule kind, or 'point_fault' for a device-reported fault sentinel. */
  readonly kind: RuleKind | 'point_fault';
  readonly class: DeviceClass;
  readonly level: AlarmLevel;
  readonly latch: boolean;
  readonly active: boolean;
  readonly value: MeasurementValue | undefined;
  /** Resident-facing text naming place, point, value and what to do. */
  readonly text: LocalText;
  readonly suppress: readonly SuppressionWindow[];
  /** For combination rules: the alarm ids of the member rules (an active member makes this an escalation). */
  readonly members: readonly string[];
  readonly tags: Tags;
  readonly mono: number;
}

/** `<source>.<point or _>.<rule>`: ids only hold [a-z0-9_-], so '.' cannot be ambiguous. */
export function alarmIdOf(source: string, point: string | undefined, rule: string): string {
  return `${source}.${point ?? '_'}.${rule}`;
}

export function emitCondition(events: EventBus<GatewayEvents>, condition: RuleCondition): void {
  events.emit(RULE_CONDITION_EVENT, condition);
}

export function onCondition(events: EventBus<GatewayEvents>, listener: (condition: RuleCondition) => void): () => void {
  return events.on(RULE_CONDITION_EVENT, (payload) => listener(payload as RuleCondition));
}
