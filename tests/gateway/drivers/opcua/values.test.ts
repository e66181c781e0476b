// OPC UA values and status codes → readings: the mapping the driver uses, without a server.
import { describe, expect, it } from 'vitest';
import opcua from 'node-opcua-client';
import { statusSeverity, variantToRaw } from '../../../../gateway/drivers/opcua/values.js';
import { decodePoint } from '../../../../gateway/devices/decode.js';
import type { ResolvedPoint } from '../../../../gateway/devices/resolve.js';

const { DataType, DataValue, StatusCodes, Variant, VariantArrayType } = opcua;

describe('opcua value mapping', () => {
  it('classifies status codes by their severity bits', () => {
    expect(statusSeverity(StatusCodes.Good.value)).toBe('good');
    expect(statusSeverity(StatusCodes.UncertainLastUsableValue.value)).toBe('uncertain');
    expect(statusSeverity(StatusCodes.BadSensorFailure.value)).toBe('bad');
    expect(statusSeverity(StatusCodes.BadCommunicationError.value)).toBe('bad');
  });

  it('maps scalars to a json raw value holding the whole value', () => {
    const cases: [number, unknown][] = [
      [DataType.Double, 1.25],
      [DataType.Int16, -4],
      [DataType.Boolean, true],
      [DataType.String, 'auto'],
    ];
    for (const [dataType, value] of cases) {
      expect(variantToRaw(new DataValue({ value: new Variant({ dataType, value }) }))).toEqual({ kind: 'raw', raw: { kind: 'json', value } });
    }
  });

  it('joins 64-bit integers when they fit a double, and refuses them otherwise', () => {
    expect(variantToRaw(new DataValue({ value: new Variant({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [1, 5] }) }))).toEqual({ kind: 'raw', raw: { kind: 'json', value: 2 ** 32 + 5 } });
    expect(variantToRaw(new DataValue({ value: new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [-1, 0xfffffffe] }) }))).toEqual({ kind: 'raw', raw: { kind: 'json', value: -2 } });
    expect(variantToRaw(new DataValue({ value: new Variant({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [0xffffffff, 0xffffffff] }) })).kind).toBe('unsupported');
  });

  it('refuses arrays and nulls with a reason', () => {
    const array = variantToRaw(new DataValue({ value: new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: [1, 2] }) }));
    expect(array).toMatchObject({ kind: 'unsupported', why: expect.stringMatching(/array/) });
    expect(variantToRaw(new DataValue({ value: new Variant({ dataType: DataType.Null }) })).kind).toBe('unsupported');
  });

  it('a Boolean point with "true"/"false" state keys decodes to its labels; "0"/"1" keys keep working', () => {
    const point = (states: Record<string, string>) => ({ id: 'door', states, faults: [], json: undefined, type: 'u16', scale: 1, offset: 0 }) as unknown as ResolvedPoint;
    const decode = (value: boolean, states: Record<string, string>) => {
      const mapped = variantToRaw(new DataValue({ value: new Variant({ dataType: DataType.Boolean, value }) }), states);
      if (mapped.kind !== 'raw') throw new Error(mapped.why);
      return decodePoint(point(states), mapped.raw, () => undefined);
    };
    expect(decode(true, { false: 'closed', true: 'open' })).toMatchObject({ kind: 'value', value: 'open' });
    expect(decode(false, { false: 'closed', true: 'open' })).toMatchObject({ kind: 'value', value: 'closed' });
    expect(decode(true, { '0': 'closed', '1': 'open' })).toMatchObject({ kind: 'value', value: 'open' });
  });
});
