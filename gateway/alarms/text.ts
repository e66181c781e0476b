// Resident-facing alarm texts, zh-CN first with en beside it: where (building/unit/floor/room), what
// (point, value, rule) and what to do. E.g. "3号楼2单元 地下车库 水位 42 cm：积水报警，请立即检查排水泵".
import type { AlarmLevel, DeviceClass, LocalText, MeasurementValue, Tags } from '../pipeline/types.js';

const numeric = /^[0-9A-Za-z-]{1,6}$/;

/** "3号楼2单元5层 地下车库" / "Building 3 Unit 2 Floor 5 地下车库". */
export function locationText(tags: Tags): LocalText {
  const { building, unit, floor, room } = tags;
  const zh = [
    building === undefined ? '' : numeric.test(building) ? `${building}号楼` : building,
    unit === undefined ? '' : numeric.test(unit) ? `${unit}单元` : unit,
    floor === undefined ? '' : numeric.test(floor) ? `${floor}层` : floor,
  ].join('');
  const en = [building && `Building ${building}`, unit && `Unit ${unit}`, floor && `Floor ${floor}`].filter(Boolean).join(' ');
  return { zh: [zh, room].filter(Boolean).join(' '), en: [en, room].filter(Boolean).join(' ') };
}

/** What to do, by level and device class, when the rule does not say. */
export function defaultAction(level: AlarmLevel, deviceClass: DeviceClass): LocalText {
  if (level === 'fire') return { zh: '请立即撤离并拨打119', en: 'leave the building now and call 119' };
  if (level === 'offline') return { zh: '请检查设备供电和通信线路', en: 'check the device power and wiring' };
  if (level === 'fault') return { zh: '请通知物业维修', en: 'call property maintenance' };
  switch (deviceClass) {
    case 'water_level':
      return { zh: '请立即检查排水泵', en: 'check the pump now' };
    case 'power':
    case 'residual_current':
      return { zh: '请检查线路，必要时断电', en: 'check the circuit and cut the power if needed' };
    case 'smoke':
    case 'temperature':
      return { zh: '请立即到现场查看', en: 'go and look now' };
    case 'door':
      return { zh: '请检查门禁', en: 'check the door' };
    default:
      return { zh: '请到现场查看', en: 'go and check on site' };
  }
}

export function formatValue(value: MeasurementValue | undefined, unit: string | undefined): string {
  if (value === undefined) return '';
  return unit === undefined || unit === '' ? String(value) : `${String(value)} ${unit}`;
}

export interface AlarmTextParts {
  readonly tags: Tags;
  /** The point's name (e.g. 水位 / Water level), if the alarm is about one point. */
  readonly subject: LocalText | undefined;
  readonly value: MeasurementValue | undefined;
  readonly unit: string | undefined;
  /** What happened: the rule's text or a generated one. */
  readonly what: LocalText;
  readonly action: LocalText;
}

export function composeAlarmText(parts: AlarmTextParts): LocalText {
  const where = locationText(parts.tags);
  const shown = formatValue(parts.value, parts.unit);
  const subjectZh = [parts.subject?.zh, shown].filter(Boolean).join(' ');
  const subjectEn = [parts.subject?.en, shown].filter(Boolean).join(' ');
  return {
    zh: `${[where.zh, subjectZh].filter(Boolean).join(' ')}：${parts.what.zh}，${parts.action.zh}`,
    en: `${[where.en, subjectEn].filter(Boolean).join(': ')}: ${parts.what.en}, ${parts.action.en}`,
  };
}
