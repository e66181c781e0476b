// The scan's search over (baud, parity) against a fake line where only one combination answers. A pty
// (the integration test) ignores baud and parity, so this is where the search itself is tested.
import { describe, expect, it } from 'vitest';
import type { ModbusAnswer, ModbusLink } from '../../../gateway/installer/modbus-link.js';
import { lineSettings, scanBus, scanEstimateMs, settingLabel, type ScanProgress, type ScanSetting } from '../../../gateway/installer/scan.js';
import { formatScanReport } from '../../../gateway/cli/scan.js';

/** A line whose devices only understand 19200 even; at 19200 odd unit 7 comes back as garbage. */
function fakeLine(log: string[]): (setting: ScanSetting) => ModbusLink {
  return (scanSetting) => {
    if ('tcp' in scanSetting) throw new Error('this fake line is serial');
    const setting = scanSetting;
    return {
    ask: (unit, fn): Promise<ModbusAnswer> => {
      log.push(`${setting.baud}/${setting.parity}/${unit}/${fn}`);
      const right = setting.baud === 19200 && setting.parity === 'even';
      if (setting.baud === 19200 && setting.parity === 'odd' && unit === 7) return Promise.resolve({ kind: 'garbled', detail: 'crc' });
      if (!right) return Promise.resolve({ kind: 'silent' });
      if (unit === 7) return Promise.resolve(fn === 3 ? { kind: 'exception', code: 1 } : { kind: 'data', words: [0x4366] });
      if (unit === 12) return Promise.resolve(fn === 3 ? { kind: 'data', words: [42] } : { kind: 'silent' });
      return Promise.resolve({ kind: 'silent' });
    },
    close: () => Promise.resolve(),
    };
  };
}

describe('scan search', () => {
  const options = { settings: lineSettings([2400, 9600, 19200], ['none', 'even', 'odd']), units: [1, 7, 12, 30], timeoutMs: 200 };

  it('finds the units only at the one setting that answers, and asks FC04 after an FC03 exception', async () => {
    const log: string[] = [];
    const progress: ScanProgress[] = [];
    const report = await scanBus(fakeLine(log), options, (p) => progress.push(p));
    expect(report.hits.map((h) => [h.unit, settingLabel(h.setting)])).toEqual([
      [7, '19200 even'],
      [12, '19200 even'],
    ]);
    expect(report.hits[0]!.answers).toEqual([
      { fn: 3, answer: { kind: 'exception', code: 1 } },
      { fn: 4, answer: { kind: 'data', words: [0x4366] } },
    ]);
    expect(report.hits[1]!.answers).toEqual([{ fn: 3, answer: { kind: 'data', words: [42] } }]);
    expect([...report.garbled]).toEqual([['19200 odd', 1]]);
    // Silent units get exactly one request per setting: the scan's time stays bounded by the estimate.
    expect(log.filter((l) => l.endsWith('/4'))).toEqual(['19200/even/7/4']);
    expect(progress).toHaveLength(9 * 4);
    expect(progress.at(-1)).toMatchObject({ done: 36, total: 36, hits: 2 });
  });

  it('estimates the worst case from settings × units × timeout', () => {
    expect(scanEstimateMs(options)).toBe(9 * 4 * 200);
  });

  it('reports a garbled setting as a wiring or settings hint, and nothing found as a checklist', async () => {
    const report = await scanBus(fakeLine([]), { settings: [{ baud: 19200, parity: 'odd' }], units: [7], timeoutMs: 200 });
    const text = formatScanReport(report);
    expect(text).toContain('nothing answered / 没有设备应答');
    expect(text).toContain('garbled answers at 19200 odd: 1');
    expect(text).toContain('A/B');
  });
});
