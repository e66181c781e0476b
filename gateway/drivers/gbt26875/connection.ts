// One TCP connection from a transmission device, the monitoring-centre end (§6 "通信方式"):
//  - the device's "send data" (2) is checked and answered: confirm (3) when it is sound, deny (6) when the
//    sum, the command or the application data length is wrong ("校验错误"), as the standard says;
//  - an empty "send data" is the device's heartbeat and is confirmed;
//  - the gateway's own control commands (1: clock sync, duty check) and requests (4) carry the gateway's
//    serial numbers, wait for the confirm / response with the same serial, and are retransmitted.
// A device retransmitting a packet it did not see confirmed gets the confirm again; its content is not
// handed on twice. Nothing a peer sends can throw out of here: every problem is an issue with an offset.
import type { Socket } from 'node:net';
import type { Clock } from '../../pipeline/types.js';
import { PacketDecoder, type DecoderEvent } from './codec/decoder.js';
import { answerTo, COMMAND, encodeFrame, frameTimeOf, HEADER_BYTES, type ControlUnit, type Frame } from './codec/frame.js';
import { decodeAppUnit, encodeAppUnit, type AppUnit, type OutgoingObject } from './codec/objects.js';
import type { Gbt26875Timing } from './options.js';

export type LinkIssue =
  | { readonly kind: 'dropped'; readonly offset: number; readonly count: number }
  | { readonly kind: 'bad_checksum'; readonly offset: number; readonly serial: number; readonly received: number; readonly computed: number }
  | { readonly kind: 'bad_length'; readonly offset: number; readonly declared: number }
  | { readonly kind: 'bad_unit'; readonly offset: number; readonly reason: string; readonly detail: string; readonly serial: number }
  | { readonly kind: 'bad_description'; readonly offset: number; readonly component: string; readonly hex: string }
  | { readonly kind: 'unknown_type'; readonly offset: number; readonly type: number }
  | { readonly kind: 'unknown_command'; readonly offset: number; readonly command: number }
  | { readonly kind: 'wrong_address'; readonly offset: number; readonly address: string }
  | { readonly kind: 'duplicate'; readonly serial: number }
  | { readonly kind: 'retransmit'; readonly serial: number; readonly attempt: number }
  | { readonly kind: 'unanswered_response'; readonly serial: number };

export interface ConnectionHandlers {
  /** A sound application data unit the device sent (command 2) or returned (5); offset of its packet. */
  unit(unit: AppUnit, control: ControlUnit, offset: number): void;
  /** Any sound packet from the device: it is alive and talking (heartbeats included). */
  heard(control: ControlUnit): void;
  issue(issue: LinkIssue): void;
}

export type CommandOutcome = { readonly kind: 'confirmed' } | { readonly kind: 'response'; readonly unit: AppUnit } | { readonly kind: 'denied' | 'timeout' | 'closed' };

interface Pending {
  readonly serial: number;
  readonly wire: Buffer;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  readonly resolve: (outcome: CommandOutcome) => void;
}

export interface ConnectionSettings {
  readonly timing: Gbt26875Timing;
  readonly clock: Clock;
  readonly timeZone: string;
  readonly centreAddress: string;
  /** Configured device address; undefined accepts the first one heard. */
  readonly deviceAddress: string | undefined;
}

/** How many of the device's recent serials are remembered to spot retransmissions. */
const RECENT_SERIALS = 64;

export class DeviceConnection {
  private readonly decoder: PacketDecoder;
  private readonly pending = new Map<number, Pending>();
  private readonly recent: number[] = [];
  private nextSerial = 0;
  private partialTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The device address, configured or learnt from its first sound packet. */
  address: string | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly settings: ConnectionSettings,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.address = settings.deviceAddress;
    this.decoder = new PacketDecoder((event) => this.onDecoderEvent(event));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.once('close', () => this.onClose());
  }

  /** Sends a control command (1) or request (4); resolves when answered, denied, given up or closed. */
  command(command: typeof COMMAND.control | typeof COMMAND.request, objects: readonly OutgoingObject[]): Promise<CommandOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'closed' });
    const serial = this.nextSerial;
    this.nextSerial = (this.nextSerial + 1) & 0xffff;
    const wire = encodeFrame({ control: this.ourControl(serial, command), appData: encodeAppUnit(objects) });
    return new Promise((resolve) => {
      const pending: Pending = { serial, wire, attempt: 0, timer: undefined, resolve };
      this.pending.set(serial, pending);
      this.transmit(pending);
    });
  }

  /** Closes the socket; pending commands resolve as closed. */
  close(): void {
    this.socket.destroy();
    this.onClose();
  }

  private ourControl(serial: number, command: number): ControlUnit {
    return {
      serial,
      version: { major: 1, user: 1 },
      time: frameTimeOf(this.settings.clock.now(), this.settings.timeZone),
      source: this.settings.centreAddress,
      destination: this.address ?? '000000000000',
      command,
    };
  }

  private transmit(pending: Pending): void {
    if (this.closed) return;
    this.write(pending.wire);
    pending.timer = setTimeout(() => {
      if (pending.attempt >= this.settings.timing.maxRetries) return this.settle(pending.serial, { kind: 'timeout' });
      pending.attempt++;
      this.handlers.issue({ kind: 'retransmit', serial: pending.serial, attempt: pending.attempt });
      this.transmit(pending);
    }, this.settings.timing.ackTimeoutMs);
  }

  private settle(serial: number, outcome: CommandOutcome): boolean {
    const pending = this.pending.get(serial);
    if (!pending) return false;
    clearTimeout(pending.timer);
    this.pending.delete(serial);
    pending.resolve(outcome);
    return true;
  }

  private write(wire: Buffer): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(wire);
  }

  private answer(control: ControlUnit, command: typeof COMMAND.confirm | typeof COMMAND.deny): void {
    const time = frameTimeOf(this.settings.clock.now(), this.settings.timeZone);
    this.write(encodeFrame(answerTo(control, command, time)));
  }

  private onData(chunk: Buffer): void {
    this.decoder.push(chunk);
    clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
    if (this.decoder.buffered > 0) this.armPartialTimer();
  }

  /** A false "@@" claiming 1000 bytes on a quiet link must not hold the next fire alarm back. */
  private armPartialTimer(): void {
    this.partialTimer = setTimeout(() => {
      this.partialTimer = undefined;
      if (this.closed) return;
      this.decoder.flushPartial();
      if (this.decoder.buffered > 0) this.armPartialTimer();
    }, this.settings.timing.partialFrameTimeoutMs);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.partialTimer);
    for (const serial of [...this.pending.keys()]) this.settle(serial, { kind: 'closed' });
  }

  private onDecoderEvent(event: DecoderEvent): void {
    switch (event.kind) {
      case 'dropped':
        this.handlers.issue({ kind: 'dropped', offset: event.offset, count: event.count });
        return;
      case 'bad_length':
        this.handlers.issue({ kind: 'bad_length', offset: event.offset, declared: event.declared });
        return;
      case 'bad_checksum': {
        this.handlers.issue({ kind: 'bad_checksum', offset: event.offset, serial: event.serial, received: event.received, computed: event.computed });
        // "校验错误的情况下…舍弃所接收数据并发出否认回答": deny, with the serial as received. Only packets a
        // device initiates are denied; a damaged answer to us is left to our retransmission.
        if (event.command === COMMAND.send) this.denyDamaged(event.serial);
        return;
      }
      case 'frame':
        this.onFrame(event.frame, event.offset);
        return;
    }
  }

  private denyDamaged(serial: number): void {
    const time = frameTimeOf(this.settings.clock.now(), this.settings.timeZone);
    const control: ControlUnit = { serial, version: { major: 1, user: 1 }, time, source: this.address ?? '000000000000', destination: this.settings.centreAddress, command: COMMAND.send };
    this.answer(control, COMMAND.deny);
  }

  private onFrame(frame: Frame, offset: number): void {
    const { control } = frame;
    if (this.address !== undefined && control.source !== this.address) {
      this.handlers.issue({ kind: 'wrong_address', offset, address: control.source });
      if (control.command === COMMAND.send) this.answer(control, COMMAND.deny);
      return;
    }
    this.address ??= control.source;
    switch (control.command) {
      case COMMAND.send:
        this.handlers.heard(control);
        this.onSend(frame, offset);
        return;
      case COMMAND.confirm:
        this.handlers.heard(control);
        this.settle(control.serial, { kind: 'confirmed' });
        return;
      case COMMAND.deny:
        this.handlers.heard(control);
        this.settle(control.serial, { kind: 'denied' });
        return;
      case COMMAND.response: {
        this.handlers.heard(control);
        const result = decodeAppUnit(frame.appData);
        if (!result.ok) {
          this.handlers.issue({ kind: 'bad_unit', offset: offset + HEADER_BYTES + result.offset, reason: result.reason, detail: result.detail, serial: control.serial });
          this.settle(control.serial, { kind: 'denied' });
          return;
        }
        if (!this.settle(control.serial, { kind: 'response', unit: result.unit })) this.handlers.issue({ kind: 'unanswered_response', serial: control.serial });
        this.handlers.unit(result.unit, control, offset);
        return;
      }
      default:
        // Control (1) and request (4) go centre → device; 0 and 7–255 are reserved or vendor-defined.
        // "不可识别的命令字节" is a check error: deny.
        this.handlers.issue({ kind: 'unknown_command', offset, command: control.command });
        this.answer(control, COMMAND.deny);
    }
  }

  private onSend(frame: Frame, offset: number): void {
    const { control } = frame;
    if (frame.appData.length === 0) {
      this.answer(control, COMMAND.confirm); // heartbeat
      return;
    }
    if (this.recent.includes(control.serial)) {
      this.handlers.issue({ kind: 'duplicate', serial: control.serial });
      this.answer(control, COMMAND.confirm);
      return;
    }
    const result = decodeAppUnit(frame.appData);
    if (!result.ok && result.reason !== 'unknown_type') {
      this.handlers.issue({ kind: 'bad_unit', offset: offset + HEADER_BYTES + result.offset, reason: result.reason, detail: result.detail, serial: control.serial });
      this.answer(control, COMMAND.deny);
      return;
    }
    this.recent.push(control.serial);
    if (this.recent.length > RECENT_SERIALS) this.recent.shift();
    if (!result.ok) {
      // A sound packet of a type we do not read (software version, configuration, vendor types): confirmed.
      this.handlers.issue({ kind: 'unknown_type', offset: offset + HEADER_BYTES, type: result.type ?? -1 });
      this.answer(control, COMMAND.confirm);
      return;
    }
    // Fire first: the unit reaches the bus (and the sirens) before the confirm is written.
    this.handlers.unit(result.unit, control, offset);
    this.answer(control, COMMAND.confirm);
  }
}
