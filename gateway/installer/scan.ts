// Bus scan: which Modbus unit ids answer on a serial line, at which baud rate and parity. Every
// (baud, parity) setting is tried for every unit with one harmless read (FC03, address 0, 1 register).
// Any answer proves a device: data, or an exception (a meter that only has input registers answers FC03
// with "illegal function", and is then asked FC04 so the installer sees which one works). Garbled
// answers at a setting are counted: they mean a device is there but the baud, parity or A/B wires are wrong.
import type { ReadFunction } from '../../config/profile.js';
import type { LineSetting, ModbusAnswer, ModbusLink } from './modbus-link.js';

export const DEFAULT_BAUDS = [2400, 4800, 9600, 19200] as const;

/** A serial line setting, or a Modbus TCP endpoint (an RS-485-to-Ethernet converter has no settings to try). */
export type ScanSetting = LineSetting | { readonly tcp: string };

export interface ScanOptions {
  readonly settings: readonly ScanSetting[];
  readonly units: readonly number[];
  readonly timeoutMs: number;
}

export interface UnitAnswer {
  readonly fn: ReadFunction;
  readonly answer: Extract<ModbusAnswer, { kind: 'data' | 'exception' }>;
}

export interface ScanHit {
  readonly unit: number;
  readonly setting: ScanSetting;
  /** FC03 first; FC04 too when FC03 did not give data. */
  readonly answers: readonly UnitAnswer[];
}

export interface ScanProgress {
  readonly setting: ScanSetting;
  readonly unit: number;
  /** Requests for units done so far, over all settings. */
  readonly done: number;
  readonly total: number;
  readonly hits: number;
}

export interface ScanReport {
  readonly hits: readonly ScanHit[];
  /** Garbled answers per setting ("9600 even" → count): a device is there but something is wrong. */
  readonly garbled: ReadonlyMap<string, number>;
  readonly settingsTried: number;
}

/** Worst-case duration: every unit silent at every setting (answers come back much faster). */
export function scanEstimateMs(options: ScanOptions): number {
  return options.settings.length * options.units.length * options.timeoutMs;
}

export function settingLabel(setting: ScanSetting): string {
  return 'tcp' in setting ? setting.tcp : `${setting.baud} ${setting.parity}`;
}

/** Every combination, in the order given: bauds outer, parities inner. */
export function lineSettings(bauds: readonly number[], parities: readonly LineSetting['parity'][]): LineSetting[] {
  return bauds.flatMap((baud) => parities.map((parity) => ({ baud, parity })));
}

export async function scanBus(
  open: (setting: ScanSetting) => Promise<ModbusLink> | ModbusLink,
  options: ScanOptions,
  onProgress: (progress: ScanProgress) => void = () => undefined,
): Promise<ScanReport> {
  const hits: ScanHit[] = [];
  const garbled = new Map<string, number>();
  const total = options.settings.length * options.units.length;
  let done = 0;
  for (const setting of options.settings) {
    const link = await open(setting);
    try {
      for (const unit of options.units) {
        const answers = await askUnit(link, unit, () => garbled.set(settingLabel(setting), (garbled.get(settingLabel(setting)) ?? 0) + 1));
        if (answers.length > 0) hits.push({ unit, setting, answers });
        done++;
        onProgress({ setting, unit, done, total, hits: hits.length });
      }
    } finally {
      await link.close();
    }
  }
  return { hits, garbled, settingsTried: options.settings.length };
}

async function askUnit(link: ModbusLink, unit: number, onGarbled: () => void): Promise<UnitAnswer[]> {
  const answers: UnitAnswer[] = [];
  for (const fn of [3, 4] as const) {
    const answer = await link.ask(unit, fn, 0, 1);
    if (answer.kind === 'garbled') onGarbled();
    if (answer.kind !== 'data' && answer.kind !== 'exception') return answers;
    answers.push({ fn, answer });
    if (answer.kind === 'data') return answers;
  }
  return answers;
}
