// Resident-facing alarm texts (gateway/alarms/text.ts): where, what and what to do, zh-CN first with en
// beside it. A wrong word order or a lost part sends people to the wrong place or to do the wrong thing.
import { describe, expect, it } from 'vitest';
import { composeAlarmText, defaultAction, formatValue, locationText } from '../../../gateway/alarms/text.js';

describe('alarm texts', () => {
  it('says where: short numbers get 号楼/单元/层, names are kept as written, the room comes last', () => {
    expect(locationText({ building: '3', unit: '2', floor: '5', room: '地下车库' })).toEqual({ zh: '3号楼2单元5层 地下车库', en: 'Building 3 Unit 2 Floor 5 地下车库' });
    expect(locationText({ building: 'B-12', floor: '-1' })).toEqual({ zh: 'B-12号楼-1层', en: 'Building B-12 Floor -1' });
    // Longer than a house number, or with other characters: a name, used as it is.
    expect(locationText({ building: '综合服务楼', unit: 'East wing' })).toEqual({ zh: '综合服务楼East wing', en: 'Building 综合服务楼 Unit East wing' });
    expect(locationText({ building: '1234567' })).toEqual({ zh: '1234567', en: 'Building 1234567' });
    expect(locationText({ unit: '1' })).toEqual({ zh: '1单元', en: 'Unit 1' });
    expect(locationText({ room: '泵房' })).toEqual({ zh: '泵房', en: '泵房' });
    expect(locationText({})).toEqual({ zh: '', en: '' });
  });

  it('says what to do by level first, then by device class', () => {
    expect(defaultAction('fire', 'water_level')).toEqual({ zh: '请立即撤离并拨打119', en: 'leave the building now and call 119' });
    expect(defaultAction('offline', 'smoke')).toEqual({ zh: '请检查设备供电和通信线路', en: 'check the device power and wiring' });
    expect(defaultAction('fault', 'smoke')).toEqual({ zh: '请通知物业维修', en: 'call property maintenance' });
    expect(defaultAction('alarm', 'water_level')).toEqual({ zh: '请立即检查排水泵', en: 'check the pump now' });
    for (const deviceClass of ['power', 'residual_current'] as const) {
      expect(defaultAction('warning', deviceClass)).toEqual({ zh: '请检查线路，必要时断电', en: 'check the circuit and cut the power if needed' });
    }
    for (const deviceClass of ['smoke', 'temperature'] as const) expect(defaultAction('alarm', deviceClass)).toEqual({ zh: '请立即到现场查看', en: 'go and look now' });
    expect(defaultAction('alarm', 'door')).toEqual({ zh: '请检查门禁', en: 'check the door' });
    expect(defaultAction('warning', 'gateway')).toEqual({ zh: '请到现场查看', en: 'go and check on site' });
  });

  it('shows a value with its unit, a value without one bare, and no value as nothing', () => {
    expect(formatValue(42, 'cm')).toBe('42 cm');
    expect(formatValue(42, '')).toBe('42');
    expect(formatValue(true, undefined)).toBe('true');
    expect(formatValue(0, undefined)).toBe('0');
    expect(formatValue(undefined, 'cm')).toBe('');
  });

  it('composes where, subject and value, what happened and what to do', () => {
    const what = { zh: '积水报警', en: 'water alarm' };
    const action = { zh: '请立即检查排水泵', en: 'check the pump now' };
    const subject = { zh: '水位', en: 'Water level' };
    expect(composeAlarmText({ tags: { building: '3', unit: '2', room: '地下车库' }, subject, value: 42, unit: 'cm', what, action })).toEqual({
      zh: '3号楼2单元 地下车库 水位 42 cm：积水报警，请立即检查排水泵',
      en: 'Building 3 Unit 2 地下车库: Water level 42 cm: water alarm, check the pump now',
    });
    // No location and no subject: only what was seen, and the parts that are missing leave no separators.
    expect(composeAlarmText({ tags: {}, subject: undefined, value: 42, unit: 'cm', what, action })).toEqual({ zh: '42 cm：积水报警，请立即检查排水泵', en: '42 cm: water alarm, check the pump now' });
    expect(composeAlarmText({ tags: { building: '3' }, subject, value: undefined, unit: 'cm', what, action })).toEqual({ zh: '3号楼 水位：积水报警，请立即检查排水泵', en: 'Building 3: Water level: water alarm, check the pump now' });
    expect(composeAlarmText({ tags: {}, subject: undefined, value: undefined, unit: undefined, what, action })).toEqual({ zh: '：积水报警，请立即检查排水泵', en: ': water alarm, check the pump now' });
  });
});
