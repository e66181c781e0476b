// OPC UA data change → what the pipeline understands. Pure, and free of node-opcua at run time (types only),
// so it can be tested without loading the 40 MB client.
import type { DataValue } from 'node-opcua-client';
import type { RawValue } from '../../pipeline/types.js';

/** OPC UA Part 4 §7.34: the top two bits of a StatusCode are its severity. */
export type StatusSeverity = 'good' | 'uncertain' | 'bad';

export function statusSeverity(code: number): StatusSeverity {
  switch (code >>> 30) {
    case 0:
      return 'good';
    case 1:
      return 'uncertain';
    default:
      return 'bad';
  }
}

/** Built-in type ids from OPC UA Part 6 §5.1.2 that node-opcua hands over as [high, low] 32-bit pairs. */
const INT64 = 8;
const UINT64 = 9;
const SCALAR = 0;

export type MappedValue = { kind: 'raw'; raw: RawValue } | { kind: 'unsupported'; why: string };

/**
 * Maps a scalar Variant to a json RawValue holding the whole value (`states`: the point's state table). Profile points for OPC UA have no
 * `json` path, so the decoder takes the value as it is and applies scale/offset/states like any other
 * number (gateway/devices/decode.ts rawOf).
 */
export function variantToRaw(dataValue: Pick<DataValue, 'value'>, states?: Readonly<Record<string, string>>): MappedValue {
  const variant = dataValue.value;
  if (variant.arrayType !== SCALAR) return { kind: 'unsupported', why: 'arrays and matrices are not mapped to one point' };
  const value: unknown = variant.value;
  // A Boolean point whose state table says "true"/"false" gets the word (issue 20: it decoded as 0/1 and
  // showed code_0/code_1); a table keyed "0"/"1" keeps working with the number the decoder makes.
  if (typeof value === 'boolean' && states && (Object.hasOwn(states, 'true') || Object.hasOwn(states, 'false'))) {
    return { kind: 'raw', raw: { kind: 'json', value: String(value) } };
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return { kind: 'raw', raw: { kind: 'json', value } };
  if ((variant.dataType === INT64 || variant.dataType === UINT64) && Array.isArray(value) && value.length === 2) {
    const [high, low] = value as [number, number];
    const combined = variant.dataType === INT64 ? high * 2 ** 32 + (low >>> 0) : (high >>> 0) * 2 ** 32 + (low >>> 0);
    if (!Number.isSafeInteger(combined)) return { kind: 'unsupported', why: `64-bit value ${high}:${low} does not fit a double exactly` };
    return { kind: 'raw', raw: { kind: 'json', value: combined } };
  }
  if (value === null || value === undefined) return { kind: 'unsupported', why: 'the server sent a null value' };
  return { kind: 'unsupported', why: `data type ${variant.dataType} is not a number, boolean or string` };
}
