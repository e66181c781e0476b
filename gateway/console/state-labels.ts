// zh-CN names beside the English state labels of profile state tables (devices/**/*.yaml `states:`), so
// the installer console reads "已关门 door_closed", not a bare key. A label not listed here is shown as is.
import type { LocalText } from '../pipeline/types.js';

const ZH: Readonly<Record<string, string>> = {
  normal: '正常',
  ok: '正常',
  open: '打开',
  closed: '关闭',
  smoke: '烟雾报警',
  fire: '火警',
  fault: '故障',
  alarm: '报警',
  mounted: '已安装',
  removed: '已拆下',
  service: '维护中',
  activated: '已触发',
  released: '已复位',
  insulation_monitor: '绝缘监测仪',
  residual_current_monitor: '剩余电流监测仪',
  door_open: '正常开门',
  door_closed: '正常关门',
  door_forced: '门被强行打开',
  door_held_open: '门打开超时',
  lock_open: '门锁打开',
  lock_closed: '门锁关闭',
  lock_open_fault: '门锁异常打开',
  lock_open_timeout: '门锁打开超时',
  exit_button_pressed: '开门按钮按下',
  exit_button_released: '开门按钮放开',
  always_closed_start: '常关开始',
  always_closed_end: '常关结束',
  fire_relay_open: '消防联动门常开',
  fire_relay_recovered: '消防联动恢复',
};

/** The state in zh-CN with the label itself as en, or undefined for a label not known here. */
export function stateLabel(label: string): LocalText | undefined {
  const zh = ZH[label];
  return zh === undefined ? undefined : { zh, en: label.replaceAll('_', ' ') };
}
