// The inverse of decode: a measurement value → the words or bit a device would send. Used by the
// simulators (demo, tests, benchmarks) so they speak exactly what the profiles describe.
import type { MeasurementValue } from '../pipeline/types.js';
import type { ResolvedPoint } from './resolve.js';

const scratch = Buffer.alloc(4);

/** Raw integer (or float) a value corresponds to, undoing states, decimals, scale and offset. */
export function valueToRaw(point: ResolvedPoint, value: MeasurementValue, decimals = 0): number {
  if (point.states) {
    const entry = Object.entries(point.states).find(([, label]) => label === value);
    if (!entry) throw new Error(`point ${point.id}: "${String(value)}" is not one of its states`);
    return Number(entry[0]);
  }
  if (typeof value === 'boolean') return Number(value !== point.activeLow);
  if (typeof value !== 'number') throw new Error(`point ${point.id}: cannot encode ${JSON.stringify(value)}`);
  const raw = ((value * 10 ** decimals - point.offset) / point.scale);
  return point.type === 'float32' ? raw : Math.round(raw);
}

/** Words for a register point, honouring type, word order and byte order. */
export function rawToWords(point: ResolvedPoint, raw: number): number[] {
  let words: number[];
  if (point.width === 1) {
    let word: number;
    if (point.type === 'bitfield') {
      const bits = point.bits ?? { offset: 0, width: 16 };
      word = (raw & ((1 << bits.width) - 1)) << bits.offset;
    } else if (point.type === 'bit') {
      word = (raw ? 1 : 0) << (point.bit ?? 0);
    } else {
      word = raw < 0 ? raw + 0x10000 : raw;
    }
    words = [word & 0xffff];
  } else {
    if (point.type === 'float32') scratch.writeFloatBE(raw, 0);
    else if (point.type === 'i32') scratch.writeInt32BE(raw, 0);
    else scratch.writeUInt32BE(raw >>> 0, 0);
    const hi = scratch.readUInt16BE(0);
    const lo = scratch.readUInt16BE(2);
    words = point.wordOrder === 'big' ? [hi, lo] : [lo, hi];
  }
  return point.byteOrder === 'little' ? words.map((w) => ((w & 0xff) << 8) | (w >> 8)) : words;
}
