// `lastmile scan --port <tty>`: finds Modbus unit ids on an RS-485 line across baud rates and parities.
// Prints the worst-case time first, progress while it runs (stderr), then what answered (stdout).
import { usageLine } from './help.js';
import { dlt645ScanCommand, takeProtocol } from '../installer/dlt645-commands.js';
import { parseDuration } from '../shared/units.js';
import { intOption, parseChoiceList, parseIntList, parseOptions, UsageError } from '../installer/args.js';
import { exceptionText, LinkError, openModbusLink, PARITIES, rtuBus, tcpBus, type Parity } from '../installer/modbus-link.js';
import { DEFAULT_BAUDS, lineSettings, scanBus, scanEstimateMs, settingLabel, type ScanHit, type ScanReport } from '../installer/scan.js';


export interface ScanIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
}

export async function scanCommand(args: string[], io: ScanIo = process): Promise<number> {
  // --protocol dlt645 selects the DL/T 645 meter tools (gateway/installer/dlt645-*.ts); Modbus is the default.
  let protocol: ReturnType<typeof takeProtocol>;
  try {
    protocol = takeProtocol(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(usageLine('scan', error.message));
    return 2;
  }
  if (protocol.protocol === 'dlt645') return dlt645ScanCommand(protocol.rest, io);
  args = protocol.rest;
  let target: string;
  let open: Parameters<typeof scanBus>[0];
  let options: Parameters<typeof scanBus>[1];
  try {
    const { options: opts, positional } = parseOptions(args);
    if (positional.length > 0) throw new UsageError(`unexpected argument "${positional[0]}"`);
    const units = opts.has('units') ? parseIntList(opts.get('units')!, 'units', 1, 247) : parseIntList('1-247', 'units', 1, 247);
    const timeoutMs = opts.has('timeout') ? parseDuration(opts.get('timeout')!) : 200;
    if (timeoutMs === undefined || timeoutMs < 20 || timeoutMs > 10_000) throw new UsageError(`--timeout ${opts.get('timeout')}: expected e.g. 200ms (20ms–10s)`);
    const port = opts.get('port');
    const host = opts.get('host');
    if (host !== undefined) {
      const tcpPort = intOption(opts, 'tcp-port', 1, 65535) ?? 502;
      target = `tcp://${host}:${tcpPort}`;
      open = () => openModbusLink(tcpBus(host, tcpPort, timeoutMs));
      options = { settings: [{ tcp: target }], units, timeoutMs };
    } else if (port !== undefined) {
      const bauds = opts.has('bauds') ? parseIntList(opts.get('bauds')!, 'bauds', 300, 921600) : [...DEFAULT_BAUDS];
      const parities = opts.has('parities') ? parseChoiceList<Parity>(opts.get('parities')!, 'parities', PARITIES) : [...PARITIES];
      target = port;
      open = (setting) => {
        if ('tcp' in setting) throw new Error(`scan of ${port}: got a TCP setting in a serial scan`);
        return openModbusLink(rtuBus(port, setting, timeoutMs));
      };
      options = { settings: lineSettings(bauds, parities), units, timeoutMs };
    } else {
      throw new UsageError('--port <tty> (RS-485) or --host <ip> (Modbus TCP) is required, e.g. --port /dev/ttyUSB0');
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(usageLine('scan', error.message));
    return 2;
  }

  const estimateS = Math.ceil(scanEstimateMs(options) / 1000);
  io.stdout.write(
    `scanning ${target}: ${options.settings.length} setting(s) × ${options.units.length} unit(s), at most ~${formatSeconds(estimateS)}\n` +
      `扫描 ${target}：${options.settings.length} 种串口设置 × ${options.units.length} 个地址，最长约 ${formatSeconds(estimateS)}\n`,
  );
  let report: ScanReport;
  let lastLine = '';
  try {
    report = await scanBus(open, options, (progress) => {
      const percent = Math.floor((progress.done / progress.total) * 100);
      const line = `[${percent}%] ${settingLabel(progress.setting)} unit ${progress.unit} — found ${progress.hits}`;
      if (io.stderr.isTTY) io.stderr.write(`\r${line.padEnd(lastLine.length)}`);
      else if (progress.unit === options.units.at(-1)) io.stderr.write(`${line}\n`);
      lastLine = line;
    });
  } catch (error) {
    if (!(error instanceof LinkError)) throw error;
    io.stderr.write(`\ncannot open the port / 无法打开串口: ${error.message}\n`);
    return 1;
  }
  if (io.stderr.isTTY) io.stderr.write('\n');
  io.stdout.write(formatScanReport(report));
  return report.hits.length > 0 ? 0 : 1;
}

function formatSeconds(seconds: number): string {
  return seconds >= 120 ? `${Math.ceil(seconds / 60)} min` : `${seconds} s`;
}

function describeAnswer(hit: ScanHit): string {
  return hit.answers
    .map(({ fn, answer }) =>
      answer.kind === 'data'
        ? `FC0${fn} data 0x${answer.words[0]!.toString(16).padStart(4, '0')} / 有数据`
        : `FC0${fn} exception ${answer.code} (${exceptionText(answer.code)})`,
    )
    .join('; ');
}

export function formatScanReport(report: ScanReport): string {
  const lines: string[] = [];
  if (report.hits.length === 0) {
    lines.push('nothing answered / 没有设备应答');
    lines.push('check: A/B wires (try swapping), power, termination, the unit range, and that no other program holds the port');
    lines.push('检查：A/B 线（可对调）、供电、终端电阻、地址范围，以及串口是否被其他程序占用');
  } else {
    lines.push('answered / 有应答:');
    lines.push('  unit  baud    parity  answer');
    for (const hit of report.hits) {
      const [baud, parity] = 'tcp' in hit.setting ? ['tcp', '-'] : [String(hit.setting.baud), hit.setting.parity];
      lines.push(`  ${String(hit.unit).padEnd(4)}  ${baud.padEnd(6)}  ${parity.padEnd(6)}  ${describeAnswer(hit)}`);
    }
    const settings = new Set(report.hits.map((h) => settingLabel(h.setting)));
    if (settings.size > 1) {
      lines.push('note: devices answered at different settings; one RS-485 line needs one setting (change the devices or split the bus)');
      lines.push('注意：设备的串口设置不一致；同一条 RS-485 总线只能用一种设置（改设备设置或分开总线）');
    }
  }
  for (const [setting, count] of report.garbled) {
    lines.push(`garbled answers at ${setting}: ${count} — a device is there but baud/parity or A/B wiring is wrong`);
    lines.push(`${setting} 下收到 ${count} 个乱码应答 — 有设备但波特率/校验位或 A/B 接线不对`);
  }
  return `${lines.join('\n')}\n`;
}
