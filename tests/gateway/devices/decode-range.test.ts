// Ranges in the decoder: a 4–20 mA loop's fault band (below 3.8 mA), and a range in another unit than the
// value's (a level in m against a range in cm), converted through the units registry.
import { describe, expect, it } from 'vitest';
import { decodeAll, decodePoint } from '../../../gateway/devices/decode.js';
import { ProfileIndex } from '../../../gateway/devices/profile-index.js';
import { resolveProfile, type ResolvedPoint } from '../../../gateway/devices/resolve.js';

const loop: ResolvedPoint = {
  id: 'loop_current', name: undefined, class: 'water_level', function: 3, address: 0, type: 'u16', byteOrder: 'big', wordOrder: 'big',
  scale: 0.001, offset: 0, unit: 'mA', bit: undefined, bits: undefined, decimalsFrom: undefined, unitFrom: undefined, states: undefined,
  range: { min: 3.8, max: 20.5 }, faults: [], json: undefined, line: undefined, activeLow: false, internal: false, width: 1,
};
const words = (raw: number) => ({ kind: 'registers' as const, words: [raw] });

describe('decode ranges', () => {
  it('a 4–20 mA input below 3.8 mA is the fault out_of_range (broken loop), 4 mA is a reading', () => {
    expect(decodePoint(loop, words(3700), () => undefined)).toMatchObject({ kind: 'fault', code: 'out_of_range', raw: 3.7 });
    expect(decodePoint(loop, words(0), () => undefined)).toMatchObject({ kind: 'fault', code: 'out_of_range' });
    expect(decodePoint(loop, words(4000), () => undefined)).toEqual({ kind: 'value', value: 4, unit: 'mA' });
    expect(decodePoint(loop, words(20_500), () => undefined)).toMatchObject({ kind: 'value', value: 20.5 });
    expect(decodePoint(loop, words(21_000), () => undefined)).toMatchObject({ kind: 'fault', code: 'out_of_range' });
    const fault = decodePoint(loop, words(3700), () => undefined);
    expect(fault.kind === 'fault' && fault.text).toEqual({ zh: '读数 3.7 mA 超出量程 3.8…20.5 mA', en: 'reading 3.7 mA outside the range 3.8…20.5 mA' });
  });

  it('a range in cm judges a level reported in m or mH₂O after conversion', () => {
    const profile = ProfileIndex.load().get('generic/qdy30a')!;
    const decode = { points: { level: { range: { min: 0, max: 500, unit: 'cm' as const } } } };
    const points = resolveProfile(profile, 'pressure-table', decode).points;
    const level = (unitCode: number, decimals: number, pv: number) =>
      decodeAll(points, new Map([['unit_code', words(unitCode)], ['decimals', words(decimals)], ['level', words(pv)]])).get('level');
    expect(level(7, 2, 137)).toMatchObject({ kind: 'value', value: 1.37, unit: 'mH₂O' });
    expect(level(7, 2, 501)).toMatchObject({ kind: 'fault', code: 'out_of_range' });
    expect(level(8, 0, 5000)).toMatchObject({ kind: 'value', value: 5000, unit: 'mmH₂O' });
    expect(level(8, 0, 5001)).toMatchObject({ kind: 'fault', code: 'out_of_range' });
  });
});
