// encode.ts is the simulators' inverse of decode.ts: the demo, the tests and the benchmarks speak a
// device through it, so a wrong word order or scale there would make every simulated meter "agree" with
// a decoder that is wrong in the same way, or disagree with a right one. Checked as a round trip, value →
// raw → words → decode → value, for every data type in both byte and word orders, and for every point of
// every shipped register and bit profile with each of its variants.
import { describe, expect, it } from 'vitest';
import type { DataType } from '../../../config/profile.js';
import { decodePoint } from '../../../gateway/devices/decode.js';
import { rawToWords, valueToRaw } from '../../../gateway/devices/encode.js';
import { ProfileIndex } from '../../../gateway/devices/profile-index.js';
import { resolveProfile, type ResolvedPoint } from '../../../gateway/devices/resolve.js';
import { resolvedPoint } from '../../helpers/resolved-point.js';
import type { MeasurementValue, RawValue } from '../../../gateway/pipeline/types.js';

function point(fields: Partial<ResolvedPoint> & { type: DataType }): ResolvedPoint {
  return resolvedPoint(fields);
}

/** What a driver would hand the decoder for the words or bit the simulator sends. */
function wire(p: ResolvedPoint, raw: number): RawValue {
  if (p.function === 1 || p.function === 2) return { kind: 'bits', bits: [Boolean(raw)] };
  return { kind: 'registers', words: rawToWords(p, raw) };
}

function roundTrip(p: ResolvedPoint, value: MeasurementValue, decimals = 0): MeasurementValue | string {
  const result = decodePoint(p, wire(p, valueToRaw(p, value, decimals)), () => decimals);
  return result.kind === 'value' ? result.value : `${result.kind}: ${JSON.stringify(result)}`;
}

/** Raw values at each type's edges and inside (a float32 keeps ~7 significant digits). */
const RAWS: Record<Exclude<DataType, 'bit' | 'bitfield'>, number[]> = {
  u16: [0, 1, 0x1234, 0x8000, 0xffff],
  i16: [-32768, -1, 0, 1, 0x1234, 32767],
  u32: [0, 1, 0x10000, 0x12345678, 0xffffffff],
  i32: [-2147483648, -70000, -1, 0, 0x12345678, 2147483647],
  float32: [0, 1.5, -273.25, 1024.75, 3.4e38],
};

describe('encode ↔ decode round trip', () => {
  for (const byteOrder of ['big', 'little'] as const) {
    for (const wordOrder of ['big', 'little'] as const) {
      it(`every data type, byte order ${byteOrder}, word order ${wordOrder}`, () => {
        for (const [type, raws] of Object.entries(RAWS) as [keyof typeof RAWS, number[]][]) {
          const p = point({ type, byteOrder, wordOrder });
          expect(p.width).toBe(type === 'u16' || type === 'i16' ? 1 : 2);
          for (const raw of raws) expect(roundTrip(p, raw), `${type} ${raw}`).toBe(type === 'float32' ? Number(raw.toPrecision(7)) : raw);
        }
      });
    }
  }

  it('sends the words a device sends: high word first unless the word order is little, bytes swapped for little byte order', () => {
    expect(rawToWords(point({ type: 'u32' }), 0x12345678)).toEqual([0x1234, 0x5678]);
    expect(rawToWords(point({ type: 'u32', wordOrder: 'little' }), 0x12345678)).toEqual([0x5678, 0x1234]);
    expect(rawToWords(point({ type: 'u32', byteOrder: 'little' }), 0x12345678)).toEqual([0x3412, 0x7856]);
    expect(rawToWords(point({ type: 'i16' }), -2)).toEqual([0xfffe]);
    expect(rawToWords(point({ type: 'i32' }), -2)).toEqual([0xffff, 0xfffe]);
    expect(rawToWords(point({ type: 'float32' }), 1.5)).toEqual([0x3fc0, 0x0000]);
    expect(rawToWords(point({ type: 'u16', byteOrder: 'little' }), 0x0102)).toEqual([0x0201]);
  });

  it('a bit and a bitfield land in their own bits of the register', () => {
    const bit = point({ type: 'bit', bit: 5 });
    expect(rawToWords(bit, 1)).toEqual([1 << 5]);
    expect(rawToWords(bit, 0)).toEqual([0]);
    expect(roundTrip(bit, 1)).toBe(1);
    expect(rawToWords(point({ type: 'bit' }), 1)).toEqual([1]);
    const field = point({ type: 'bitfield', bits: { offset: 4, width: 3 } });
    for (let raw = 0; raw < 8; raw++) {
      expect(rawToWords(field, raw)).toEqual([raw << 4]);
      expect(roundTrip(field, raw)).toBe(raw);
    }
    // Wider than the field: only its own bits are set, the neighbours stay clear.
    expect(rawToWords(field, 0b1111)).toEqual([0b111 << 4]);
    expect(rawToWords(point({ type: 'bitfield' }), 0x1ffff)).toEqual([0xffff]);
  });

  it('undoes scale, offset and decimals, rounding to the register\'s integer', () => {
    const temp = point({ type: 'i16', scale: 0.1, offset: -40 });
    expect(valueToRaw(temp, 21.5)).toBe(615);
    expect(roundTrip(temp, 21.5)).toBe(21.5);
    expect(roundTrip(temp, -40)).toBe(-40);
    expect(valueToRaw(temp, 21.54)).toBe(615);
    const scaled = point({ type: 'u16', scale: 2 });
    expect(valueToRaw(scaled, 10)).toBe(5);
    const withDecimals = point({ type: 'u16', decimalsFrom: 'decimals' });
    expect(valueToRaw(withDecimals, 1.37, 2)).toBe(137);
    expect(roundTrip(withDecimals, 1.37, 2)).toBe(1.37);
    // A float register is not rounded.
    expect(valueToRaw(point({ type: 'float32', scale: 0.5 }), 1.25)).toBe(2.5);
    expect(valueToRaw(point({ type: 'float32' }), 1.25)).toBe(1.25);
  });

  it('states and booleans: the code of a label, the level of a contact', () => {
    const states = point({ type: 'u16', states: { '0': 'normal', '1': 'alarm', '7': 'fault' } });
    expect(valueToRaw(states, 'alarm')).toBe(1);
    expect(valueToRaw(states, 'fault')).toBe(7);
    expect(roundTrip(states, 'fault')).toBe('fault');
    expect(() => valueToRaw(states, 'open')).toThrow('point p: "open" is not one of its states');
    const contact = point({ type: 'bit', function: 2 });
    expect(valueToRaw(contact, true)).toBe(1);
    expect(valueToRaw(contact, false)).toBe(0);
    expect(roundTrip(contact, true)).toBe(true);
    const activeLow = point({ type: 'bit', function: 2, activeLow: true });
    expect(valueToRaw(activeLow, true)).toBe(0);
    expect(roundTrip(activeLow, true)).toBe(true);
    expect(roundTrip(activeLow, false)).toBe(false);
    expect(() => valueToRaw(point({ type: 'u16' }), 'high')).toThrow('point p: cannot encode "high"');
  });

  it('every point of every shipped register and bit profile, in each variant', () => {
    const index = ProfileIndex.load();
    let checked = 0;
    for (const id of index.ids()) {
      const profile = index.get(id)!;
      if (profile.driver !== 'modbus') continue;
      for (const variant of [undefined, ...Object.keys(profile.variants)]) {
        for (const resolved of resolveProfile(profile, variant).points) {
          // Range and sentinels judge a reading; the round trip is about the wire form only.
          const p: ResolvedPoint = { ...resolved, range: undefined, faults: [], unitFrom: undefined };
          const values: MeasurementValue[] = p.states
            ? Object.values(p.states)
            : p.function === 1 || p.function === 2
              ? [true, false]
              : p.type === 'bit'
                ? [0, 1]
                : p.type === 'bitfield'
                  ? [0, (1 << (p.bits?.width ?? 16)) - 1]
                  : [p.offset, p.offset + 100 * p.scale];
          for (const value of values) {
            const back = roundTrip(p, value, p.decimalsFrom === undefined ? 0 : 2);
            expect(typeof back === 'number' && typeof value === 'number' ? Number(back.toPrecision(10)) : back, `${id}${variant ? ` (${variant})` : ''} ${p.id} = ${String(value)}`).toBe(
              typeof value === 'number' ? Number(value.toPrecision(10)) : value,
            );
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
