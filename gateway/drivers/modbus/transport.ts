// One Modbus connection, one transaction at a time: an RTU serial port through modbus-serial, or a TCP
// socket through ./tcp-client.ts (MBAP framing without modbus-serial's per-request costs). Failures are
// classified so installers can tell a dead device (timeout) from wiring or settings
// (CRC, short frames) and from a device that refuses a request (exception).
import modbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import type { Bus } from '../../../config/sections/buses.js';
import { classifyModbusError, ModbusFault } from './fault.js';
import type { ReadRequest } from './plan.js';
import { ModbusTcpClient } from './tcp-client.js';

export type ModbusBus = Extract<Bus, { type: 'rtu' | 'tcp' }>;

export { classifyModbusError, ModbusFault } from './fault.js';

export type ReadResult = { kind: 'words'; words: number[] } | { kind: 'bits'; bits: boolean[] };

/** The part of modbus-serial's RTU buffered port we reach into (see discardStaleInput). */
interface BufferedPortInternals {
  _buffer?: Buffer;
}

/**
 * Modbus TCP: consecutive timeouts before the connection is re-made. A malformed MBAP header (a length
 * longer than the frame) leaves a client waiting for bytes that belong to the next answer, and every
 * answer after it is misread; a fresh connection starts clean (issue 13 item 6: one bad frame took all
 * five sources of a bus offline for good). Two, so one slave that is merely dead behind a TCP-to-RTU
 * gateway costs a reconnect only every other poll.
 */
export const TCP_TIMEOUTS_BEFORE_RECONNECT = 2;

export class ModbusTransport {
  /** The RTU port's client (modbus-serial). */
  private client: ModbusRTU | undefined;
  /** The TCP connection's client. */
  private tcp: ModbusTcpClient | undefined;
  private consecutiveTimeouts = 0;
  /** Connections re-made after a framing error or repeated timeouts (TCP), for the stats and tests. */
  reconnects = 0;
  private connecting: Promise<unknown> | undefined;
  /** Bus-level response timeout; a source may ask for more (its profile's responseTimeout). */
  readonly timeoutMs: number;
  /** Silence kept between RTU transactions: 3.5 character times (fixed 1.75 ms above 19200 baud). */
  readonly interFrameMs: number;
  /** Bytes found on the line that belonged to no answer (late answers, noise), for the stats. */
  discardedBytes = 0;

  constructor(
    readonly bus: ModbusBus,
    /** Called for asynchronous port errors (cable pulled, socket reset), which arrive outside any transaction. */
    private readonly onPortError: (error: Error) => void = () => undefined,
  ) {
    this.timeoutMs = bus.timeout;
    if (bus.type === 'rtu') {
      const bitsPerChar = 1 + bus.dataBits + (bus.parity === 'none' ? 0 : 1) + bus.stopBits;
      this.interFrameMs = bus.baud > 19200 ? 1.75 : (3.5 * bitsPerChar * 1000) / bus.baud;
    } else {
      this.interFrameMs = 0;
    }
  }

  /** One connection attempt at a time, shared by the reads that wait for it. */
  private connectOnce<C>(open: () => Promise<C>): Promise<C> {
    this.connecting ??= open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting as Promise<C>;
  }

  private connectRtu(bus: Extract<ModbusBus, { type: 'rtu' }>): Promise<ModbusRTU> {
    return this.connectOnce(async () => {
      // modbus-serial is CommonJS; its class is the module's `default` property under NodeNext typing.
      const client = new modbusSerial.default();
      client.on('error', (error: unknown) => {
        this.drop();
        this.onPortError(error instanceof Error ? error : new Error(String(error)));
      });
      client.setTimeout(this.timeoutMs);
      try {
        await client.connectRTUBuffered(bus.port, { baudRate: bus.baud, parity: bus.parity, dataBits: bus.dataBits, stopBits: bus.stopBits });
      } catch (error) {
        if (client.isOpen) client.close(() => undefined);
        throw new ModbusFault('connection', `cannot open ${this.describe()}: ${(error as Error).message}`);
      }
      this.client = client;
      return client;
    });
  }

  private connectTcp(bus: Extract<ModbusBus, { type: 'tcp' }>): Promise<ModbusTcpClient> {
    return this.connectOnce(async () => {
      const tcp: ModbusTcpClient = new ModbusTcpClient({
        onFault: (fault) => {
          if (this.tcp !== tcp) return;
          if (fault.kind === 'connection') this.drop();
          else this.afterTcpFault(fault);
        },
        onAnswer: () => {
          this.consecutiveTimeouts = 0;
        },
        onSocketError: (error) => {
          if (this.tcp === tcp) this.drop();
          this.onPortError(error);
        },
      });
      try {
        // The bus timeout also bounds the connect, as it did with modbus-serial.
        await tcp.connect(bus.host, bus.port, this.timeoutMs);
      } catch (error) {
        throw new ModbusFault('connection', `cannot open ${this.describe()}: ${(error as Error).message}`);
      }
      this.tcp = tcp;
      return tcp;
    });
  }

  describe(): string {
    return this.bus.type === 'tcp' ? `tcp://${this.bus.host}:${this.bus.port}` : `${this.bus.port} ${this.bus.baud} ${this.bus.parity} ${this.bus.stopBits}`;
  }

  /**
   * Reads one planned block from one unit; rejects with a ModbusFault. With the link open the request is
   * written within this call, and a TCP read is one promise (issue 12: modbus-serial's promise wrappers and
   * an async frame per layer were a share of the gateway's allocation at saturation).
   */
  read(unit: number, request: ReadRequest, timeoutMs = this.timeoutMs): Promise<ReadResult> {
    const bus = this.bus;
    if (bus.type === 'tcp') {
      const tcp = this.tcp;
      if (tcp?.isOpen) return tcp.read(unit, request, timeoutMs);
      return this.connectTcp(bus).then((connected) => connected.read(unit, request, timeoutMs));
    }
    const client = this.client;
    if (client?.isOpen) return this.readRtu(client, unit, request, timeoutMs);
    return this.connectRtu(bus).then((connected) => this.readRtu(connected, unit, request, timeoutMs));
  }

  private readRtu(client: ModbusRTU, unit: number, request: ReadRequest, timeoutMs: number): Promise<ReadResult> {
    client.setID(unit);
    client.setTimeout(timeoutMs);
    this.discardStaleInput(client);
    return new Promise<ReadResult>((resolve, reject) => {
      const { address, count } = request;
      const words = (error: unknown, result: { data: number[] } | undefined) => {
        if (error !== null && error !== undefined) return reject(this.failedRtu(client, error));
        try {
          resolve({ kind: 'words', words: checkedWords(result!, request) });
        } catch (fault) {
          reject(this.failedRtu(client, fault));
        }
      };
      const bits = (error: unknown, result: { data: boolean[] } | undefined) => {
        if (error !== null && error !== undefined) return reject(this.failedRtu(client, error));
        try {
          resolve({ kind: 'bits', bits: checkedBits(result!, request) });
        } catch (fault) {
          reject(this.failedRtu(client, fault));
        }
      };
      switch (request.function) {
        case 1:
          return client.writeFC1(unit, address, count, bits);
        case 2:
          return client.writeFC2(unit, address, count, bits);
        case 3:
          return client.writeFC3(unit, address, count, words);
        case 4:
          return client.writeFC4(unit, address, count, words);
      }
    });
  }

  /** Classifies a failed RTU transaction; a connection fault forgets the port. */
  private failedRtu(client: ModbusRTU, error: unknown): ModbusFault {
    let fault = classifyModbusError(error);
    // A timeout with bytes waiting means the answer started but never completed: a short frame.
    const pending = this.pendingInput(client);
    if (fault.kind === 'timeout' && pending > 0) fault = new ModbusFault('short_frame', `${pending} byte(s) arrived but no complete answer`, undefined, true);
    if (fault.kind === 'connection') this.drop();
    return fault;
  }

  /** TCP framing is lost after a garbled answer or repeated silence: start a fresh connection. */
  private afterTcpFault(fault: ModbusFault): void {
    const framing = fault.kind === 'crc' || fault.kind === 'short_frame';
    if (fault.kind === 'timeout') this.consecutiveTimeouts++;
    if (!framing && this.consecutiveTimeouts < TCP_TIMEOUTS_BEFORE_RECONNECT) return;
    this.consecutiveTimeouts = 0;
    this.reconnects++;
    this.drop();
  }

  /**
   * RTU has no transaction ids: modbus-serial's buffered port keeps unread bytes across transactions and
   * would match a late answer or line noise left there against the next request (wrong registers, a made-up
   * value). Everything received before this request is dropped. The buffer is a private field of
   * modbus-serial 8.x; tests/gateway/drivers/modbus cover it against a real RTU line.
   */
  private discardStaleInput(client: ModbusRTU): void {
    const port = (client as unknown as { _port?: BufferedPortInternals })._port;
    if (port?._buffer && port._buffer.length > 0) {
      this.discardedBytes += port._buffer.length;
      port._buffer = Buffer.alloc(0);
    }
  }

  private pendingInput(client: ModbusRTU): number {
    return (client as unknown as { _port?: BufferedPortInternals })._port?._buffer?.length ?? 0;
  }

  /** Forgets a broken connection; the next read reconnects. */
  drop(): void {
    const client = this.client;
    this.client = undefined;
    if (client?.isOpen) client.close(() => undefined);
    const tcp = this.tcp;
    this.tcp = undefined;
    tcp?.destroy();
  }

  async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    if (client?.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
    const tcp = this.tcp;
    this.tcp = undefined;
    await tcp?.close();
  }
}

/** An answer with fewer registers than asked for is a short frame, never a partial reading. */
function checkedWords(result: { data: number[] }, request: ReadRequest): number[] {
  if (result.data.length !== request.count) {
    throw new ModbusFault('short_frame', `asked for ${request.count} registers at 0x${request.address.toString(16)}, got ${result.data.length}`);
  }
  return result.data;
}

function checkedBits(result: { data: boolean[] }, request: ReadRequest): boolean[] {
  if (result.data.length < request.count) {
    throw new ModbusFault('short_frame', `asked for ${request.count} bits at ${request.address}, got ${result.data.length}`);
  }
  return result.data.slice(0, request.count);
}
