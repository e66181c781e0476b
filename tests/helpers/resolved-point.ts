// A ResolvedPoint for unit tests of decoding, encoding and rules: a u16 holding register at 0 with no
// scale, unit, range or states, and whatever the test sets; the wire width follows type and function.
import { wireWidth, type ResolvedPoint } from '../../gateway/devices/resolve.js';

export function resolvedPoint(fields: Partial<ResolvedPoint>): ResolvedPoint {
  const type = fields.type ?? 'u16';
  const fn = fields.function ?? 3;
  return {
    id: 'p', name: undefined, class: 'power', function: fn, address: 0, type, byteOrder: 'big', wordOrder: 'big', scale: 1, offset: 0, unit: undefined,
    bit: undefined, bits: undefined, decimalsFrom: undefined, unitFrom: undefined, states: undefined, range: undefined, faults: [], json: undefined,
    line: undefined, activeLow: false, internal: false, width: wireWidth(type, fn), ...fields,
  };
}
