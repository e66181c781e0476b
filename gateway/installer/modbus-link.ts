// One-off Modbus requests for the installer tools (scan, probe, doctor), through the gateway's own
// ModbusTransport so the tools see the line exactly as the running gateway would. Answers are sorted
// into what an installer can act on: data, an exception (a device is there but refuses), silence, or
// garbled bytes (something is there but baud, parity or the A/B wires are wrong).
import type { Bus } from '../../config/sections/buses.js';
import type { ReadFunction } from '../../config/profile.js';
import { ModbusFault, ModbusTransport, type ModbusBus } from '../drivers/modbus/transport.js';

export type Parity = 'none' | 'even' | 'odd';
export const PARITIES: readonly Parity[] = ['none', 'even', 'odd'];

export interface LineSetting {
  readonly baud: number;
  readonly parity: Parity;
}

export type ModbusAnswer =
  | { readonly kind: 'data'; readonly words: readonly number[] }
  | { readonly kind: 'exception'; readonly code: number }
  | { readonly kind: 'silent' }
  | { readonly kind: 'garbled'; readonly detail: string };

/** A line the installer tools ask one request at a time. */
export interface ModbusLink {
  /** Reads `count` registers (FC03/FC04) or bits (FC01/FC02, as 0/1 words); never throws for device answers. */
  ask(unit: number, fn: ReadFunction, address: number, count: number): Promise<ModbusAnswer>;
  close(): Promise<void>;
}

/** Thrown when the port itself cannot be opened: no scan or probe can go on. */
export class LinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkError';
  }
}

const EXCEPTION_TEXT: Record<number, string> = {
  1: 'illegal function / 不支持该功能码',
  2: 'illegal data address / 寄存器地址无效',
  3: 'illegal data value / 数据值无效',
  4: 'device failure / 设备故障',
  6: 'device busy / 设备忙',
  10: 'gateway path unavailable / 网关路径不可用',
  11: 'gateway target did not respond / 网关后端设备无应答',
};

export function exceptionText(code: number): string {
  return EXCEPTION_TEXT[code] ?? `exception ${code}`;
}

export function rtuBus(port: string, setting: LineSetting, timeoutMs: number): ModbusBus {
  return { id: 'installer', type: 'rtu', port, baud: setting.baud, parity: setting.parity, dataBits: 8, stopBits: 1, timeout: timeoutMs };
}

export function tcpBus(host: string, port: number, timeoutMs: number): ModbusBus {
  return { id: 'installer', type: 'tcp', host, port, timeout: timeoutMs };
}

export function isModbusBus(bus: Bus): bus is ModbusBus {
  return bus.type === 'rtu' || bus.type === 'tcp';
}

export function openModbusLink(bus: ModbusBus): ModbusLink {
  const transport = new ModbusTransport(bus);
  return {
    async ask(unit, fn, address, count) {
      try {
        const result = await transport.read(unit, { function: fn, address, count, points: [] });
        return { kind: 'data', words: result.kind === 'words' ? result.words : result.bits.map(Number) };
      } catch (error) {
        const fault = error instanceof ModbusFault ? error : new ModbusFault('connection', String(error));
        switch (fault.kind) {
          case 'exception':
            return { kind: 'exception', code: fault.exceptionCode ?? 0 };
          case 'timeout':
            return { kind: 'silent' };
          case 'crc':
          case 'short_frame':
          case 'decode':
            return { kind: 'garbled', detail: fault.message };
          case 'connection': {
            // serialport locks the tty: the running gateway holds it while these tools try to open it.
            const busy = /lock|busy|temporarily unavailable/i.test(fault.message) ? ' — port in use: stop the gateway first (sudo systemctl stop lastmile) / 串口被占用：先停止网关服务' : '';
            throw new LinkError(`${transport.describe()}: ${fault.message}${busy}`);
          }
        }
      }
    },
    close: () => transport.close(),
  };
}
