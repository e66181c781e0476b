// `lastmile scan --protocol dlt645`: finds DL/T 645 meters on an RS-485 line. At each line setting it asks
// the wildcard address for "read address" (0x13): one meter answers with its address; several meters
// answer at once and collide, which the installer is told plainly (the wildcard works with one meter on
// the bus only, reference §2). Addresses from the nameplates (--meters) are then checked one by one with a
// read of forward active energy (DI 00 01 00 00), which every meter of the reference's table has.
import type { Dlt645Bus } from '../../config/sections/dlt645.js';
import { decodeAddress, readAddressRequest } from '../drivers/dlt645/frame.js';
import { Dlt645Fault, Dlt645Transport, openLine, type LineOpener } from '../drivers/dlt645/transport.js';
import { decodeItem } from '../drivers/dlt645/values.js';
import { parseDuration } from '../shared/units.js';
import { parseChoiceList, parseIntList, parseOptions, intOption, UsageError } from './args.js';

export const DLT645_SCAN_USAGE = `usage: lastmile scan --protocol dlt645 (--port <tty> [--bauds 2400,1200,4800,9600] [--parities even,none] | --host <ip> --tcp-port N)
                     [--meters 000012345678,000012345679] [--timeout 1s]
  Finds DL/T 645 meters: asks the wildcard address (one meter on the bus only), then checks nameplate addresses.
  查找 DL/T 645 电表：用通配地址读表号（总线上只接一块表时有效），再逐个核对铭牌表号。`;

const PARITIES = ['even', 'none', 'odd'] as const;
/** Meters usually ship at 2400 8E1; 1200, 4800 and 9600 are the other settings seen (reference §2). */
export const DLT645_DEFAULT_BAUDS = [2400, 1200, 4800, 9600] as const;
const ENERGY_DI = '00010000';

export interface Dlt645ScanOptions {
  readonly line: { readonly port: string } | { readonly host: string; readonly tcpPort: number };
  readonly settings: readonly { readonly baud: number; readonly parity: 'none' | 'even' | 'odd' }[];
  readonly meters: readonly string[];
  readonly timeoutMs: number;
}

export type WildcardAnswer = { kind: 'one'; address: string } | { kind: 'collision'; detail: string } | { kind: 'silent' };
export type MeterAnswer = { kind: 'energy'; kWh: number } | { kind: 'error_reply'; detail: string } | { kind: 'garbled'; detail: string } | { kind: 'silent' };

export interface Dlt645ScanReport {
  readonly settings: readonly { readonly label: string; readonly wildcard: WildcardAnswer; readonly meters: readonly { address: string; answer: MeterAnswer }[] }[];
}

export function parseDlt645ScanArgs(args: readonly string[]): Dlt645ScanOptions {
  const { options, positional } = parseOptions(args);
  if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const timeoutMs = options.has('timeout') ? parseDuration(options.get('timeout')!) : 1000;
  if (timeoutMs === undefined || timeoutMs < 50 || timeoutMs > 10_000) throw new UsageError(`--timeout ${options.get('timeout')}: expected e.g. 1s (50ms–10s)`);
  const meters = (options.get('meters') ?? '').split(',').map((m) => m.trim()).filter((m) => m !== '');
  for (const meter of meters) if (!/^[0-9]{12}$/.test(meter)) throw new UsageError(`--meters: "${meter}" is not a 12-digit meter address`);
  if (options.has('host')) {
    const tcpPort = intOption(options, 'tcp-port', 1, 65535);
    if (tcpPort === undefined) throw new UsageError('--host needs --tcp-port (the serial server port)');
    return { line: { host: options.get('host')!, tcpPort }, settings: [{ baud: 2400, parity: 'even' }], meters, timeoutMs };
  }
  const port = options.get('port');
  if (port === undefined) throw new UsageError('--port <tty> (RS-485 adapter) or --host <ip> --tcp-port N (serial server) is required');
  const bauds = options.has('bauds') ? parseIntList(options.get('bauds')!, 'bauds', 300, 115200) : [...DLT645_DEFAULT_BAUDS];
  const parities = options.has('parities') ? parseChoiceList(options.get('parities')!, 'parities', PARITIES) : (['even', 'none'] as const);
  return { line: { port }, settings: bauds.flatMap((baud) => parities.map((parity) => ({ baud, parity }))), meters, timeoutMs };
}

function busFor(options: Dlt645ScanOptions, setting: Dlt645ScanOptions['settings'][number]): Dlt645Bus {
  const line = 'port' in options.line ? { port: options.line.port } : { host: options.line.host, tcpPort: options.line.tcpPort };
  return { id: 'scan', type: 'dlt645', ...line, baud: setting.baud, parity: setting.parity, dataBits: 8, stopBits: 1, timeout: options.timeoutMs, timeZone: 'Asia/Shanghai' };
}

export function settingLabel(options: Dlt645ScanOptions, setting: Dlt645ScanOptions['settings'][number]): string {
  return 'host' in options.line ? `tcp://${options.line.host}:${options.line.tcpPort}` : `${setting.baud} 8${setting.parity[0]!.toUpperCase()}1`;
}

/** What the wildcard read-address request brought back: one address, a collision, or nothing. */
async function askWildcard(transport: Dlt645Transport): Promise<WildcardAnswer> {
  try {
    const reply = await transport.transact(readAddressRequest());
    const address = reply.data.length >= 6 ? decodeAddress(reply.data) : reply.address;
    return { kind: 'one', address };
  } catch (error) {
    if (!(error instanceof Dlt645Fault)) throw error;
    if (error.kind === 'connection') throw error;
    const garbage = transport.counts.garbageBytes + transport.counts.badFrames;
    if (error.kind === 'timeout' && garbage === 0) return { kind: 'silent' };
    return { kind: 'collision', detail: error.message };
  } finally {
    transport.counts.garbageBytes = transport.counts.badFrames = 0;
  }
}

async function askMeter(transport: Dlt645Transport, address: string): Promise<MeterAnswer> {
  try {
    const bytes = await transport.readItem(address, ENERGY_DI);
    const value = decodeItem(bytes, { format: 'XXXXXX.XX', signed: false, binary: false });
    return value.ok ? { kind: 'energy', kWh: value.raw / 100 } : { kind: 'garbled', detail: value.message };
  } catch (error) {
    if (!(error instanceof Dlt645Fault)) throw error;
    if (error.kind === 'connection') throw error;
    if (error.kind === 'exception') return { kind: 'error_reply', detail: error.message };
    if (error.kind === 'timeout') return { kind: 'silent' };
    return { kind: 'garbled', detail: error.message };
  }
}

export async function scanDlt645(options: Dlt645ScanOptions, openStream: LineOpener = openLine, progress: (label: string) => void = () => undefined): Promise<Dlt645ScanReport> {
  const settings: Dlt645ScanReport['settings'][number][] = [];
  for (const setting of options.settings) {
    const label = settingLabel(options, setting);
    progress(label);
    const transport = new Dlt645Transport(busFor(options, setting), openStream);
    try {
      const wildcard = await askWildcard(transport);
      const meters: { address: string; answer: MeterAnswer }[] = [];
      for (const address of options.meters) meters.push({ address, answer: await askMeter(transport, address) });
      settings.push({ label, wildcard, meters });
    } finally {
      await transport.close();
    }
  }
  return { settings };
}

function describeMeter(answer: MeterAnswer): string {
  switch (answer.kind) {
    case 'energy':
      return `answers: forward active energy ${answer.kWh.toFixed(2)} kWh / 有应答：正向有功总电能 ${answer.kWh.toFixed(2)} kWh`;
    case 'error_reply':
      return `answers with an error reply (${answer.detail}) / 有应答但报错`;
    case 'garbled':
      return `garbled answer (${answer.detail}): baud/parity or A/B wiring / 应答乱码：检查波特率/校验位或 A/B 接线`;
    case 'silent':
      return 'no answer / 无应答';
  }
}

export function formatDlt645Report(report: Dlt645ScanReport): string {
  const lines: string[] = [];
  let found = 0;
  for (const { label, wildcard, meters } of report.settings) {
    if (wildcard.kind === 'one') {
      found++;
      lines.push(`${label}: one meter answers the wildcard: ${wildcard.address} / 通配地址应答表号 ${wildcard.address}`);
      lines.push(`  source config / 配置: meter: "${wildcard.address}"`);
    } else if (wildcard.kind === 'collision') {
      found++;
      lines.push(`${label}: more than one meter answers the wildcard (answers collide: ${wildcard.detail})`);
      lines.push(`  总线上不止一块表应答通配地址（应答冲突）。Give the nameplate addresses with --meters, or connect one meter at a time.`);
      lines.push(`  请用 --meters 给出铭牌表号，或每次只接一块表。(Wrong baud/parity garbles answers too.)`);
    }
    for (const { address, answer } of meters) {
      if (answer.kind !== 'silent') found++;
      lines.push(`${label}: meter ${address}: ${describeMeter(answer)}`);
    }
  }
  if (found === 0) {
    lines.push('no meter answered at any setting / 各种设置下均无电表应答');
    lines.push('check: A/B wires (try swapping), the meter\'s RS-485 port (often sealed by the utility), and the baud rate');
    lines.push('检查：A/B 线（可对调）、电表 RS-485 口（常被供电公司封印）、波特率');
  }
  return `${lines.join('\n')}\n`;
}

/** True when something answered (the CLI's exit code). */
export function anyAnswer(report: Dlt645ScanReport): boolean {
  return report.settings.some((s) => s.wildcard.kind !== 'silent' || s.meters.some((m) => m.answer.kind !== 'silent'));
}
