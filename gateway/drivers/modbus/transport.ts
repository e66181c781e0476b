// One Modbus connection (RTU serial port or TCP socket) through modbus-serial, one transaction at a time.
// Failures are classified so installers can tell a dead device (timeout) from wiring or settings
// (CRC, short frames) and from a device that refuses a request (exception).
import modbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import type { Bus } from '../../../config/sections/buses.js';
import type { SourceFaultKind } from '../../pipeline/types.js';
import type { ReadRequest } from './plan.js';

export type ModbusBus = Extract<Bus, { type: 'rtu' | 'tcp' }>;

export class ModbusFault extends Error {
  constructor(
    readonly kind: SourceFaultKind,
    message: string,
    readonly exceptionCode?: number,
    /** True when finding this out took a whole response timeout (silence, or an answer that stopped short). */
    readonly waitedForTimeout = kind === 'timeout',
  ) {
    super(message);
    this.name = 'ModbusFault';
  }

  /** A garbled answer that came back at once: the device is there, so one immediate retry is cheap. */
  get worthRetry(): boolean {
    return (this.kind === 'crc' || this.kind === 'short_frame') && !this.waitedForTimeout;
  }

  /**
   * True when the device (or the line to it) did not answer usefully, so further requests to it in this
   * cycle would only cost more timeouts. Exceptions 10/11 come from a TCP gateway whose RTU target is dead.
   */
  get deviceSilent(): boolean {
    if (this.kind === 'exception') return this.exceptionCode === 10 || this.exceptionCode === 11;
    return this.kind !== 'decode';
  }
}

/** Maps modbus-serial's errors onto fault kinds. Anything unrecognised is a connection fault (the link gets reset). */
export function classifyModbusError(error: unknown): ModbusFault {
  if (error instanceof ModbusFault) return error;
  const err = error as { message?: string; modbusCode?: number; errno?: string; code?: string } | undefined;
  const message = err?.message ?? String(error);
  if (typeof err?.modbusCode === 'number') return new ModbusFault('exception', `exception ${err.modbusCode}: ${message}`, err.modbusCode);
  if (err?.errno === 'ETIMEDOUT' || /timed out/i.test(message)) return new ModbusFault('timeout', 'no answer within the timeout');
  if (/crc/i.test(message)) return new ModbusFault('crc', message);
  if (/data length|unexpected data/i.test(message)) return new ModbusFault('short_frame', message);
  return new ModbusFault('connection', message);
}

export type ReadResult = { kind: 'words'; words: number[] } | { kind: 'bits'; bits: boolean[] };

/** The part of modbus-serial's RTU buffered port we reach into (see discardStaleInput). */
interface BufferedPortInternals {
  _buffer?: Buffer;
}

/**
 * Modbus TCP: consecutive timeouts before the connection is re-made. A malformed MBAP header (a length
 * longer than the frame) leaves modbus-serial waiting for bytes that belong to the next answer, and every
 * answer after it is misread; a fresh connection starts clean (issue 13 item 6: one bad frame took all
 * five sources of a bus offline for good). Two, so one slave that is merely dead behind a TCP-to-RTU
 * gateway costs a reconnect only every other poll.
 */
export const TCP_TIMEOUTS_BEFORE_RECONNECT = 2;

export class ModbusTransport {
  private client: ModbusRTU | undefined;
  private consecutiveTimeouts = 0;
  /** Connections re-made after a framing error or repeated timeouts (TCP), for the stats and tests. */
  reconnects = 0;
  private connecting: Promise<ModbusRTU> | undefined;
  /** Bus-level response timeout; a source may ask for more (its profile's responseTimeout). */
  readonly timeoutMs: number;
  /** Silence kept between RTU transactions: 3.5 character times (fixed 1.75 ms above 19200 baud). */
  readonly interFrameMs: number;
  /** Bytes found on the line that belonged to no answer (late answers, noise), for the stats. */
  discardedBytes = 0;

  constructor(
    readonly bus: ModbusBus,
    /** Called for asynchronous port errors, which modbus-serial would otherwise throw as an unhandled 'error'. */
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

  private async connect(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return this.client;
    this.connecting ??= (async () => {
      // modbus-serial is CommonJS; its class is the module's `default` property under NodeNext typing.
      const client = new modbusSerial.default();
      client.on('error', (error: unknown) => {
        this.drop();
        this.onPortError(error instanceof Error ? error : new Error(String(error)));
      });
      // Set before connecting: modbus-serial also uses it as the TCP connect timeout.
      client.setTimeout(this.timeoutMs);
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
        if (client.isOpen) client.close(() => undefined);
        throw new ModbusFault('connection', `cannot open ${this.describe()}: ${(error as Error).message}`);
      }
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

  /** Reads one planned block from one unit; throws a ModbusFault. */
  async read(unit: number, request: ReadRequest, timeoutMs = this.timeoutMs): Promise<ReadResult> {
    const client = await this.connect();
    client.setID(unit);
    client.setTimeout(timeoutMs);
    this.discardStaleInput(client);
    try {
      const result = await this.transact(client, request);
      this.consecutiveTimeouts = 0;
      return result;
    } catch (error) {
      let fault = classifyModbusError(error);
      // A timeout with bytes waiting means the answer started but never completed: a short frame.
      const pending = this.pendingInput(client);
      if (fault.kind === 'timeout' && pending > 0) fault = new ModbusFault('short_frame', `${pending} byte(s) arrived but no complete answer`, undefined, true);
      if (fault.kind === 'connection') this.drop();
      else if (this.bus.type === 'tcp') this.afterTcpFault(fault);
      throw fault;
    }
  }

  private async transact(client: ModbusRTU, request: ReadRequest): Promise<ReadResult> {
    switch (request.function) {
      case 1:
        return { kind: 'bits', bits: checkedBits(await client.readCoils(request.address, request.count), request) };
      case 2:
        return { kind: 'bits', bits: checkedBits(await client.readDiscreteInputs(request.address, request.count), request) };
      case 3:
        return { kind: 'words', words: checkedWords(await client.readHoldingRegisters(request.address, request.count), request) };
      case 4:
        return { kind: 'words', words: checkedWords(await client.readInputRegisters(request.address, request.count), request) };
    }
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
    if (this.bus.type !== 'rtu') return;
    const port = (client as unknown as { _port?: BufferedPortInternals })._port;
    if (port?._buffer && port._buffer.length > 0) {
      this.discardedBytes += port._buffer.length;
      port._buffer = Buffer.alloc(0);
    }
  }

  private pendingInput(client: ModbusRTU): number {
    if (this.bus.type !== 'rtu') return 0;
    return (client as unknown as { _port?: BufferedPortInternals })._port?._buffer?.length ?? 0;
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
