// Text rendering of a probe: the decoding table per address base, the profile's expectations, and a
// verdict that names the setting to use. ★ = plausible value, ◀ = what the profile is set to.
import type { ReadFunction } from '../../config/profile.js';
import type { PointResult } from '../devices/decode.js';
import type { ResolvedPoint } from '../devices/resolve.js';
import { decodeSuggestion, ORDERS, orderOf, plausibleSettings, type AddressBase, type ProbeCell } from './probe.js';
import { judgePoint } from './plausible.js';

const BASE_TEXT: Record<AddressBase, string> = {
  given: 'address as given / 按输入地址',
  minus1: 'address minus 1 (manual counts from 1, e.g. 30001/40001) / 地址减 1（手册从 1 开始编号）',
};

function hex(address: number): string {
  return `0x${address.toString(16).padStart(4, '0')}`;
}

/** The 30001/40001-style number a 1-based manual would print for a wire address. */
export function manualNumber(fn: ReadFunction, wire: number): string {
  const base = fn === 4 ? 30001 : fn === 3 ? 40001 : fn === 2 ? 10001 : 1;
  return String(base + wire);
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e9 || Math.abs(value) < 1e-4)) return value.toExponential(3);
  return String(value);
}

function cellText(cell: ProbeCell | undefined): string {
  if (!cell) return '-';
  return `${formatValue(cell.value)}${cell.plausible ? ' ★' : ''}${cell.profilePoint ? ' ◀' : ''}`;
}

export function formatProbeTable(cells: readonly ProbeCell[], fn: ReadFunction): string {
  const lines: string[] = [];
  for (const base of ['given', 'minus1'] as const) {
    const rows = cells.filter((c) => c.base === base);
    if (rows.length === 0) continue;
    lines.push('', `${BASE_TEXT[base]}`);
    lines.push(`  ${'wire'.padEnd(7)} ${'manual'.padEnd(6)} ${'type'.padEnd(8)} ${ORDERS.map((o) => o.name.padEnd(18)).join(' ')}`);
    const keys = [...new Set(rows.map((c) => `${c.address}|${c.type}`))];
    for (const key of keys) {
      const [address, type] = key.split('|') as [string, string];
      const wire = Number(address);
      const row = ORDERS.map((o) => cellText(rows.find((c) => c.address === wire && c.type === type && c.order === o.name)).padEnd(18));
      lines.push(`  ${hex(wire).padEnd(7)} ${manualNumber(fn, wire).padEnd(6)} ${type.padEnd(8)} ${row.join(' ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The profile's points in the range, decoded the way the profile says (decimals, unit codes, bit fields,
 * states, sentinels and ranges, from the same answer or the extra registers read for them), each judged
 * with the check doctor uses.
 */
export function formatExpectations(profileId: string, points: readonly ResolvedPoint[], firstWire: number, count: number, results: ReadonlyMap<string, PointResult>): string {
  const lines = [`profile ${profileId} expects / 设备档案定义:`];
  let shown = 0;
  for (const point of points) {
    const index = point.address - firstWire;
    if (index < 0 || index + point.width > count) continue;
    const result = results.get(point.id);
    if (result === undefined) continue;
    shown++;
    const name = point.name ? `${point.name.zh} ${point.name.en}` : point.id;
    const decoded = [point.decimalsFrom && `÷10^${point.decimalsFrom}`, point.unitFrom && `unit from ${point.unitFrom.point}`, point.bits && `bits ${point.bits.offset}+${point.bits.width}`]
      .filter(Boolean)
      .join(', ');
    const setting = `${hex(point.address)} ${point.type} ${orderOf(point)}${point.scale !== 1 ? ` ×${point.scale}` : ''}${decoded ? ` (${decoded})` : ''}`;
    const judgement = judgePoint(point, result);
    lines.push(`  ${point.id} (${name}) @ ${setting} → ${judgement.zh === judgement.en ? judgement.en : `${judgement.en} / ${judgement.zh}`}`);
  }
  if (shown === 0) lines.push('  no profile point lies in this range / 该范围内没有档案定义的点');
  return `${lines.join('\n')}\n`;
}

/** The verdict: the best setting, whether it matches the profile, and if not the exact YAML to paste. */
export function formatVerdict(cells: readonly ProbeCell[], points: readonly ResolvedPoint[] = []): string {
  const best = plausibleSettings(cells);
  if (best.length === 0) return 'no decoding looks plausible: check unit id, function code and address / 没有合理的解码：检查地址、功能码和寄存器地址\n';
  const top = best[0]!;
  const where = top.base === 'given' ? 'as given / 按输入地址' : 'minus 1 / 地址减 1';
  const lines = [`most plausible / 最合理: ${top.type} ${top.order} at wire ${hex(top.address)} (${where}) = ${formatValue(top.value)}`];
  if (top.profilePoint) {
    lines.push(`matches the profile (point ${top.profilePoint}) / 与设备档案一致`);
    return `${lines.join('\n')}\n`;
  }
  if (!cells.some((c) => c.profilePoint !== undefined)) return `${lines.join('\n')}\n`;
  const snippet = decodeSuggestion(top, points);
  if (snippet !== undefined) {
    lines.push(
      'differs from the profile; add under this source in the site config / 与档案不一致，请在站点配置中该数据源下加入:',
      `  ${snippet}`,
      '(or choose a profile variant if one fits / 或选择合适的档案变体 variant)',
    );
  } else {
    lines.push(
      'differs from the profile in address or type, which a source cannot change: pick a variant, or put a corrected copy of the profile in gateway.profilesDir /',
      '与档案的地址或数据类型不一致，数据源配置无法修改地址：请选择档案变体，或把修正后的档案副本放到 gateway.profilesDir',
    );
  }
  return `${lines.join('\n')}\n`;
}
