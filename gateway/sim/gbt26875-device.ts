// A simulated user information transmission device (用户信息传输装置, GB/T 26875.3-2011) for the tests and
// the demo. Like a real one it is the TCP client: it connects to the gateway's listener, reconnects when
// the connection drops, uploads state changes with "send data" (2), waits for the confirm and retransmits
// when none comes (§6.5: 3 times), queues what happens while it is offline, sends an empty heartbeat, and
// answers the centre: confirms clock sync (90) and duty checks (91), responds to device-state reads (81).
import { connect, type Socket } from 'node:net';
import { PacketDecoder } from '../drivers/gbt26875/codec/decoder.js';
import { answerTo, COMMAND, encodeFrame, frameTimeOf, type ControlUnit, type Frame, type FrameTime } from '../drivers/gbt26875/codec/frame.js';
import { decodeAppUnit, encodeAppUnit, type ComponentRef, type OutgoingObject, type SystemRef } from '../drivers/gbt26875/codec/objects.js';

export interface Gbt26875DeviceOptions {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly centreAddress: string;
  readonly timeZone?: string;
  readonly ackTimeoutMs?: number;
  readonly maxRetries?: number;
  readonly heartbeatMs?: number;
  readonly reconnectMs?: number;
  /** 'auto': someone presses 查岗应答 after dutyAnswerDelayMs; 'never': the control room is empty. */
  readonly dutyAnswer?: 'auto' | 'never';
  readonly dutyAnswerDelayMs?: number;
}

export type SendOutcome = 'confirmed' | 'denied' | 'timeout';

interface Outgoing {
  readonly objects: readonly OutgoingObject[];
  readonly resolve: (outcome: SendOutcome) => void;
}

/** Component status words (§8.2.1.2): bit0 1 = normal running, bit1 fire, bit2 fault, bit3 disabled … */
export const COMPONENT_STATUS = { normal: 0x0001, fire: 0x0003, fault: 0x0005, disabled: 0x0009, supervisory: 0x0011 } as const;

export class Gbt26875DeviceSimulator {
  private socket: Socket | undefined;
  private running = false;
  private serial = 0;
  private readonly queue: Outgoing[] = [];
  private inFlight: { serial: number; wire: Buffer; attempt: number; timer: NodeJS.Timeout | undefined; item: Outgoing } | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Ignore the gateway's confirms (to show retransmission). */
  ignoreConfirms = false;
  /** Damage the next N uploads on the wire (the gateway must deny them; the device retransmits). */
  corruptNext = 0;
  deviceStatus = 0x01;
  readonly seen = { connects: 0, confirms: 0, denies: 0, retransmits: 0, heartbeatsConfirmed: 0, clockSyncs: [] as FrameTime[], dutyChecks: 0, reads: 0 };

  constructor(private readonly options: Gbt26875DeviceOptions) {}

  start(): void {
    this.running = true;
    this.open();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    const socket = this.socket;
    this.socket = undefined;
    if (socket && !socket.destroyed) await new Promise<void>((resolve) => socket.once('close', () => resolve()).destroy());
    for (const item of this.queue.splice(0)) item.resolve('timeout');
    this.inFlight?.item.resolve('timeout');
    this.inFlight = undefined;
  }

  connected(): boolean {
    return this.socket !== undefined && !this.socket.connecting && !this.socket.destroyed;
  }

  /** Breaks the connection without warning (cable pulled); the device reconnects after reconnectMs. */
  dropConnection(): void {
    this.socket?.destroy();
  }

  /** Raw bytes on the wire (line noise, a broken packet), for tests. */
  sendRaw(bytes: Buffer): void {
    this.socket?.write(bytes);
  }

  componentState(component: ComponentRef, status: number, description: string): Promise<SendOutcome> {
    return this.send([{ kind: 'component_state', component, status, description, time: this.now() }]);
  }

  systemState(system: SystemRef, status: number): Promise<SendOutcome> {
    return this.send([{ kind: 'system_state', system, status, time: this.now() }]);
  }

  deviceState(status: number): Promise<SendOutcome> {
    this.deviceStatus = status;
    return this.send([{ kind: 'device_state', status, time: this.now() }]);
  }

  operation(system: SystemRef, flags: number, operator = 1): Promise<SendOutcome> {
    return this.send([{ kind: 'operation', system, flags, operator, time: this.now() }]);
  }

  analogValue(component: ComponentRef, analogType: number, raw: number): Promise<SendOutcome> {
    return this.send([{ kind: 'analog_value', component, analogType, raw, time: this.now() }]);
  }

  /** Someone presses 查岗应答 on the device: type 24, bit 5. */
  answerDutyCheck(operator = 1): Promise<SendOutcome> {
    return this.send([{ kind: 'device_operation', flags: 0x20, operator, time: this.now() }]);
  }

  /** Queues one upload; sent one at a time, in order, whenever connected. */
  send(objects: readonly OutgoingObject[]): Promise<SendOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ objects, resolve });
      this.pump();
    });
  }

  private now(): FrameTime {
    return frameTimeOf(Date.now(), this.options.timeZone ?? 'Asia/Shanghai');
  }

  private control(serial: number, command: number): ControlUnit {
    return { serial, version: { major: 1, user: 1 }, time: this.now(), source: this.options.address, destination: this.options.centreAddress, command };
  }

  private open(): void {
    if (!this.running) return;
    const socket = connect({ host: this.options.host, port: this.options.port });
    this.socket = socket;
    const decoder = new PacketDecoder((event) => {
      if (event.kind === 'frame') this.onFrame(event.frame);
    });
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.seen.connects++;
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs ?? 20_000);
      this.heartbeat();
      // An upload that was in flight when the line dropped goes again on the new connection.
      if (this.inFlight) this.transmit();
      else this.pump();
    });
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('error', () => undefined); // 'close' follows; reconnecting is the answer to every error
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      clearInterval(this.heartbeatTimer);
      if (this.inFlight) clearTimeout(this.inFlight.timer);
      if (this.running) this.reconnectTimer = setTimeout(() => this.open(), this.options.reconnectMs ?? 500);
    });
  }

  private heartbeat(): void {
    if (!this.connected()) return;
    const serial = this.nextSerial();
    this.socket!.write(encodeFrame({ control: this.control(serial, COMMAND.send), appData: Buffer.alloc(0) }));
  }

  private nextSerial(): number {
    const serial = this.serial;
    this.serial = (this.serial + 1) & 0xffff;
    return serial;
  }

  private pump(): void {
    if (this.inFlight || !this.connected()) return;
    const item = this.queue.shift();
    if (!item) return;
    const serial = this.nextSerial();
    const wire = encodeFrame({ control: this.control(serial, COMMAND.send), appData: encodeAppUnit(item.objects) });
    this.inFlight = { serial, wire, attempt: 0, timer: undefined, item };
    this.transmit();
  }

  private transmit(): void {
    const flight = this.inFlight;
    if (!flight || !this.connected()) return;
    let wire = flight.wire;
    if (this.corruptNext > 0) {
      // Line noise: one bit of the application data flipped, so the sum no longer matches.
      this.corruptNext--;
      wire = Buffer.from(wire);
      wire[27] = wire[27]! ^ 0x10;
    }
    this.socket!.write(wire);
    clearTimeout(flight.timer);
    flight.timer = setTimeout(() => this.retransmitOrGiveUp('timeout'), this.options.ackTimeoutMs ?? 2000);
  }

  private retransmitOrGiveUp(outcome: SendOutcome): void {
    const flight = this.inFlight;
    if (!flight) return;
    if (flight.attempt >= (this.options.maxRetries ?? 3)) return this.finish(outcome);
    flight.attempt++;
    this.seen.retransmits++;
    this.transmit();
  }

  private finish(outcome: SendOutcome): void {
    const flight = this.inFlight;
    if (!flight) return;
    clearTimeout(flight.timer);
    this.inFlight = undefined;
    flight.item.resolve(outcome);
    this.pump();
  }

  private answer(control: ControlUnit, command: typeof COMMAND.confirm | typeof COMMAND.deny): void {
    this.socket?.write(encodeFrame(answerTo(control, command, this.now())));
  }

  private onFrame(frame: Frame): void {
    const { control } = frame;
    switch (control.command) {
      case COMMAND.confirm:
      case COMMAND.deny:
        if (this.inFlight?.serial === control.serial) {
          if (this.ignoreConfirms) return;
          if (control.command === COMMAND.confirm) {
            this.seen.confirms++;
            return this.finish('confirmed');
          }
          // "收到否认回答后，启动重发机制": a deny is retransmitted like a missing confirm.
          this.seen.denies++;
          return this.retransmitOrGiveUp('denied');
        }
        if (control.command === COMMAND.confirm) this.seen.heartbeatsConfirmed++;
        else this.seen.denies++;
        return;
      case COMMAND.control:
        return this.onControl(frame);
      case COMMAND.request:
        return this.onRequest(frame);
      default:
        this.answer(control, COMMAND.deny);
    }
  }

  private onControl(frame: Frame): void {
    const result = decodeAppUnit(frame.appData);
    const object = result.ok ? result.unit.objects[0] : undefined;
    if (object?.kind === 'sync_clock') {
      this.seen.clockSyncs.push(object.time);
      this.answer(frame.control, COMMAND.confirm);
      return;
    }
    if (object?.kind === 'duty_check') {
      this.seen.dutyChecks++;
      this.answer(frame.control, COMMAND.confirm);
      if ((this.options.dutyAnswer ?? 'auto') === 'auto') setTimeout(() => void this.answerDutyCheck(), this.options.dutyAnswerDelayMs ?? 200);
      return;
    }
    this.answer(frame.control, COMMAND.deny);
  }

  private onRequest(frame: Frame): void {
    const result = decodeAppUnit(frame.appData);
    const object = result.ok ? result.unit.objects[0] : undefined;
    if (object?.kind !== 'read_device_state') return this.answer(frame.control, COMMAND.deny);
    this.seen.reads++;
    const response: ControlUnit = { ...this.control(frame.control.serial, COMMAND.response) };
    this.socket?.write(encodeFrame({ control: response, appData: encodeAppUnit([{ kind: 'device_state', status: this.deviceStatus, time: this.now() }]) }));
  }
}
