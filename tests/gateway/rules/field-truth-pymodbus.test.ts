// Issue 14 end to end, against an independent Modbus slave (pymodbus over TCP) and the real runtime
// (driver → decoder → rules → alarm engine): a sentinel in a loop-current register is a fault and raises
// no residual-current alarm; a level reported in mH₂O meets the cm flood threshold; an unknown unit code
// raises a fault-level alarm at once. On-delays are set to 0 s by site overrides so that "no alarm after
// several polls" means the rule really saw no value, not that it was still waiting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';
import { startPymodbusTcp } from '../../helpers/pymodbus.js';
import type { Peer } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';
import { startGateway, type Recorded } from '../drivers/modbus/harness.js';

let slave: Peer;
let gw: Recorded;
const alarms: AlarmEvent[] = [];

const raised = (source: string, rule: string) => alarms.filter((a) => a.source === source && a.rule === rule && a.transition === 'raise');
const readingsOf = (source: string) => gw.readings.filter((r) => r.source === source).length;

beforeAll(async () => {
  const loops = [0xe5e5, 0xfafa, 350, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  slave = await startPymodbusTcp({
    // AIM-R100: loop 1 = 0xE5E5 (transformer short), loop 2 = 0xFAFA (broken line), loop 3 = 350 mA.
    1: { hr: [[0x0008, [6]], [0x000b, [0x1000, 0]], [0x000d, [0, 0, 0]], [0x004a, loops], [0x0056, new Array<number>(12).fill(300)]] },
    // QDY30A speaking the pressure-transmitter table: code 7 = mH₂O, 2 decimals, 137 → 1.37 mH₂O.
    2: { hr: [[0x0002, [7, 2, 137]]] },
    // The same transmitter read with the QDY30A table, where 7 is not a unit.
    3: { hr: [[0x0002, [7, 2, 137]]] },
  });
  gw = await startGateway({
    buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port: slave.port, timeout: '500ms' }],
    sources: [
      {
        id: 'rcd-1',
        profile: 'acrel/aim-r100',
        bus: 'tcp1',
        unit: 1,
        poll: '200ms',
        rules: { loop1_residual_current: { for: '0s' }, loop2_residual_current: { for: '0s' }, loop3_residual_current: { for: '0s' } },
      },
      { id: 'level-mh2o', profile: 'generic/qdy30a', variant: 'pressure-table', bus: 'tcp1', unit: 2, poll: '200ms', rules: { water_alarm: { for: '0s' }, water_warning: { for: '0s' } } },
      { id: 'level-code7', profile: 'generic/qdy30a', bus: 'tcp1', unit: 3, poll: '200ms', rules: { water_alarm: { for: '0s' }, water_warning: { for: '0s' } } },
    ],
  });
  gw.runtime.context.events.on('alarm', (a) => alarms.push(a));
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await slave?.stop();
});

describe('field truth against pymodbus', () => {
  it('a sentinel in a loop-current register is a fault with a sensor-fault alarm, never a residual-current alarm', async () => {
    await waitFor('loop 3 residual-current alarm (the rules run)', () => raised('rcd-1', 'loop3_residual_current').length > 0, 15_000);
    await waitFor('loop 1 and 2 sensor-fault alarms', () => raised('rcd-1', 'sensor_fault').length >= 2, 15_000);
    const start = readingsOf('rcd-1');
    await waitFor('three more polls of rcd-1', () => readingsOf('rcd-1') >= start + 3, 15_000);

    const faults = gw.faults.filter((f) => f.source === 'rcd-1');
    expect(faults.find((f) => f.point === 'loop1_current')).toMatchObject({ code: 'sensor_short', raw: 0xe5e5 });
    expect(faults.find((f) => f.point === 'loop2_current')).toMatchObject({ code: 'broken_line', raw: 0xfafa });
    expect(gw.measurements.some((m) => m.source === 'rcd-1' && (m.point === 'loop1_current' || m.point === 'loop2_current'))).toBe(false);
    const sensorAlarms = raised('rcd-1', 'sensor_fault');
    expect(sensorAlarms.map((a) => a.point).sort()).toEqual(['loop1_current', 'loop2_current']);
    expect(sensorAlarms.every((a) => a.level === 'fault')).toBe(true);
    expect(raised('rcd-1', 'loop1_residual_current')).toHaveLength(0);
    expect(raised('rcd-1', 'loop2_residual_current')).toHaveLength(0);
    expect(raised('rcd-1', 'loop3_residual_current')[0]).toMatchObject({ level: 'alarm', value: 350 });
  }, 40_000);

  it('a level of 1.37 mH₂O raises the flood alarm written in cm, as 137 cm', async () => {
    await waitFor('flood alarm on level-mh2o', () => raised('level-mh2o', 'water_alarm').length > 0, 15_000);
    const flood = raised('level-mh2o', 'water_alarm')[0]!;
    expect(flood).toMatchObject({ level: 'alarm', value: 137 });
    expect(flood.text.zh).toContain('137 cm');
    const level = gw.measurements.find((m) => m.source === 'level-mh2o' && m.point === 'level');
    expect(level).toMatchObject({ value: 1.37, unit: 'mH₂O', quality: 'good' });
  }, 30_000);

  it('an unknown unit code raises a fault-level alarm at once and no water alarm', async () => {
    await waitFor('fault alarm on level-code7', () => raised('level-code7', 'sensor_fault').length > 0, 15_000);
    const start = readingsOf('level-code7');
    await waitFor('three more polls of level-code7', () => readingsOf('level-code7') >= start + 3, 15_000);
    const fault = raised('level-code7', 'sensor_fault')[0]!;
    expect(fault).toMatchObject({ level: 'fault', point: 'level', value: 'unknown_unit' });
    expect(fault.text.en).toContain('unknown unit code 7');
    expect(gw.measurements.some((m) => m.source === 'level-code7' && m.point === 'level')).toBe(false);
    expect(raised('level-code7', 'water_alarm')).toHaveLength(0);
    expect(raised('level-code7', 'water_warning')).toHaveLength(0);
  }, 30_000);
});
