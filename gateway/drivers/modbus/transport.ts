// One Modbus connection (RTU serial port or TCP socket) through modbus-serial, one transaction at a time.
// Failures are classified so installers can tell a dead device (timeout) from wiring or settings
// (CRC, short frames) and from a device that refuses a request (exception).
import modbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import type { Bus } from '../../../config/sections/buses.js';
import { parseDuration } from '../../shared/units.js';
import type { SourceFaultKind } from '../../pipeline/types.js';
import type { ReadRequest } from './plan.js';

export class ModbusFault extends Error {
  constructor(
    readonly kind: SourceFaultKind,
    message: string,
    readonly exceptionCode?: number,
  ) {
    super(message);
    this.name = 'ModbusFault';
  }
}

/** Maps modbus-serial's errors onto fault kinds. */
export function classifyModbusError(error: unknown): ModbusFault {
  if (error instanceof ModbusFault) return error;
  const err = error as { message?: string; modbusCode?: number; errno?: string; code?: string };
  const message = err?.message ?? String(error);
  if (typeof err?.modbusCode === 'number') return new ModbusFault('exception', `exception ${err.modbusCode}: ${message}`, err.modbusCode);
  if (err?.errno === 'ETIMEDOUT' || /timed out/i.test(message)) return new ModbusFault('timeout', 'no answer within the timeout');
  if (/crc/i.test(message)) return new ModbusFault('crc', message);
  if (/length|short|unexpected data/i.test(message)) return new ModbusFault('short_frame', message);
  if (/ECONNREFUSED|ECONNRESET|EPIPE|not open|port|ENOENT|EHOSTUNREACH|closed/i.test(message)) return new ModbusFault('connection', message);
  return new ModbusFault('exception', message);
}

export type ReadResult = { kind: 'words'; words: number[] } | { kind: 'bits'; bits: boolean[] };

export class ModbusTransport {
  private client: ModbusRTU | undefined;
  private connecting: Promise<ModbusRTU> | undefined;
  readonly timeoutMs: number;
  /** Silence kept between RTU transactions: 3.5 character times (fixed 1.75 ms above 19200 baud). */
  readonly interFrameMs: number;

  constructor(readonly bus: Extract<Bus, { type: 'rtu' | 'tcp' }>) {
    this.timeoutMs = parseDuration(bus.timeout) ?? 1000;
    if (bus.type === 'rtu') {
      const bitsPerChar = 1 + bus.dataBits + (bus.parity === 'none' ? 0 : 1) + bus.stopBits;
      this.interFrameMs = bus.baud > 19200 ? 1.75 : (3.5 * bitsPerChar * 1000) / bus.baud;
    } else {
      this.interFrameMs = 0;
    }
  }

  private async connect(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return this.client;
    this.connecting ??= (async () => {
      // modbus-serial is CommonJS; its class is the module's `default` property under NodeNext typing.
      const client = new modbusSerial.default();
      try {
        if (this.bus.type === 'tcp') {
          await client.connectTCP(this.bus.host, { port: this.bus.port });
        } else {
          await client.connectRTUBuffered(this.bus.port, {
            baudRate: this.bus.baud,
            parity: this.bus.parity,
            dataBits: this.bus.dataBits,
            stopBits: this.bus.stopBits,
          });
        }
      } catch (error) {
        client.close(() => undefined);
        throw new ModbusFault('connection', `cannot open ${this.describe()}: ${(error as Error).message}`);
      }
      client.setTimeout(this.timeoutMs);
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  describe(): string {
    return this.bus.type === 'tcp' ? `tcp://${this.bus.host}:${this.bus.port}` : `${this.bus.port} ${this.bus.baud} ${this.bus.parity} ${this.bus.stopBits}`;
  }

  async read(unit: number, request: ReadRequest): Promise<ReadResult> {
    const client = await this.connect();
    client.setID(unit);
    try {
      switch (request.function) {
        case 1:
          return { kind: 'bits', bits: (await client.readCoils(request.address, request.count)).data.slice(0, request.count) };
        case 2:
          return { kind: 'bits', bits: (await client.readDiscreteInputs(request.address, request.count)).data.slice(0, request.count) };
        case 3:
          return { kind: 'words', words: (await client.readHoldingRegisters(request.address, request.count)).data };
        case 4:
          return { kind: 'words', words: (await client.readInputRegisters(request.address, request.count)).data };
      }
    } catch (error) {
      const fault = classifyModbusError(error);
      if (fault.kind === 'connection') this.drop();
      throw fault;
    }
  }

  /** Forgets a broken connection; the next read reconnects. */
  drop(): void {
    const client = this.client;
    this.client = undefined;
    if (client?.isOpen) client.close(() => undefined);
  }

  async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    if (client?.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
  }
}
