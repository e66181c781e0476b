// A Modbus TCP client for reads (functions 1–4): MBAP framing on one socket, one transaction at a time.
// modbus-serial's TCP port turned every answer into an RTU frame, computed its CRC and checked it again,
// and per request made a promise chain for the write, a timer, several buffers and debug objects; at
// saturation that was a large share of the gateway's CPU and allocation (issue 12, docs/benchmarks.md).
// Here a request is one 12-byte buffer, one write and one promise; the response timeout is one timer per
// connection, re-armed with refresh() for each request; an answer is parsed where it lies in the socket's
// chunk. RTU stays on modbus-serial (./transport.ts).
import { Socket } from 'node:net';
import { ModbusFault } from './fault.js';
import type { ReadRequest } from './plan.js';
import type { ReadResult } from './transport.js';

const MBAP_BYTES = 7;
/** Largest MBAP length field: unit id + a PDU of at most 253 bytes. */
const MAX_MBAP_LENGTH = 254;
const EMPTY = Buffer.alloc(0);

/** The texts modbus-serial gave exceptions, kept so logs and the console read as before. */
const EXCEPTION_TEXT = [
  'Unknown error',
  'Illegal function (device does not support this read/write function)',
  'Illegal data address (register not supported by device)',
  'Illegal data value (value cannot be written to this register)',
  'Slave device failure (device reports internal error)',
  'Acknowledge (requested data will be available later)',
  'Slave device busy (retry request again later)',
  'Negative acknowledge (slave device cannot perform programming functions)',
  'Memory parity error (slave device detected a parity error in memory)',
  'Unknown error',
  'Gateway path unavailable (misconfigured gateway)',
  'Gateway target device failed to respond (retry request again later)',
];

interface Pending {
  readonly tid: number;
  readonly unit: number;
  readonly request: ReadRequest;
  readonly resolve: (result: ReadResult) => void;
  readonly reject: (fault: ModbusFault) => void;
}

export interface TcpClientEvents {
  /** Every failed transaction, before its promise rejects (the transport decides about the connection). */
  readonly onFault: (fault: ModbusFault) => void;
  /** Every answered transaction. */
  readonly onAnswer: () => void;
  /** A socket error outside any transaction (reset, cable pulled). */
  readonly onSocketError: (error: Error) => void;
}

export class ModbusTcpClient {
  private readonly socket = new Socket();
  private open = false;
  /** The start of an answer that has not fully arrived. */
  private input: Buffer = EMPTY;
  private tid = 0;
  private pending: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerMs = 0;
  private readonly timedOut = () => this.onTimeout();

  constructor(private readonly events: TcpClientEvents) {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('close', () => this.closed('the slave closed the connection'));
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Connects within `timeoutMs`; rejects with the socket's error. */
  connect(host: string, port: number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => {
        clearTimeout(timer);
        this.socket.destroy();
        reject(error);
      };
      const timer: NodeJS.Timeout = setTimeout(() => failed(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      this.socket.once('error', failed);
      this.socket.connect({ host, port }, () => {
        clearTimeout(timer);
        this.socket.off('error', failed);
        this.socket.on('error', (error: Error) => {
          this.closed(error.message);
          this.events.onSocketError(error);
        });
        this.socket.setNoDelay(true);
        this.open = true;
        resolve();
      });
    });
  }

  /** One read; rejects with a ModbusFault. The caller keeps one transaction at a time. */
  read(unit: number, request: ReadRequest, timeoutMs: number): Promise<ReadResult> {
    return new Promise<ReadResult>((resolve, reject) => {
      if (!this.open) return reject(this.fail(new ModbusFault('connection', 'Modbus TCP connection is not open')));
      if (this.pending) return reject(this.fail(new ModbusFault('connection', 'a Modbus TCP transaction is already in flight')));
      this.tid = (this.tid + 1) & 0xffff;
      const frame = Buffer.allocUnsafe(12);
      frame.writeUInt16BE(this.tid, 0);
      frame.writeUInt16BE(0, 2);
      frame.writeUInt16BE(6, 4);
      frame[6] = unit;
      frame[7] = request.function;
      frame.writeUInt16BE(request.address, 8);
      frame.writeUInt16BE(request.count, 10);
      this.pending = { tid: this.tid, unit, request, resolve, reject };
      this.armTimer(timeoutMs);
      this.socket.write(frame);
    });
  }

  /** Ends the connection and waits until the socket is closed. */
  close(): Promise<void> {
    this.clearTimer();
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      // A slave that never closes its side must not hold the gateway's stop.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }

  /** Drops the connection at once; a transaction in flight fails as a connection fault. */
  destroy(): void {
    this.clearTimer();
    this.socket.destroy();
    this.closed('connection dropped');
  }

  /** Re-arms the one timer of this connection: refresh() when the timeout is the same, as it nearly always is. */
  private armTimer(timeoutMs: number): void {
    if (this.timer !== undefined && this.timerMs === timeoutMs) {
      this.timer.refresh();
      return;
    }
    this.clearTimer();
    this.timerMs = timeoutMs;
    this.timer = setTimeout(this.timedOut, timeoutMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The timer outlives answered requests (clearing and re-making it per request cost more); it acts only on one in flight. */
  private onTimeout(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    // Bytes waiting mean the answer started but never completed (or its MBAP length lied): a short frame.
    const partial = this.input.length;
    this.input = EMPTY;
    pending.reject(this.fail(partial > 0 ? new ModbusFault('short_frame', `${partial} byte(s) arrived but no complete answer`, undefined, true) : new ModbusFault('timeout', 'no answer within the timeout')));
  }

  private onData(chunk: Buffer): void {
    const data = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    let offset = 0;
    while (data.length - offset >= MBAP_BYTES) {
      const length = data.readUInt16BE(offset + 4);
      if (data.readUInt16BE(offset + 2) !== 0 || length < 2 || length > MAX_MBAP_LENGTH) {
        // Not Modbus TCP, or framing lost: nothing after it can be trusted on this connection.
        this.input = EMPTY;
        this.framingLost(`malformed MBAP header (protocol ${data.readUInt16BE(offset + 2)}, length ${length})`);
        return;
      }
      const end = offset + 6 + length;
      if (data.length < end) break;
      this.onFrame(data, offset, end);
      offset = end;
    }
    this.input = offset === data.length ? EMPTY : data.subarray(offset);
  }

  private onFrame(data: Buffer, start: number, end: number): void {
    const pending = this.pending;
    // An answer to a request that already timed out (its transaction id is not the one in flight): dropped.
    if (!pending || data.readUInt16BE(start) !== pending.tid) return;
    this.pending = undefined;
    const { request } = pending;
    const unit = data[start + 6]!;
    const fn = data[start + 7]!;
    const pduBytes = end - start - 7;
    let fault: ModbusFault | undefined;
    if (unit !== pending.unit) fault = new ModbusFault('short_frame', `Unexpected data error, expected address ${pending.unit} got ${unit}`);
    else if (fn === (request.function | 0x80) && pduBytes === 2) {
      const code = data[start + 8]!;
      fault = new ModbusFault('exception', `exception ${code}: Modbus exception ${code}: ${EXCEPTION_TEXT[code] ?? 'Unknown error'}`, code);
    } else if (fn !== request.function) fault = new ModbusFault('short_frame', `Unexpected data error, expected code ${request.function} got ${fn}`);
    if (fault) return pending.reject(this.fail(fault));
    const dataBytes = request.function === 3 || request.function === 4 ? 2 * request.count : Math.ceil(request.count / 8);
    if (pduBytes !== 2 + dataBytes || data[start + 8] !== dataBytes) {
      const got = request.function === 3 || request.function === 4 ? `${Math.floor(Math.max(pduBytes - 2, 0) / 2)} registers` : `${Math.max(pduBytes - 2, 0)} bytes of bits`;
      return pending.reject(this.fail(new ModbusFault('short_frame', `asked for ${request.count} ${request.function === 3 || request.function === 4 ? 'registers' : 'bits'} at 0x${request.address.toString(16)}, got ${got}`)));
    }
    const at = start + 9;
    this.events.onAnswer();
    if (request.function === 3 || request.function === 4) {
      const words = new Array<number>(request.count);
      for (let i = 0; i < request.count; i++) words[i] = data.readUInt16BE(at + 2 * i);
      pending.resolve({ kind: 'words', words });
    } else {
      const bits = new Array<boolean>(request.count);
      for (let i = 0; i < request.count; i++) bits[i] = ((data[at + (i >> 3)]! >> (i & 7)) & 1) === 1;
      pending.resolve({ kind: 'bits', bits });
    }
  }

  private framingLost(message: string): void {
    const pending = this.pending;
    this.pending = undefined;
    this.socket.destroy();
    this.open = false;
    if (pending) pending.reject(this.fail(new ModbusFault('short_frame', message)));
  }

  /** The connection is gone: a transaction in flight fails as a connection fault. */
  private closed(reason: string): void {
    this.open = false;
    this.clearTimer();
    this.input = EMPTY;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) pending.reject(this.fail(new ModbusFault('connection', reason)));
  }

  private fail(fault: ModbusFault): ModbusFault {
    this.events.onFault(fault);
    return fault;
  }
}
