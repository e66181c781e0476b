// One DL/T 645 line (a serial port, or a transparent RS-485↔TCP serial server), one transaction at a time.
// Failures carry their decision, as ModbusFault does: a meter that said "error" (0xD1) is there and
// other items may still read; silence or an answer that stopped short cost a whole timeout, so the
// poller moves on to the next meter; a garbled answer that came back at once is worth one retry.
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import type { Dlt645Bus } from '../../../config/sections/dlt645.js';
import type { SourceFaultKind } from '../../pipeline/types.js';
import { CONTROL, decodeDi, encodeFrame, errorText, functionOf, readDataRequest, readFollowUpRequest, WILDCARD_ADDRESS, type Frame } from './frame.js';
import { FrameReceiver, type BadFrame } from './receiver.js';

export class Dlt645Fault extends Error {
  override readonly name = 'Dlt645Fault';
  constructor(
    readonly kind: SourceFaultKind,
    message: string,
    /** The error byte of a 0xD1 reply. */
    readonly errorCode?: number,
    /** True when finding this out took a whole response timeout. */
    readonly waitedForTimeout = kind === 'timeout',
  ) {
    super(message);
  }

  /** A garbled answer that came back at once: the meter is there, one immediate retry is cheap. */
  get worthRetry(): boolean {
    return (this.kind === 'crc' || this.kind === 'short_frame') && !this.waitedForTimeout;
  }

  /** The meter (or its line) did not answer usefully: more requests to it this cycle would only cost timeouts. */
  get meterSilent(): boolean {
    return this.kind !== 'exception' && this.kind !== 'decode';
  }
}

/** Opens the bus's byte stream; resolves once open or rejects with the OS error. */
export type LineOpener = (bus: Dlt645Bus) => Promise<Duplex>;

export const openLine: LineOpener = (bus) =>
  new Promise((resolve, reject) => {
    if (bus.host !== undefined) {
      const socket = connect({ host: bus.host, port: bus.tcpPort! });
      // An unreachable serial server would otherwise hold the bus for the OS's SYN timeout (minutes).
      const limitMs = Math.max(bus.timeout, 3000);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no TCP connection within ${limitMs} ms`));
      }, limitMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        resolve(socket);
      });
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      socket.once('error', fail);
      return;
    }
    const port = new SerialPort({ path: bus.port!, baudRate: bus.baud, parity: bus.parity, dataBits: bus.dataBits, stopBits: bus.stopBits, autoOpen: false });
    port.open((error) => (error ? reject(error) : resolve(port)));
  });

/** Follow-up frames one item may take before the answer is treated as broken (a block read is a few frames). */
const MAX_FOLLOW_UPS = 15;

interface Waiting {
  readonly address: string;
  readonly fn: number;
  resolve(frame: Frame): void;
  reject(fault: Dlt645Fault): void;
}

export class Dlt645Transport {
  private stream: Duplex | undefined;
  private opening: Promise<Duplex> | undefined;
  private waiting: Waiting | undefined;
  private busy: Promise<unknown> = Promise.resolve();
  private readonly receiver: FrameReceiver;
  readonly timeoutMs: number;
  /** Bytes that belonged to no answer, frames for someone else, bad frames: drained by the poller into Stats. */
  readonly counts = { garbageBytes: 0, badFrames: 0, strayFrames: 0 };
  /** The most recent bad frames (offset and reason), for logs and the installer tools. */
  readonly recentBad: BadFrame[] = [];

  constructor(
    readonly bus: Dlt645Bus,
    private readonly openStream: LineOpener = openLine,
    private readonly onLineError: (error: Error) => void = () => undefined,
  ) {
    this.timeoutMs = bus.timeout;
    this.receiver = new FrameReceiver({
      frame: (frame) => this.onFrame(frame),
      bad: (bad) => {
        this.counts.badFrames++;
        this.recentBad.push(bad);
        if (this.recentBad.length > 8) this.recentBad.shift();
        this.waiting?.reject(new Dlt645Fault('crc', `bad frame at byte ${bad.offset}: ${bad.detail}`));
        this.waiting = undefined;
      },
    });
  }

  describe(): string {
    return this.bus.host !== undefined ? `tcp://${this.bus.host}:${this.bus.tcpPort}` : `${this.bus.port} ${this.bus.baud} ${this.bus.parity} ${this.bus.stopBits}`;
  }

  private onFrame(frame: Frame): void {
    const waiting = this.waiting;
    const ours =
      waiting !== undefined &&
      (frame.control & CONTROL.response) !== 0 &&
      functionOf(frame.control) === waiting.fn &&
      (waiting.address === WILDCARD_ADDRESS || frame.address === waiting.address);
    if (!ours) {
      // An echo of our own request (some adapters echo), a late answer, another master's traffic.
      this.counts.strayFrames++;
      return;
    }
    this.waiting = undefined;
    waiting.resolve(frame);
  }

  private async open(): Promise<Duplex> {
    if (this.stream && !this.stream.destroyed) return this.stream;
    this.opening ??= (async () => {
      let stream: Duplex;
      try {
        stream = await this.openStream(this.bus);
      } catch (error) {
        throw new Dlt645Fault('connection', `cannot open ${this.describe()}: ${(error as Error).message}`);
      }
      stream.on('data', (chunk: Buffer) => this.receiver.push(chunk));
      stream.on('error', (error: Error) => {
        this.drop();
        this.onLineError(error);
      });
      stream.once('close', () => {
        if (this.stream === stream) this.stream = undefined;
        this.waiting?.reject(new Dlt645Fault('connection', `${this.describe()} closed`));
        this.waiting = undefined;
      });
      this.stream = stream;
      return stream;
    })().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** One request and its answer: waits at most `timeoutMs` for a reply from `frame.address` to this function. */
  async transact(frame: Frame, timeoutMs = this.timeoutMs): Promise<Frame> {
    return this.exclusive(() => this.transactNow(frame, timeoutMs));
  }

  /** A broadcast nobody answers (time sync): written, then the line is left quiet for a moment. */
  async broadcast(frame: Frame): Promise<void> {
    return this.exclusive(async () => {
      const stream = await this.open();
      await write(stream, encodeFrame(frame));
    });
  }

  /**
   * Reads one data item (0x11), following the meter's follow-up frames (0x12, sequence 1, 2, …) when it
   * sets the follow-up bit. Returns the item's bytes after the DI. Throws a Dlt645Fault.
   */
  async readItem(address: string, di: string, timeoutMs = this.timeoutMs): Promise<Buffer> {
    return this.exclusive(async () => {
      let reply = checkReply(await this.transactNow(readDataRequest(address, di), timeoutMs), address, di);
      const parts = [reply.data.subarray(4)];
      for (let seq = 1; (reply.control & CONTROL.followUp) !== 0; seq++) {
        if (seq > MAX_FOLLOW_UPS) throw new Dlt645Fault('short_frame', `meter ${address} DI ${di}: more than ${MAX_FOLLOW_UPS} follow-up frames`);
        reply = checkReply(await this.transactNow(readFollowUpRequest(address, di, seq), timeoutMs), address, di);
        // A follow-up answer is DI + data + its sequence number.
        parts.push(reply.data.subarray(4, Math.max(4, reply.data.length - 1)));
      }
      return Buffer.concat(parts);
    });
  }

  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.busy.then(work, work);
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async transactNow(frame: Frame, timeoutMs: number): Promise<Frame> {
    const stream = await this.open();
    // No transaction ids in DL/T 645: a late half-answer left in the receiver must not join this one.
    this.counts.garbageBytes += this.receiver.reset();
    const answer = new Promise<Frame>((resolve, reject) => {
      this.waiting = { address: frame.address, fn: functionOf(frame.control), resolve, reject };
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.waiting = undefined;
        const pending = this.receiver.pending;
        reject(
          pending > 0
            ? new Dlt645Fault('short_frame', `${pending} byte(s) arrived but no complete answer within ${timeoutMs} ms`, undefined, true)
            : new Dlt645Fault('timeout', `no answer within ${timeoutMs} ms`),
        );
      }, timeoutMs);
    });
    try {
      await write(stream, encodeFrame(frame));
      return await Promise.race([answer, timedOut]);
    } catch (error) {
      if (error instanceof Dlt645Fault) throw error;
      this.drop();
      throw new Dlt645Fault('connection', `${this.describe()}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
      this.waiting = undefined;
    }
  }

  /** Forgets a broken line; the next transaction reopens it. */
  drop(): void {
    const stream = this.stream;
    this.stream = undefined;
    if (stream && !stream.destroyed) stream.destroy();
  }

  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    const stream = this.stream;
    this.stream = undefined;
    if (!stream || stream.destroyed) return;
    await new Promise<void>((resolve) => {
      stream.once('close', () => resolve());
      if (stream instanceof SerialPort) stream.close(() => resolve());
      else stream.destroy();
    });
  }
}

function write(stream: Duplex, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => stream.write(bytes, (error) => (error ? reject(error) : resolve())));
}

/** An error reply becomes a fault with the meter and its error byte; a reply about another DI is garbled. */
function checkReply(reply: Frame, address: string, di: string): Frame {
  if ((reply.control & CONTROL.error) !== 0) {
    const code = reply.data[0] ?? 0;
    throw new Dlt645Fault('exception', `meter ${address} refused DI ${di}: error ${errorText(code)}`, code);
  }
  if (reply.data.length < 4) throw new Dlt645Fault('short_frame', `meter ${address} DI ${di}: answer of ${reply.data.length} byte(s) has no DI`);
  const got = decodeDi(reply.data);
  if (got !== di) throw new Dlt645Fault('short_frame', `meter ${address}: asked for DI ${di}, the answer is about DI ${got}`);
  return reply;
}
