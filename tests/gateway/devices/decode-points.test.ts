// decodePoint and decodeAll at their edges: what a wrong answer from a device becomes (an error, never a
// guessed value), sentinels matched as the device sends them, the decimals and unit-code points, the
// range in its own unit, and points that depend on another point listed after it.
import { describe, expect, it } from 'vitest';
import { decodeAll, decodePoint, pickJson } from '../../../gateway/devices/decode.js';
import type { ResolvedPoint } from '../../../gateway/devices/resolve.js';
import { resolvedPoint } from '../../helpers/resolved-point.js';
import type { RawValue } from '../../../gateway/pipeline/types.js';

/** A point at 0x0102, so error messages name an address. */
const point = (fields: Partial<ResolvedPoint>): ResolvedPoint => resolvedPoint({ address: 0x0102, ...fields });

const words = (...w: number[]): RawValue => ({ kind: 'registers', words: w });
const json = (value: unknown): RawValue => ({ kind: 'json', value });
const none = () => undefined;
const SHORT = { raw: 0xe5e5, code: 'sensor_short', text: { zh: '短路', en: 'short' } };

describe('decodePoint', () => {
  it('an answer of the wrong size is an error naming the address, never a value', () => {
    expect(decodePoint(point({ type: 'u32' }), words(1), none)).toEqual({ kind: 'error', message: 'expected 2 register(s) at 0x0102, got 1' });
    expect(decodePoint(point({}), words(1, 2), none)).toEqual({ kind: 'error', message: 'expected 1 register(s) at 0x0102, got 2' });
    expect(decodePoint(point({ type: 'bit', function: 2 }), { kind: 'bits', bits: [] }, none)).toEqual({ kind: 'error', message: 'no bit in the answer' });
  });

  it('applies scale then offset', () => {
    expect(decodePoint(point({ scale: 0.1, offset: -40 }), words(615), none)).toEqual({ kind: 'value', value: 21.5, unit: undefined });
  });

  it('a float32 that is not a number is an error, not a reading', () => {
    expect(decodePoint(point({ type: 'float32' }), words(0x7fc0, 0), none)).toEqual({ kind: 'error', message: 'not a finite number (NaN)' });
    expect(decodePoint(point({ type: 'float32' }), words(0x7f80, 0), none)).toEqual({ kind: 'error', message: 'not a finite number (Infinity)' });
    // A scaled integer keeps 12 significant digits, a float32 7.
    expect(decodePoint(point({ type: 'u32', scale: 0.001 }), words(0x0001, 0xe240), none)).toMatchObject({ value: 123.456 });
    expect(decodePoint(point({ scale: 0.1 }), words(3), none)).toMatchObject({ value: 0.3 });
    expect(decodePoint(point({ type: 'u32' }), words(0x075b, 0xcd15), none)).toMatchObject({ value: 123456789 });
    expect(decodePoint(point({ type: 'float32' }), words(0x4b3c, 0x614e), none)).toMatchObject({ value: 12345680 });
  });

  it('matches a sentinel as the integer the device sends, a contact as 0/1, a JSON string as its text', () => {
    expect(decodePoint(point({ faults: [SHORT] }), words(0xe5e5), none)).toEqual({ kind: 'fault', code: 'sensor_short', raw: 0xe5e5, text: SHORT.text });
    expect(decodePoint(point({ faults: [SHORT] }), words(0xe5e4), none)).toMatchObject({ kind: 'value', value: 0xe5e4 });
    // Scaled: the raw integer is compared, not the scaled value.
    expect(decodePoint(point({ faults: [SHORT], scale: 0.1 }), words(0xe5e5), none)).toMatchObject({ kind: 'fault', raw: 0xe5e5 });
    const cut = { raw: 0, code: 'line_cut', text: { zh: '断线', en: 'cut' } };
    const contact = point({ type: 'bit', function: 2, faults: [cut], states: { '0': 'closed', '1': 'open' } });
    expect(decodePoint(contact, { kind: 'bits', bits: [false] }, none)).toEqual({ kind: 'fault', code: 'line_cut', raw: 0, text: cut.text });
    expect(decodePoint(contact, { kind: 'bits', bits: [true] }, none)).toEqual({ kind: 'value', value: 'open', unit: undefined });
    const viaJson = point({ json: 'v', faults: [{ raw: 255, code: 'no_sensor', text: { zh: '无', en: 'none' } }] });
    expect(decodePoint(viaJson, json({ v: '255' }), none)).toMatchObject({ kind: 'fault', code: 'no_sensor', raw: '255' });
    expect(decodePoint(viaJson, json({ v: 255 }), none)).toMatchObject({ kind: 'fault', code: 'no_sensor', raw: 255 });
    expect(decodePoint(viaJson, json({ v: 255.5 }), none)).toMatchObject({ kind: 'value', value: 255.5 });
    expect(decodePoint(viaJson, json({ v: '25' }), none)).toEqual({ kind: 'value', value: '25', unit: undefined });
    // A boolean 1 is not the string "true".
    expect(decodePoint(point({ json: 'v', faults: [{ raw: 1, code: 'x', text: SHORT.text }] }), json({ v: true }), none)).toMatchObject({ kind: 'fault', code: 'x', raw: 1 });
  });

  it('states: a boolean is looked up as 0/1, a string as itself, an unknown code keeps a string form', () => {
    const states = point({ json: 'v', states: { '0': 'off', '1': 'on', true: 'yes', run: 'running' } });
    expect(decodePoint(states, json({ v: true }), none)).toEqual({ kind: 'value', value: 'on', unit: undefined });
    expect(decodePoint(states, json({ v: 'run' }), none)).toEqual({ kind: 'value', value: 'running', unit: undefined });
    expect(decodePoint(states, json({ v: 7 }), none)).toEqual({ kind: 'value', value: 'code_7', unit: undefined });
  });

  it('takes 0 to 6 decimals from the decimals point, anything else is an error', () => {
    const level = point({ decimalsFrom: 'decimals' });
    expect(decodePoint(level, words(137), () => 0)).toMatchObject({ value: 137 });
    expect(decodePoint(point({ type: 'u32', decimalsFrom: 'decimals' }), words(0x14, 0xe790), () => 6)).toMatchObject({ kind: 'value', value: 1.37 });
    for (const bad of [undefined, -1, 7]) {
      expect(decodePoint(level, words(137), () => bad)).toEqual({ kind: 'error', message: `decimals point "decimals" is missing or out of range (${String(bad)})` });
    }
  });

  it('a unit from a unit-code point: a missing code is an error, an unknown one the fault unknown_unit', () => {
    const level = point({ unitFrom: { point: 'unit_code', map: { '16': 'm', '17': 'cm' } } });
    expect(decodePoint(level, words(5), () => 17)).toEqual({ kind: 'value', value: 5, unit: 'cm' });
    expect(decodePoint(level, words(5), none)).toEqual({ kind: 'error', message: 'unit point "unit_code" is missing' });
    expect(decodePoint(level, words(5), () => 9)).toEqual({ kind: 'fault', code: 'unknown_unit', raw: 9, text: { zh: '未知单位代码 9', en: 'unknown unit code 9' } });
  });

  it('judges the range in the range\'s unit, both ends included', () => {
    const inCm = point({ unit: 'm', range: { min: 0, max: 500, unit: 'cm' }, scale: 0.01 });
    expect(decodePoint(inCm, words(500), none)).toMatchObject({ kind: 'value', value: 5, unit: 'm' });
    expect(decodePoint(inCm, words(501), none)).toMatchObject({ kind: 'fault', code: 'out_of_range', raw: 5.01 });
    expect(decodePoint(inCm, words(0), none)).toMatchObject({ kind: 'value', value: 0 });
    const plain = point({ type: 'i16', unit: 'V', range: { min: -10, max: 10 } });
    expect(decodePoint(plain, words(10), none)).toMatchObject({ kind: 'value', value: 10 });
    expect(decodePoint(plain, words(0xfff6), none)).toMatchObject({ kind: 'value', value: -10 });
    expect(decodePoint(plain, words(0xfff5), none)).toMatchObject({ kind: 'fault', code: 'out_of_range' });
    expect(decodePoint(plain, words(11), none)).toMatchObject({ kind: 'fault', code: 'out_of_range' });
    // A range open at one end.
    expect(decodePoint(point({ range: { max: 10 } }), words(10), none)).toMatchObject({ kind: 'value', value: 10 });
    expect(decodePoint(point({ range: { max: 10 } }), words(11), none)).toMatchObject({ kind: 'fault' });
    expect(decodePoint(point({ type: 'i16', range: { min: -5 } }), words(0xfffb), none)).toMatchObject({ kind: 'value', value: -5 });
    expect(decodePoint(point({ type: 'i16', range: { min: -5 } }), words(0xfffa), none)).toMatchObject({ kind: 'fault' });
    // A unit that does not convert to the range's is an error, not a silent pass.
    expect(decodePoint(point({ unit: 'V', range: { min: 0, max: 1, unit: 'cm' } }), words(5), none)).toEqual({ kind: 'error', message: 'range of "p" is in cm, which V does not convert to' });
    // A range without a unit is in the point's unit; a point without a unit is compared as it is.
    expect(decodePoint(point({ range: { min: 0, max: 1, unit: 'cm' } }), words(5), none)).toMatchObject({ kind: 'fault', code: 'out_of_range' });
  });

  it('reads JSON at a dotted path, and says what is wrong with the field', () => {
    expect(pickJson({ a: { b: [0, 7] } }, 'a.b.1')).toBe(7);
    expect(pickJson({ a: 5 }, 'a.b')).toBeUndefined();
    expect(pickJson({ a: null }, 'a.b')).toBeUndefined();
    expect(pickJson('text', 'a')).toBeUndefined();
    expect(decodePoint(point({ json: 'a.b' }), json({ a: {} }), none)).toEqual({ kind: 'error', message: 'field "a.b" missing' });
    expect(decodePoint(point({ json: 'a' }), json({ a: { b: 1 } }), none)).toEqual({ kind: 'error', message: 'field "a" is not a number, boolean or string' });
    expect(decodePoint(point({ json: undefined }), json(3), none)).toMatchObject({ kind: 'value', value: 3 });
  });
});

describe('decodeAll', () => {
  it('decodes the decimals and unit points first, wherever the profile lists them', () => {
    const points = [
      point({ id: 'level', decimalsFrom: 'decimals', unitFrom: { point: 'unit_code', map: { '17': 'cm' } } }),
      point({ id: 'decimals', internal: true }),
      point({ id: 'unit_code', internal: true }),
      point({ id: 'other' }),
    ];
    const results = decodeAll(points, new Map([['level', words(137)], ['decimals', words(2)], ['unit_code', words(17)], ['other', words(4)]]));
    expect([...results.keys()]).toEqual(['decimals', 'unit_code', 'level', 'other']);
    expect(results.get('level')).toEqual({ kind: 'value', value: 1.37, unit: 'cm' });
    expect(results.get('other')).toEqual({ kind: 'value', value: 4, unit: undefined });
    // A second reading with the same point list gets the same order and fresh sibling values.
    expect(decodeAll(points, new Map([['level', words(137)], ['decimals', words(1)], ['unit_code', words(17)]])).get('level')).toMatchObject({ value: 13.7 });
  });

  it('a decimals point that failed gives the dependent point an error, not its raw number', () => {
    const points = [point({ id: 'level', decimalsFrom: 'decimals' }), point({ id: 'decimals', faults: [SHORT] })];
    const results = decodeAll(points, new Map([['level', words(137)], ['decimals', words(0xe5e5)]]));
    expect(results.get('decimals')).toMatchObject({ kind: 'fault' });
    expect(results.get('level')).toMatchObject({ kind: 'error' });
    // A point nobody depends on is not a sibling: its value is not lent to another point's decimals.
    const unrelated = decodeAll([point({ id: 'level', decimalsFrom: 'decimals' }), point({ id: 'x' })], new Map([['level', words(137)], ['x', words(2)]]));
    expect(unrelated.get('level')).toMatchObject({ kind: 'error' });
    expect(unrelated.has('decimals')).toBe(false);
  });
});
