// What a Modbus fault decides (gateway/drivers/modbus/fault.ts; issue 18: 12 of its mutants survived,
// since the RTU tests that reach most of it run outside the mutation target): which faults are retried at
// once, which end a device's cycle, and how modbus-serial's errors (RTU) map onto fault kinds.
import { describe, expect, it } from 'vitest';
import { classifyModbusError, ModbusFault } from '../../../../gateway/drivers/modbus/fault.js';

describe('ModbusFault', () => {
  it('retries at once only a garbled answer that came back without a timeout', () => {
    expect(new ModbusFault('crc', 'bad crc').worthRetry).toBe(true);
    expect(new ModbusFault('short_frame', 'short').worthRetry).toBe(true);
    expect(new ModbusFault('short_frame', 'cut short', undefined, true).worthRetry).toBe(false);
    for (const kind of ['timeout', 'exception', 'connection', 'decode'] as const) expect(new ModbusFault(kind, kind).worthRetry, kind).toBe(false);
  });

  it('counts a timeout as waited for, by default and only then', () => {
    expect(new ModbusFault('timeout', 'no answer').waitedForTimeout).toBe(true);
    expect(new ModbusFault('crc', 'bad crc').waitedForTimeout).toBe(false);
  });

  it('ends the cycle for a silent device, a dead target behind a TCP gateway (exceptions 10, 11), never for a refused block or a decode error', () => {
    for (const kind of ['timeout', 'crc', 'short_frame', 'connection'] as const) expect(new ModbusFault(kind, kind).deviceSilent, kind).toBe(true);
    expect(new ModbusFault('exception', 'gateway path unavailable', 10).deviceSilent).toBe(true);
    expect(new ModbusFault('exception', 'target failed to respond', 11).deviceSilent).toBe(true);
    expect(new ModbusFault('exception', 'illegal data address', 2).deviceSilent).toBe(false);
    expect(new ModbusFault('decode', 'not a number').deviceSilent).toBe(false);
  });
});

describe('classifyModbusError (modbus-serial errors)', () => {
  it('keeps a ModbusFault as it is', () => {
    const fault = new ModbusFault('crc', 'bad crc');
    expect(classifyModbusError(fault)).toBe(fault);
  });

  it('maps an exception answer, a timeout by errno or by message, a CRC error and a short answer', () => {
    const exception = classifyModbusError(Object.assign(new Error('Illegal data address'), { modbusCode: 2 }));
    expect([exception.kind, exception.exceptionCode, exception.message]).toEqual(['exception', 2, 'exception 2: Illegal data address']);
    const byErrno = classifyModbusError(Object.assign(new Error('no answer'), { errno: 'ETIMEDOUT' }));
    expect([byErrno.kind, byErrno.message, byErrno.waitedForTimeout]).toEqual(['timeout', 'no answer within the timeout', true]);
    expect(classifyModbusError(new Error('Timed out')).kind).toBe('timeout');
    expect(classifyModbusError(new Error('CRC error')).kind).toBe('crc');
    expect(classifyModbusError(new Error('Data length error, expected 9 got 7')).kind).toBe('short_frame');
    expect(classifyModbusError(new Error('Unexpected data error')).kind).toBe('short_frame');
  });

  it('takes anything else as a connection fault, whatever was thrown', () => {
    expect([classifyModbusError(new Error('Port Not Open')).kind, classifyModbusError(new Error('Port Not Open')).message]).toEqual(['connection', 'Port Not Open']);
    expect(classifyModbusError('socket hang up').message).toBe('socket hang up');
    expect(classifyModbusError(undefined).message).toBe('undefined');
    expect(classifyModbusError({ errno: 'ECONNRESET' }).kind).toBe('connection');
  });
});
