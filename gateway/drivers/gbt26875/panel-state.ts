// What the gateway knows about one transmission device and its fire panel, updated by each decoded
// application data unit. Pure: a unit in, the JSON document for one reading (the profile's `json:` paths
// pick from it, devices/generic/gbt26875-transmission-device.yaml) and the component changes out.
import type { AppUnit, ComponentRef, InfoObject } from './codec/objects.js';
import { ANALOG_TYPES, bitsOf, COMPONENT_BITS, DEVICE_BITS, DEVICE_OPERATION_BITS, OPERATION_BITS, setBits, SYSTEM_BITS } from './codec/status.js';

/** `<system type>-<system address>-<area>-<position>`: how config, logs and alarm ids name a component. */
export function componentKey(ref: ComponentRef): string {
  return `${ref.system.type}-${ref.system.address}-${ref.area}-${ref.position}`;
}

export interface ComponentSnapshot {
  readonly key: string;
  readonly ref: ComponentRef;
  readonly status: number;
  /** The panel's description (GB 18030), '' when blank or undecodable. */
  readonly description: string;
}

/** One component's state word changed (or was heard for the first time: previous undefined). */
export interface ComponentChange {
  readonly previous: number | undefined;
  readonly now: ComponentSnapshot;
}

export interface UnitOutcome {
  /** Fields for one reading; undefined when the unit carried nothing the profile reads. */
  readonly fields: Record<string, unknown> | undefined;
  readonly changes: readonly ComponentChange[];
  /** A type 24 object with bit 5: someone answered the duty check at the device. */
  readonly dutyAnswered: boolean;
  /** The panel reports a reset (system bit 13 or operation bit 0): its components are back to normal. */
  readonly panelReset: boolean;
}

/** The most urgent label of a component state word, for `component.state`. Fire first. */
export function componentStateLabel(status: number): string {
  const bits = bitsOf(COMPONENT_BITS, status);
  if (bits.fire) return 'fire';
  if (bits.fault) return 'fault';
  if (bits.power_fault) return 'power_fault';
  if (bits.supervisory) return 'supervisory';
  if (bits.disabled) return 'disabled';
  if (bits.started) return 'started';
  if (bits.feedback) return 'feedback';
  if (bits.delayed) return 'delayed';
  return 'normal';
}

const COUNTED = ['fire', 'fault', 'disabled', 'supervisory', 'started'] as const;

export class PanelState {
  private readonly components = new Map<string, ComponentSnapshot>();

  /** Components currently in a state, for the console and tests. */
  snapshot(): readonly ComponentSnapshot[] {
    return [...this.components.values()];
  }

  apply(unit: AppUnit): UnitOutcome {
    const fields: Record<string, unknown> = {};
    const changes: ComponentChange[] = [];
    let dutyAnswered = false;
    let panelReset = false;
    for (const object of unit.objects) {
      const result = this.applyObject(object, fields, changes);
      dutyAnswered ||= result === 'duty_answer';
      panelReset ||= result === 'reset';
    }
    if (panelReset) {
      // The panel was reset: every component it told us about is back to normal unless it says otherwise later.
      for (const [key, component] of this.components) {
        if ((component.status & ~1) === 0) continue;
        const now = { ...component, status: component.status & 1 };
        this.components.set(key, now);
        changes.push({ previous: component.status, now });
      }
    }
    if (changes.length > 0) {
      fields.components = this.counts();
      const last = changes[changes.length - 1]!.now;
      fields.component = { key: last.key, state: componentStateLabel(last.status), text: last.description };
    }
    return { fields: Object.keys(fields).length > 0 ? fields : undefined, changes, dutyAnswered, panelReset };
  }

  private counts(): Record<(typeof COUNTED)[number], number> {
    const counts = { fire: 0, fault: 0, disabled: 0, supervisory: 0, started: 0 };
    for (const { status } of this.components.values()) {
      for (const name of COUNTED) if ((status >> COMPONENT_BITS[name]) & 1) counts[name]++;
    }
    return counts;
  }

  private applyObject(object: InfoObject, fields: Record<string, unknown>, changes: ComponentChange[]): 'duty_answer' | 'reset' | undefined {
    switch (object.kind) {
      case 'system_state': {
        const bits = bitsOf(SYSTEM_BITS, object.status);
        // bit0 = 1 is "normal running"; 0 is test. Reported as a point only: the worked example's real
        // fire has bit0 = 0, so test mode never lowers an alarm (README "Fire first").
        fields.system = { ...bits, test: (object.status & 1) === 0, status: object.status };
        return bits.reset ? 'reset' : undefined;
      }
      case 'component_state': {
        const key = componentKey(object.component);
        const previous = this.components.get(key);
        const now: ComponentSnapshot = { key, ref: object.component, status: object.status, description: object.description ?? '' };
        this.components.set(key, now);
        if (previous?.status !== object.status || previous.description !== now.description) changes.push({ previous: previous?.status, now });
        return undefined;
      }
      case 'analog_value': {
        const kind = ANALOG_TYPES[object.analogType];
        if (!kind) return undefined;
        const name = kind.name === 'pressure' ? `pressure_${kind.unit.toLowerCase()}` : kind.name;
        // Steps like 0.1 carry binary noise (0.30000000000000004); round to the step's decimals.
        const decimals = Math.max(0, -Math.floor(Math.log10(kind.step)));
        fields.analog = { ...(fields.analog as object | undefined), component: componentKey(object.component), [name]: Number((object.raw * kind.step).toFixed(decimals)) };
        return undefined;
      }
      case 'operation':
        fields.operation = { panel: setBits(OPERATION_BITS, object.flags), operator: object.operator };
        return (object.flags & 1) === 1 ? 'reset' : undefined;
      case 'device_state': {
        const bits = bitsOf(DEVICE_BITS, object.status);
        fields.device = { ...bits, test: (object.status & 1) === 0, status: object.status };
        return undefined;
      }
      case 'device_operation':
        fields.device_operation = { flags: setBits(DEVICE_OPERATION_BITS, object.flags), operator: object.operator };
        return bitsOf(DEVICE_OPERATION_BITS, object.flags).duty_answer ? 'duty_answer' : undefined;
      default:
        // Downlink objects (reads, clock sync, duty check) arriving from a device: nothing to record.
        return undefined;
    }
  }
}
