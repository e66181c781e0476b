// A bus of DL/T 645-2007 meters (one building's household meters on their own RS-485 line), for tests and
// the demo. It speaks the protocol on any byte stream: the far end of a socat pty pair, or a TCP
// listener standing in for a transparent serial server. Values come from a scenario (as the Modbus
// simulator's do) and are encoded exactly as the profile decodes them. What a real line does wrong can be
// switched on per meter: silence (a dead meter), error replies (0xD1) for a DI, answers split into
// follow-up frames; several meters answering the wildcard at once collide into garbage, as on RS-485.
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import type { Profile } from '../../config/profile.js';
import { CONTROL, BROADCAST_ADDRESS, decodeDi, encodeAddress, encodeFrame, functionOf, WILDCARD_ADDRESS, type Frame } from '../drivers/dlt645/frame.js';
import { FrameReceiver } from '../drivers/dlt645/receiver.js';
import { encodeItem } from '../drivers/dlt645/values.js';
import type { Scenario } from './modbus-simulator.js';

export interface SimulatedMeter {
  /** The 12-digit address. */
  readonly address: string;
  readonly profile: Profile;
  readonly scenario: Scenario;
}

export interface MeterTimeSync {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

interface MeterState {
  readonly meter: SimulatedMeter;
  silent: boolean;
  /** DI → error byte to answer with (0xD1). */
  readonly refused: Map<string, number>;
  readonly overrides: Map<string, number>;
  /** Split answers into follow-up frames carrying at most this many value bytes. */
  maxValueBytes: number | undefined;
  /** DI → the remaining value bytes of a split answer, by the next sequence number expected. */
  readonly pendingFollowUps: Map<string, { next: number; rest: Buffer }>;
  requests: number;
  followUps: number;
}

const bcdByte = (byte: number) => (byte >> 4) * 10 + (byte & 0x0f);

export class Dlt645MeterSimulator {
  private readonly meters = new Map<string, MeterState>();
  private readonly streams = new Set<Duplex>();
  private server: Server | undefined;
  private readonly startedAt = performance.now();
  /** Time-sync broadcasts received, decoded. */
  readonly timeSyncs: MeterTimeSync[] = [];
  /** Frames on the line that no meter could use (bad checksum, garbage), as a meter's UART would drop them. */
  badFrames = 0;

  constructor(
    meters: readonly SimulatedMeter[],
    private readonly options: { preamble?: number; latencyMs?: number } = {},
  ) {
    for (const meter of meters) {
      this.meters.set(meter.address, { meter, silent: false, refused: new Map(), overrides: new Map(), maxValueBytes: undefined, pendingFollowUps: new Map(), requests: 0, followUps: 0 });
    }
  }

  /** Serves the meters on the far end of a serial port (a pty from socat in tests). */
  async openSerial(path: string): Promise<void> {
    const port = await new Promise<SerialPort>((resolve, reject) => {
      const p = new SerialPort({ path, baudRate: 2400, parity: 'even', autoOpen: false });
      p.open((error) => (error ? reject(error) : resolve(p)));
    });
    this.attach(port);
  }

  /** Serves the meters behind a TCP listener (a transparent serial server). Resolves with the port. */
  async listenTcp(host: string, port: number): Promise<number> {
    this.server = createServer((socket: Socket) => this.attach(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  /** Serves the meters on a byte stream. */
  attach(stream: Duplex): void {
    this.streams.add(stream);
    const receiver = new FrameReceiver({ frame: (frame) => this.onFrame(stream, frame), bad: () => this.badFrames++ });
    stream.on('data', (chunk: Buffer) => receiver.push(chunk));
    stream.on('error', () => stream.destroy());
    stream.once('close', () => this.streams.delete(stream));
  }

  private state(address: string): MeterState {
    const state = this.meters.get(address);
    if (!state) throw new Error(`no simulated meter ${address}`);
    return state;
  }

  /** A dead meter: it hears but never answers. */
  setSilent(address: string, silent: boolean): void {
    this.state(address).silent = silent;
  }

  /** Answers reads of `di` with an error reply carrying `errorCode` (undefined: answer normally again). */
  refuse(address: string, di: string, errorCode: number | undefined): void {
    const refused = this.state(address).refused;
    if (errorCode === undefined) refused.delete(di);
    else refused.set(di, errorCode);
  }

  /** Pins a point to a value (in the profile's unit) until cleared with undefined. */
  set(address: string, pointId: string, value: number | undefined): void {
    const overrides = this.state(address).overrides;
    if (value === undefined) overrides.delete(pointId);
    else overrides.set(pointId, value);
  }

  /** Splits answers whose value is longer than `bytes` into follow-up frames (0x12); undefined: never. */
  splitAnswers(address: string, bytes: number | undefined): void {
    this.state(address).maxValueBytes = bytes;
  }

  /** Requests addressed to this meter (0x11 and 0x12), answered or not. */
  requestsTo(address: string): number {
    return this.state(address).requests;
  }

  /** Follow-up requests (0x12) this meter received. */
  followUpsTo(address: string): number {
    return this.state(address).followUps;
  }

  private valueBytes(state: MeterState, di: string): Buffer | undefined {
    const points = state.meter.profile.points.filter((p) => p.dlt645?.di === di);
    if (points.length === 0) return undefined;
    const point = points[0]!;
    const def = point.dlt645!;
    const scale = point.scale ?? state.meter.profile.defaults.scale ?? 1;
    const scenario = state.meter.scenario((performance.now() - this.startedAt) / 1000);
    const value = state.overrides.get(point.id) ?? Number(scenario[point.id] ?? 0);
    return encodeItem(Math.round(value / scale), { format: def.format, signed: def.signed, binary: def.binary });
  }

  private onFrame(stream: Duplex, frame: Frame): void {
    if ((frame.control & CONTROL.response) !== 0) return; // another meter's answer, or our own echo
    const fn = functionOf(frame.control);
    if (fn === CONTROL.broadcastTime && frame.address === BROADCAST_ADDRESS && frame.data.length === 6) {
      const [second, minute, hour, day, month, year] = [...frame.data].map(bcdByte) as [number, number, number, number, number, number];
      this.timeSyncs.push({ year: 2000 + year, month, day, hour, minute, second });
      return;
    }
    const targets = frame.address === WILDCARD_ADDRESS ? [...this.meters.values()] : [this.meters.get(frame.address)].filter((s): s is MeterState => s !== undefined);
    const answers: Buffer[] = [];
    for (const state of targets) {
      if (fn === CONTROL.readData || fn === CONTROL.readFollowUp) state.requests++;
      if (fn === CONTROL.readFollowUp) state.followUps++;
      if (state.silent) continue;
      const answer = this.answer(state, fn, frame.data);
      if (answer) answers.push(encodeFrame(answer, this.options.preamble ?? 2));
    }
    if (answers.length === 0) return;
    // Two meters driving the line at once: what the master hears is neither answer (RS-485 collision).
    const bytes = answers.length === 1 ? answers[0]! : collide(answers);
    setTimeout(() => {
      if (!stream.destroyed) stream.write(bytes);
    }, this.options.latencyMs ?? 5);
  }

  private answer(state: MeterState, fn: number, data: Buffer): Frame | undefined {
    const address = state.meter.address;
    if (fn === CONTROL.readAddress) return { address, control: CONTROL.response | CONTROL.readAddress, data: encodeAddress(address) };
    if (fn !== CONTROL.readData && fn !== CONTROL.readFollowUp) return undefined;
    if (data.length < 4) return undefined;
    const di = decodeDi(data);
    const errorCode = state.refused.get(di);
    const noData = () => ({ address, control: CONTROL.response | CONTROL.error | fn, data: Buffer.of(errorCode ?? 0x02) });
    if (errorCode !== undefined) return noData();
    const diBytes = data.subarray(0, 4);
    if (fn === CONTROL.readFollowUp) {
      const pending = state.pendingFollowUps.get(di);
      if (!pending || data[4] !== pending.next) return noData();
      return this.part(state, di, diBytes, pending.rest, pending.next, fn);
    }
    const value = this.valueBytes(state, di);
    if (value === undefined) return noData();
    return this.part(state, di, diBytes, value, 0, fn);
  }

  /** One frame of an answer: all of it, or the first `maxValueBytes` with the follow-up bit set. */
  private part(state: MeterState, di: string, diBytes: Buffer, value: Buffer, seq: number, fn: number): Frame {
    const max = state.maxValueBytes ?? value.length;
    const chunk = value.subarray(0, max);
    const rest = value.subarray(chunk.length);
    if (rest.length > 0) state.pendingFollowUps.set(di, { next: seq + 1, rest });
    else state.pendingFollowUps.delete(di);
    const control = CONTROL.response | fn | (rest.length > 0 ? CONTROL.followUp : 0);
    // A follow-up answer carries its sequence number after the data.
    const data = fn === CONTROL.readFollowUp ? Buffer.concat([diBytes, chunk, Buffer.of(seq)]) : Buffer.concat([diBytes, chunk]);
    return { address: state.meter.address, control, data };
  }

  async stop(): Promise<void> {
    for (const stream of this.streams) {
      if (stream instanceof SerialPort && stream.isOpen) await new Promise<void>((resolve) => stream.close(() => resolve()));
      else stream.destroy();
    }
    this.streams.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Bytes of simultaneous answers as the line delivers them: a wired-AND, i.e. garbage with bad checksums. */
function collide(answers: readonly Buffer[]): Buffer {
  const length = Math.max(...answers.map((a) => a.length));
  const out = Buffer.alloc(length, 0xff);
  for (const answer of answers) for (let i = 0; i < length; i++) out[i]! &= answer[i] ?? 0xff;
  return out;
}
