// `lastmile probe --protocol dlt645`: reads one data item from one meter and prints it decoded: the bytes as
// received (after -0x33), then the value under the profile's format for that DI (or --format), and, when
// neither is given, under each format of the reference table that fits the length, so the right one is obvious.
import type { Profile } from '../../config/profile.js';
import type { Dlt645Bus } from '../../config/sections/dlt645.js';
import { encodeDi, errorText } from '../drivers/dlt645/frame.js';
import { Dlt645Fault, Dlt645Transport, openLine, type LineOpener } from '../drivers/dlt645/transport.js';
import { decodeItem, FORMAT_PATTERN, formatShape, type ItemFormat } from '../drivers/dlt645/values.js';
import { parseDuration } from '../shared/units.js';
import { intOption, parseChoiceList, parseOptions, UsageError } from './args.js';

export const DLT645_PROBE_USAGE = `usage: lastmile probe --protocol dlt645 (--port <tty> [--baud 2400] [--parity even] | --host <ip> --tcp-port N)
                      --meter 000012345678 --di 02010100 [--format XXX.X [--signed] [--binary]] [--profile generic/dlt645-single-phase] [--timeout 1s]
  --di is written DI3 first, as in the standard's tables (00010000 = forward active energy).
  读取电表的一个数据项并解码显示（--di 按标准表格的写法，DI3 在前）。`;

/** Formats of the reference table (§2), tried when neither a profile nor --format says which applies. */
const TABLE_FORMATS: readonly ItemFormat[] = [
  { format: 'XXXXXX.XX', signed: false, binary: false },
  { format: 'XXX.X', signed: false, binary: false },
  { format: 'XX.XX', signed: false, binary: false },
  { format: 'X.XXX', signed: true, binary: false },
  { format: 'XXX.XXX', signed: true, binary: false },
  { format: 'XX.XXXX', signed: true, binary: false },
  { format: 'XXXX', signed: false, binary: true },
];

export interface Dlt645ProbeArgs {
  readonly bus: Dlt645Bus;
  readonly meter: string;
  readonly di: string;
  readonly format: ItemFormat | undefined;
  readonly profile: string | undefined;
}

export function parseDlt645ProbeArgs(args: readonly string[]): Dlt645ProbeArgs {
  const { options, positional } = parseOptions(args, ['signed', 'binary']);
  if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const meter = options.get('meter');
  if (meter === undefined || !/^[0-9]{12}$/.test(meter)) throw new UsageError('--meter: the 12-digit address from the nameplate is required (lastmile scan --protocol dlt645 finds it)');
  const di = options.get('di')?.toLowerCase();
  if (di === undefined || !/^[0-9a-f]{8}$/.test(di)) throw new UsageError('--di: 8 hex digits, DI3 first (e.g. 02010100 = voltage A) are required');
  const timeoutMs = options.has('timeout') ? parseDuration(options.get('timeout')!) : 1000;
  if (timeoutMs === undefined) throw new UsageError(`--timeout ${options.get('timeout')}: expected e.g. 1s`);
  const formatText = options.get('format');
  if (formatText !== undefined && !FORMAT_PATTERN.test(formatText)) throw new UsageError(`--format ${formatText}: expected the standard's notation, e.g. XXX.X`);
  const format = formatText === undefined ? undefined : { format: formatText, signed: options.has('signed'), binary: options.has('binary') };
  let line: { port: string } | { host: string; tcpPort: number };
  if (options.has('host')) {
    const tcpPort = intOption(options, 'tcp-port', 1, 65535);
    if (tcpPort === undefined) throw new UsageError('--host needs --tcp-port');
    line = { host: options.get('host')!, tcpPort };
  } else if (options.has('port')) {
    line = { port: options.get('port')! };
  } else {
    throw new UsageError('give --port <tty> or --host <ip> --tcp-port N');
  }
  const parity = parseChoiceList(options.get('parity') ?? 'even', 'parity', ['even', 'none', 'odd'] as const)[0]!;
  const bus: Dlt645Bus = { id: 'probe', type: 'dlt645', ...line, baud: intOption(options, 'baud', 300, 115200) ?? 2400, parity, dataBits: 8, stopBits: 1, timeout: timeoutMs, timeZone: 'Asia/Shanghai' };
  return { bus, meter, di, format, profile: options.get('profile') };
}

/** The profile's point(s) for this DI, with their unit and scale. */
export function profileFormats(profile: Profile, di: string): { id: string; item: ItemFormat; scale: number; unit: string | undefined }[] {
  return profile.points
    .filter((p) => p.dlt645?.di === di)
    .map((p) => ({ id: p.id, item: { format: p.dlt645!.format, signed: p.dlt645!.signed, binary: p.dlt645!.binary }, scale: p.scale ?? profile.defaults.scale ?? 1, unit: p.unit ?? profile.defaults.unit }));
}

function render(bytes: Buffer, item: ItemFormat, scale: number, unit: string | undefined): string {
  const decoded = decodeItem(bytes, item);
  if (!decoded.ok) return `does not decode: ${decoded.message}`;
  const value = item.binary ? `0x${decoded.raw.toString(16).padStart(formatShape(item.format).bytes * 2, '0')} (${decoded.raw})` : String(Number((decoded.raw * scale).toPrecision(12)));
  return `${value}${unit ? ` ${unit}` : ''}`;
}

/** The probe's text for an item's bytes. */
export function formatProbe(meter: string, di: string, bytes: Buffer, chosen: { id: string; item: ItemFormat; scale: number; unit: string | undefined }[]): string {
  const lines = [`meter ${meter} DI ${di} (wire order ${encodeDi(di).toString('hex')}): ${bytes.length} byte(s) ${bytes.toString('hex')} (low byte first)`];
  if (chosen.length > 0) {
    for (const c of chosen) lines.push(`  ${c.id} (${c.item.format}${c.item.signed ? ', signed' : ''}${c.item.binary ? ', binary' : ''}): ${render(bytes, c.item, c.scale, c.unit)}`);
  } else {
    lines.push('  formats that fit this length / 符合长度的格式:');
    for (const item of TABLE_FORMATS.filter((f) => formatShape(f.format).bytes === bytes.length)) {
      lines.push(`    ${item.format.padEnd(10)}${item.signed ? 'signed ' : item.binary ? 'binary ' : '       '} ${render(bytes, item, 10 ** -formatShape(item.format).decimals, undefined)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function probeDlt645(args: Dlt645ProbeArgs, profile: Profile | undefined, openStream: LineOpener = openLine): Promise<{ ok: true; text: string } | { ok: false; text: string }> {
  const transport = new Dlt645Transport(args.bus, openStream);
  try {
    const bytes = await transport.readItem(args.meter, args.di);
    const chosen = args.format
      ? [{ id: '--format', item: args.format, scale: args.format.binary ? 1 : 10 ** -formatShape(args.format.format).decimals, unit: undefined }]
      : profile
        ? profileFormats(profile, args.di)
        : [];
    return { ok: true, text: formatProbe(args.meter, args.di, bytes, chosen) };
  } catch (error) {
    if (!(error instanceof Dlt645Fault)) throw error;
    switch (error.kind) {
      case 'exception':
        return { ok: false, text: `meter ${args.meter} answered with an error reply: ${errorText(error.errorCode ?? 0)} (the meter has no such item, or it needs a password) / 电表报错应答` };
      case 'timeout':
        return { ok: false, text: `no answer from meter ${args.meter}: check the address (lastmile scan --protocol dlt645), baud/parity and A/B wiring / 电表无应答：检查表号、波特率/校验位和 A/B 接线` };
      case 'connection':
        return { ok: false, text: `cannot open the line / 无法打开串口: ${error.message}` };
      default:
        return { ok: false, text: `garbled answer (${error.message}): baud/parity or A/B wiring / 应答乱码：检查波特率/校验位或接线` };
    }
  } finally {
    await transport.close();
  }
}
