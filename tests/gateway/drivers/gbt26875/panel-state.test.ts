// Packets → the JSON documents the profile's points pick from (the golden cases in
// devices/generic/gbt26875-transmission-device.cases.yaml start from these documents).
import { describe, expect, it } from 'vitest';
import { decodeAppUnit, encodeAppUnit, type AppUnit, type OutgoingObject } from '../../../../gateway/drivers/gbt26875/codec/objects.js';
import { componentStateLabel, PanelState } from '../../../../gateway/drivers/gbt26875/panel-state.js';

const time = { second: 2, minute: 58, hour: 9, day: 26, month: 9, year: 12 };
const riser = { system: { type: 1, address: 1 }, type: 40, area: 10, position: 2 };
const pump = { system: { type: 1, address: 1 }, type: 92, area: 20, position: 1 };

function unit(objects: OutgoingObject[]): AppUnit {
  const result = decodeAppUnit(encodeAppUnit(objects));
  if (!result.ok) throw new Error(result.detail);
  return result.unit;
}

describe('PanelState', () => {
  it('示例1 (area 10, position 2, smoke detector, fire) counts one component in fire', () => {
    // The worked example's application data unit, byte for byte.
    const data = Buffer.from('020101012' + '80a0002000200' + '20'.repeat(30) + '00023a091a090c', 'hex');
    const result = decodeAppUnit(data);
    expect(result.ok).toBe(true);
    const outcome = new PanelState().apply((result as { unit: AppUnit }).unit);
    expect(outcome.fields).toEqual({
      components: { fire: 1, fault: 0, disabled: 0, supervisory: 0, started: 0 },
      component: { key: '1-1-10-2', state: 'fire', text: '' },
    });
    expect(outcome.changes).toHaveLength(1);
  });

  it('system state bits become fields; test is bit0 = 0 and lowers nothing', () => {
    const outcome = new PanelState().apply(unit([{ kind: 'system_state', system: { type: 1, address: 1 }, status: 0x0302, time }]));
    expect(outcome.fields?.system).toMatchObject({ fire: true, main_power_fault: true, backup_power_fault: true, bus_fault: false, test: true, status: 0x0302 });
  });

  it('analogue values are scaled by their kind (height 0.01 m, temperature 0.1 °C, pressure 0.1 MPa)', () => {
    const state = new PanelState();
    expect(state.apply(unit([{ kind: 'analog_value', component: pump, analogType: 2, raw: 235, time }])).fields).toEqual({ analog: { component: '1-1-20-1', height: 2.35 } });
    expect(state.apply(unit([{ kind: 'analog_value', component: pump, analogType: 3, raw: -52, time }])).fields).toEqual({ analog: { component: '1-1-20-1', temperature: -5.2 } });
    expect(state.apply(unit([{ kind: 'analog_value', component: pump, analogType: 4, raw: 3, time }])).fields).toEqual({ analog: { component: '1-1-20-1', pressure_mpa: 0.3 } });
  });

  it('a panel reset (operation bit 0) returns every component to normal', () => {
    const state = new PanelState();
    state.apply(unit([{ kind: 'component_state', component: riser, status: 0x0003, description: '烟感', time }]));
    const outcome = state.apply(unit([{ kind: 'operation', system: { type: 1, address: 1 }, flags: 0x03, operator: 2, time }]));
    expect(outcome.panelReset).toBe(true);
    expect(outcome.fields).toMatchObject({ operation: { panel: 'reset+silence', operator: 2 }, components: { fire: 0 } });
    expect(outcome.changes.map((c) => [c.previous, c.now.status])).toEqual([[0x0003, 0x0001]]);
  });

  it('a repeated identical state is not a change; the duty answer is recognised', () => {
    const state = new PanelState();
    const fire = unit([{ kind: 'component_state', component: riser, status: 0x0003, description: '烟感', time }]);
    expect(state.apply(fire).changes).toHaveLength(1);
    expect(state.apply(fire).changes).toHaveLength(0);
    expect(state.apply(unit([{ kind: 'device_operation', flags: 0x20, operator: 1, time }]))).toMatchObject({ dutyAnswered: true, fields: { device_operation: { flags: 'duty_answer', operator: 1 } } });
  });

  it('state labels put fire first', () => {
    expect(componentStateLabel(0x0007)).toBe('fire');
    expect(componentStateLabel(0x0105)).toBe('fault');
    expect(componentStateLabel(0x0101)).toBe('power_fault');
    expect(componentStateLabel(0x0001)).toBe('normal');
  });
});
