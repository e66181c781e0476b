// The DL/T 645 halves of `lastmile scan` and `lastmile probe` (selected with --protocol dlt645): option
// parsing and printing around dlt645-scan.ts and dlt645-probe.ts, with the same exit codes as the Modbus
// commands (0 found/read, 1 nothing answered or the line failed, 2 usage).
import { ConfigError } from '../../contract/load-yaml.js';
import { ProfileIndex } from '../devices/profile-index.js';
import { UsageError } from './args.js';
import { DLT645_PROBE_USAGE, parseDlt645ProbeArgs, probeDlt645 } from './dlt645-probe.js';
import { anyAnswer, DLT645_SCAN_USAGE, formatDlt645Report, parseDlt645ScanArgs, scanDlt645, type Dlt645ScanOptions } from './dlt645-scan.js';
import { Dlt645Fault, openLine, type LineOpener } from '../drivers/dlt645/transport.js';

export interface CommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export const PROTOCOLS = ['modbus', 'dlt645'] as const;

/** `--protocol x` taken out of the arguments (default modbus); an unknown protocol is a usage error. */
export function takeProtocol(args: readonly string[]): { protocol: (typeof PROTOCOLS)[number]; rest: string[] } {
  const rest = [...args];
  let protocol: string = 'modbus';
  const at = rest.findIndex((a) => a === '--protocol' || a.startsWith('--protocol='));
  if (at >= 0) {
    const arg = rest[at]!;
    protocol = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (rest[at + 1] ?? '');
    rest.splice(at, arg.includes('=') ? 1 : 2);
  }
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) throw new UsageError(`--protocol ${protocol}: expected one of ${PROTOCOLS.join(', ')}`);
  return { protocol: protocol as (typeof PROTOCOLS)[number], rest };
}

export async function dlt645ScanCommand(args: readonly string[], io: CommandIo, openStream: LineOpener = openLine): Promise<number> {
  let options: Dlt645ScanOptions;
  try {
    options = parseDlt645ScanArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`${error.message}\n${DLT645_SCAN_USAGE}\n`);
    return 2;
  }
  const perSetting = (1 + options.meters.length) * options.timeoutMs;
  io.stdout.write(
    `scanning for DL/T 645 meters: ${options.settings.length} setting(s), at most ~${Math.ceil((options.settings.length * perSetting) / 1000)} s\n` +
      `扫描 DL/T 645 电表：${options.settings.length} 种串口设置，最长约 ${Math.ceil((options.settings.length * perSetting) / 1000)} 秒\n`,
  );
  try {
    const report = await scanDlt645(options, openStream, (label) => io.stderr.write(`trying ${label}\n`));
    io.stdout.write(formatDlt645Report(report));
    return anyAnswer(report) ? 0 : 1;
  } catch (error) {
    if (!(error instanceof Dlt645Fault)) throw error;
    io.stderr.write(`cannot open the line / 无法打开串口: ${error.message}\n`);
    return 1;
  }
}

export async function dlt645ProbeCommand(args: readonly string[], io: CommandIo, openStream: LineOpener = openLine): Promise<number> {
  let parsed: ReturnType<typeof parseDlt645ProbeArgs>;
  let profile;
  try {
    parsed = parseDlt645ProbeArgs(args);
    if (parsed.profile !== undefined) {
      const index = ProfileIndex.load();
      profile = index.get(parsed.profile);
      if (profile === undefined || profile.driver !== 'dlt645') {
        throw new UsageError(`--profile ${parsed.profile}: not a DL/T 645 profile (known: ${index.ids().filter((id) => index.get(id)!.driver === 'dlt645').join(', ')})`);
      }
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`device profiles do not load / 设备档案加载失败:\n${error.message}\n`);
      return 1;
    }
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`${error.message}\n${DLT645_PROBE_USAGE}\n`);
    return 2;
  }
  const result = await probeDlt645(parsed, profile, openStream);
  (result.ok ? io.stdout : io.stderr).write(result.ok ? result.text : `${result.text}\n`);
  return result.ok ? 0 : 1;
}
