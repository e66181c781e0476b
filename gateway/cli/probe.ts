// `lastmile probe`: reads one register range from one unit and prints it decoded under every byte/word
// order and both address bases, next to the device profile's expectation, so the right setting is obvious.
import { usageLine } from './help.js';
import { dlt645ProbeCommand, takeProtocol } from '../installer/dlt645-commands.js';
import type { ReadFunction } from '../../config/profile.js';
import { ConfigError } from '../../contract/load-yaml.js';
import { decodeAll } from '../devices/decode.js';
import { ProfileIndex } from '../devices/profile-index.js';
import { RegisterImage } from '../devices/register-image.js';
import { resolveProfile, type ResolvedPoint } from '../devices/resolve.js';
import { parseDuration } from '../shared/units.js';
import { intOption, parseChoiceList, parseOptions, UsageError } from '../installer/args.js';
import { exceptionText, LinkError, openModbusLink, PARITIES, rtuBus, tcpBus, type Parity } from '../installer/modbus-link.js';
import { decodeProbe, probeReadRange } from '../installer/probe.js';
import { formatExpectations, formatProbeTable, formatVerdict } from '../installer/probe-table.js';


export interface ProbeIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

interface ProbeArgs {
  readonly link: Parameters<typeof openModbusLink>[0];
  readonly unit: number;
  readonly fn: ReadFunction;
  readonly address: number;
  readonly count: number;
  readonly profile: string | undefined;
  readonly variant: string | undefined;
  readonly expect: number | undefined;
  readonly note: string | undefined;
}

function parseAddress(text: string, fn: ReadFunction): { address: number; note: string | undefined } {
  const value = text.startsWith('0x') ? Number.parseInt(text.slice(2), 16) : Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--address ${text}: expected a register address such as 0, 0x0048 or 30001`);
  const manualBase = fn === 4 ? 30001 : 40001;
  if (value >= manualBase && value < manualBase + 10000) {
    return { address: value - manualBase, note: `${text} read as a manual number → wire address ${value - manualBase} / 按手册编号换算为线上地址 ${value - manualBase}` };
  }
  if (value > 0xffff) throw new UsageError(`--address ${text}: above 0xFFFF`);
  return { address: value, note: undefined };
}

function parseProbeArgs(args: string[]): ProbeArgs {
  const { options, positional } = parseOptions(args);
  if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const timeoutMs = options.has('timeout') ? parseDuration(options.get('timeout')!) : 500;
  if (timeoutMs === undefined) throw new UsageError(`--timeout ${options.get('timeout')}: expected e.g. 500ms`);
  const fn = intOption(options, 'fc', 3, 4) as 3 | 4 | undefined;
  const unit = intOption(options, 'unit', 0, 255);
  const count = intOption(options, 'count', 1, 120) ?? 2;
  if (fn === undefined || unit === undefined || !options.has('address')) throw new UsageError('--unit, --fc and --address are required');
  const { address, note } = parseAddress(options.get('address')!, fn);
  let link: ProbeArgs['link'];
  if (options.has('port')) {
    const parity = parseChoiceList<Parity>(options.get('parity') ?? 'none', 'parity', PARITIES)[0]!;
    link = rtuBus(options.get('port')!, { baud: intOption(options, 'baud', 300, 921600) ?? 9600, parity }, timeoutMs);
  } else if (options.has('host')) {
    link = tcpBus(options.get('host')!, intOption(options, 'tcp-port', 1, 65535) ?? 502, timeoutMs);
  } else {
    throw new UsageError('give --port <tty> (RTU) or --host <ip> (TCP)');
  }
  const expectText = options.get('expect');
  const expect = expectText === undefined ? undefined : Number(expectText);
  if (expect !== undefined && !Number.isFinite(expect)) throw new UsageError(`--expect ${expectText}: expected a number`);
  return { link, unit, fn, address, count, profile: options.get('profile'), variant: options.get('variant'), expect, note };
}

function profilePoints(profileId: string, variant: string | undefined): readonly ResolvedPoint[] {
  const index = ProfileIndex.load();
  const profile = index.get(profileId);
  if (!profile) throw new UsageError(`--profile ${profileId}: unknown profile (known: ${index.ids().join(', ')})`);
  return resolveProfile(profile, variant).points;
}

/** Points of the read range whose decimals or unit code live in registers outside it. */
function missingDependencies(points: readonly ResolvedPoint[], fn: ReadFunction, firstWire: number, count: number): ResolvedPoint[] {
  const inside = (p: ResolvedPoint) => p.function === fn && p.address >= firstWire && p.address + p.width <= firstWire + count;
  const wanted = new Set(points.filter(inside).flatMap((p) => [p.decimalsFrom, p.unitFrom?.point]).filter((x): x is string => x !== undefined));
  return points.filter((p) => wanted.has(p.id) && !inside(p) && (p.function === 3 || p.function === 4));
}

export async function probeCommand(args: string[], io: ProbeIo = process): Promise<number> {
  // --protocol dlt645 selects the DL/T 645 meter tools (gateway/installer/dlt645-*.ts); Modbus is the default.
  let protocol: ReturnType<typeof takeProtocol>;
  try {
    protocol = takeProtocol(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(usageLine('probe', error.message));
    return 2;
  }
  if (protocol.protocol === 'dlt645') return dlt645ProbeCommand(protocol.rest, io);
  args = protocol.rest;
  let parsed: ProbeArgs;
  let allPoints: readonly ResolvedPoint[] = [];
  try {
    parsed = parseProbeArgs(args);
    if (parsed.profile !== undefined) allPoints = profilePoints(parsed.profile, parsed.variant);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`device profiles do not load / 设备档案加载失败:\n${error.message}\n`);
      return 1;
    }
    if (!(error instanceof UsageError) && !(error instanceof Error && /has no variant/.test(error.message))) throw error;
    io.stderr.write(usageLine('probe', error.message));
    return 2;
  }
  const { fn, unit, address, count } = parsed;
  const points = allPoints.filter((p) => p.function === fn);
  const range = probeReadRange(address, count);
  const link = openModbusLink(parsed.link);
  if (parsed.note) io.stdout.write(`${parsed.note}\n`);
  try {
    // One read covering both bases; a device that rejects addresses outside its map gets each base alone.
    const tries = [range, ...(range.firstWire !== address ? [{ firstWire: address - 1, count }, { firstWire: address, count }] : [])];
    let answer = await link.ask(unit, fn, tries[0]!.firstWire, tries[0]!.count);
    let firstWire = tries[0]!.firstWire;
    for (const attempt of tries.slice(1)) {
      if (answer.kind !== 'exception') break;
      answer = await link.ask(unit, fn, attempt.firstWire, attempt.count);
      firstWire = attempt.firstWire;
    }
    if (answer.kind !== 'data') {
      io.stderr.write(`${describeFailure(answer)}\n`);
      return 1;
    }
    const words = answer.words;
    io.stdout.write(`unit ${unit} FC0${fn} wire ${firstWire}..${firstWire + words.length - 1}: ${words.map((w) => w.toString(16).padStart(4, '0')).join(' ')}\n`);
    // Decimals and unit codes are read too when they lie outside the range, so every decode kind decodes.
    const image = new RegisterImage();
    image.setWords(fn as 3 | 4, firstWire, words);
    for (const dependency of missingDependencies(allPoints, fn, firstWire, words.length)) {
      const extra = await link.ask(unit, dependency.function, dependency.address, dependency.width);
      if (extra.kind !== 'data') continue;
      image.setWords(dependency.function as 3 | 4, dependency.address, extra.words);
      io.stdout.write(`also read ${dependency.id} (FC0${dependency.function} wire ${dependency.address}): ${extra.words.map((w) => w.toString(16).padStart(4, '0')).join(' ')}\n`);
    }
    const results = decodeAll(allPoints, image.valuesFor(allPoints));
    const unitOf = (pointId: string) => {
      const result = results.get(pointId);
      return result?.kind === 'value' ? result.unit : undefined;
    };
    const cells = decodeProbe({ fn, address, count, firstWire, words, points, expect: parsed.expect, unitOf });
    io.stdout.write(formatProbeTable(cells, fn));
    if (parsed.profile !== undefined) io.stdout.write(`\n${formatExpectations(parsed.profile, points, firstWire, words.length, results)}`);
    io.stdout.write(`\n${formatVerdict(cells, points)}`);
    return 0;
  } catch (error) {
    if (!(error instanceof LinkError)) throw error;
    io.stderr.write(`cannot open / 无法连接: ${error.message}\n`);
    return 1;
  } finally {
    await link.close();
  }
}

function describeFailure(answer: { kind: 'exception'; code: number } | { kind: 'silent' } | { kind: 'garbled'; detail: string }): string {
  switch (answer.kind) {
    case 'exception':
      return `device answered with exception ${answer.code}: ${exceptionText(answer.code)}`;
    case 'silent':
      return 'no answer: check unit id, baud/parity and A/B wiring (try `lastmile scan`) / 无应答：检查设备地址、波特率/校验位和 A/B 接线（可用 lastmile scan）';
    case 'garbled':
      return `garbled answer (${answer.detail}): baud/parity or A/B wiring is wrong / 应答乱码：波特率/校验位或接线不对`;
  }
}
