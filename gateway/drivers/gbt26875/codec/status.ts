// Bit meanings (§8.2.1.1, §8.2.1.2, §8.2.1.4, §8.2.1.8, §8.2.1.9). Names become JSON fields the profile's
// points pick (fire, fault, …), so they are stable snake_case words.

/** Component state word (2 bytes, LE). bit0 = 1 normal running, 0 test; bits 9–15 reserved. */
export const COMPONENT_BITS = {
  fire: 1, // 火警
  fault: 2, // 故障
  disabled: 3, // 屏蔽
  supervisory: 4, // 监管
  started: 5, // 启动（开启）
  feedback: 6, // 反馈
  delayed: 7, // 延时状态
  power_fault: 8, // 电源故障
} as const;

/** System state word: bits 0–7 as for components, then the panel's own. */
export const SYSTEM_BITS = {
  fire: 1,
  fault: 2,
  disabled: 3,
  supervisory: 4,
  started: 5,
  feedback: 6,
  delayed: 7,
  main_power_fault: 8, // 主电故障
  backup_power_fault: 9, // 备电故障
  bus_fault: 10, // 总线故障
  manual_mode: 11, // 手动状态
  config_changed: 12, // 配置改变
  reset: 13, // 复位
} as const;

/** Transmission device state (1 byte). bit0 = 1 normal monitoring, 0 test. */
export const DEVICE_BITS = {
  fire: 1,
  fault: 2,
  main_power_fault: 3,
  backup_power_fault: 4,
  channel_fault: 5, // 与监控中心通信信道故障
  line_fault: 6, // 监测连接线路故障 (the wiring to the fire panel)
} as const;

/** Operation flags of the fire-protection system (type 4). */
export const OPERATION_BITS = {
  reset: 0, // 复位
  silence: 1, // 消音
  manual_alarm: 2, // 手动报警
  alarm_cleared: 3, // 警情消除
  self_test: 4, // 自检
  confirm: 5, // 确认
  test: 6, // 测试
} as const;

/** Operation flags of the transmission device (type 24): bit5 is the duty-check answer (查岗应答). */
export const DEVICE_OPERATION_BITS = {
  reset: 0,
  silence: 1,
  manual_alarm: 2,
  alarm_cleared: 3,
  self_test: 4,
  duty_answer: 5,
  test: 6,
} as const;

export function bitsOf<K extends string>(table: Readonly<Record<K, number>>, word: number): Record<K, boolean> {
  const out = {} as Record<K, boolean>;
  for (const [name, bit] of Object.entries(table) as [K, number][]) out[name] = ((word >> bit) & 1) === 1;
  return out;
}

/** The names of the set bits joined with '+', or 'none'; an operation label for a measurement. */
export function setBits<K extends string>(table: Readonly<Record<K, number>>, word: number): string {
  const names = (Object.entries(table) as [K, number][]).filter(([, bit]) => ((word >> bit) & 1) === 1).map(([name]) => name);
  return names.length === 0 ? 'none' : names.join('+');
}

/** Analogue value types (§8.2.1.3 table): unit and the value of one raw step. */
export const ANALOG_TYPES: Readonly<Record<number, { readonly name: string; readonly unit: string; readonly step: number }>> = {
  1: { name: 'event_count', unit: 'count', step: 1 },
  2: { name: 'height', unit: 'm', step: 0.01 },
  3: { name: 'temperature', unit: '°C', step: 0.1 },
  4: { name: 'pressure', unit: 'MPa', step: 0.1 },
  5: { name: 'pressure', unit: 'kPa', step: 0.1 },
  6: { name: 'gas_concentration', unit: '%LEL', step: 0.1 },
  7: { name: 'time', unit: 's', step: 1 },
  8: { name: 'voltage', unit: 'V', step: 0.1 },
  9: { name: 'current', unit: 'A', step: 0.1 },
  10: { name: 'flow', unit: 'L/s', step: 0.1 },
  11: { name: 'air_volume', unit: 'm3/min', step: 0.1 },
  12: { name: 'air_speed', unit: 'm/s', step: 1 },
};
