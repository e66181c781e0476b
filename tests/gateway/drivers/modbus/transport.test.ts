// The transport's pure parts: the RTU 3.5-character gap and how modbus-serial's errors are classified.
import { describe, expect, it } from 'vitest';
import { classifyModbusError, ModbusFault, ModbusTransport } from '../../../../gateway/drivers/modbus/transport.js';

const rtu = (baud: number, parity: 'none' | 'even' = 'none', stopBits: 1 | 2 = 1) =>
  new ModbusTransport({ id: 'b', type: 'rtu', port: '/dev/null', baud, parity, dataBits: 8, stopBits, timeout: 500 });

describe('ModbusTransport', () => {
  it('keeps 3.5 character times between RTU frames, and 1.75 ms above 19200 baud', () => {
    expect(rtu(9600).interFrameMs).toBeCloseTo((3.5 * 10 * 1000) / 9600, 6); // 8N1: 10 bits per character
    expect(rtu(2400, 'even').interFrameMs).toBeCloseTo((3.5 * 11 * 1000) / 2400, 6); // 8E1: 11 bits
    expect(rtu(9600, 'none', 2).interFrameMs).toBeCloseTo((3.5 * 11 * 1000) / 9600, 6); // 8N2
    expect(rtu(38400).interFrameMs).toBe(1.75);
    expect(new ModbusTransport({ id: 't', type: 'tcp', host: '127.0.0.1', port: 502, timeout: 1000 }).interFrameMs).toBe(0);
  });

  it('takes the bus timeout from the config', () => {
    expect(rtu(9600).timeoutMs).toBe(500);
  });
});

describe('classifyModbusError', () => {
  it.each([
    [Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 }), 'exception', false],
    [Object.assign(new Error('Modbus exception 11: Gateway target device failed to respond'), { modbusCode: 11 }), 'exception', true],
    [Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' }), 'timeout', true],
    [new Error('CRC error'), 'crc', true],
    [new Error('Data length error, expected 9 got 7'), 'short_frame', true],
    [new Error('Unexpected data error, expected address 1 got 2'), 'short_frame', true],
    [Object.assign(new Error('Port Not Open'), { errno: 'ECONNREFUSED' }), 'connection', true],
    [new TypeError('something nobody expected'), 'connection', true],
  ] as const)('%s → %s', (error, kind, silent) => {
    const fault = classifyModbusError(error);
    expect(fault).toBeInstanceOf(ModbusFault);
    expect(fault.kind).toBe(kind);
    expect(fault.deviceSilent).toBe(silent);
  });
});
