// Message payloads (PROTOCOL.md §4): typed bodies ↔ frame payload bytes. Multi-byte integers are
// little-endian (what Cortex-M, ESP32 and AVR store natively). Decoding never throws: a payload that does
// not parse comes back as a reason the link turns into a NAK.
import type { Frame } from './frame.js';
import { PayloadError, Reader, Writer, type ValueType } from './payload-bytes.js';

export const PROTOCOL_MAJOR = 1;
export const PROTOCOL_MINOR = 0;

/** Bit 7 of the type byte: set on frames the gateway sends, clear on frames a node sends. */
export const FROM_GATEWAY = 0x80;

/** Message kinds (type byte bits 0–6). */
export const KIND_CODES = {
  hello: 0x01,
  hello_ack: 0x02,
  data: 0x10,
  event: 0x11,
  heartbeat: 0x12,
  time: 0x13,
  ack: 0x20,
  nak: 0x21,
} as const;
export type MessageKind = keyof typeof KIND_CODES;
const KIND_BY_CODE = new Map(Object.entries(KIND_CODES).map(([kind, code]) => [code as number, kind as MessageKind]));

/** Kinds that answer a frame (carry the answered seq) and are never acknowledged themselves. */
export const ANSWER_KINDS: ReadonlySet<MessageKind> = new Set(['hello_ack', 'ack', 'nak']);

export const CAPABILITY = { data: 1 << 0, events: 1 << 1, time: 1 << 2, battery: 1 << 3 } as const;

/** Heartbeat intervals travel in units of 100 ms (u16: 100 ms … 109 min). */
export const HEARTBEAT_UNIT_MS = 100;

export const VALUE_TYPES: Readonly<Record<ValueType, number>> = { bool: 0x01, i8: 0x02, u8: 0x03, i16: 0x04, u16: 0x05, i32: 0x06, u32: 0x07, f32: 0x08, str: 0x09 } as const;
export type { ValueType };
const VALUE_TYPE_BY_CODE = new Map(Object.entries(VALUE_TYPES).map(([name, code]) => [code as number, name as ValueType]));

/** Event codes (PROTOCOL.md §4.4); unknown codes are delivered as `code_<n>`. */
export const EVENT_CODES = {
  smoke: 1,
  heat: 2,
  water_leak: 3,
  tamper: 4,
  low_battery: 5,
  sensor_fault: 6,
  door_open: 7,
  test_button: 8,
} as const;
export type EventName = keyof typeof EVENT_CODES;
const EVENT_BY_CODE = new Map(Object.entries(EVENT_CODES).map(([name, code]) => [code as number, name]));
export function eventName(code: number): string {
  return EVENT_BY_CODE.get(code) ?? `code_${code}`;
}

export const NAK_REASONS = {
  unsupported_version: 1,
  unknown_type: 2,
  bad_payload: 3,
  hello_required: 4,
  unknown_node: 5,
} as const;
export type NakReason = keyof typeof NAK_REASONS;
const NAK_BY_CODE = new Map(Object.entries(NAK_REASONS).map(([name, code]) => [code as number, name as NakReason]));

export interface Version {
  readonly major: number;
  readonly minor: number;
}
export interface Hello {
  readonly protocol: Version;
  readonly firmware: { readonly major: number; readonly minor: number; readonly patch: number };
  /** CAPABILITY bits. */
  readonly capabilities: number;
  /** Heartbeat interval the node proposes. */
  readonly heartbeatMs: number;
  /** Model name, ASCII/UTF-8, at most 32 bytes. */
  readonly model: string;
}
export interface HelloAck {
  readonly protocol: Version;
  /** Heartbeat interval the gateway expects; the node uses this one. */
  readonly heartbeatMs: number;
}
export interface DataEntry {
  /** Point index on the node, 0–255; profiles name it as json path `data.<index>`. */
  readonly index: number;
  readonly type: ValueType;
  readonly value: boolean | number | string;
}
export interface DataMessage {
  readonly entries: readonly DataEntry[];
}
export interface EventMessage {
  readonly code: number;
  readonly active: boolean;
  /** Values measured at the event (e.g. obscuration), same encoding as DATA. */
  readonly entries: readonly DataEntry[];
}
export interface Heartbeat {
  readonly uptimeS: number;
  /** Battery voltage in mV; 0 = mains powered or not measured. */
  readonly batteryMv: number;
}
export interface TimeMessage {
  readonly unixMs: number;
}
export interface Nak {
  readonly reason: NakReason | `code_${number}`;
  readonly text: string;
}

/** The typed message map: kind → body. */
export interface MessageBodies {
  hello: Hello;
  hello_ack: HelloAck;
  data: DataMessage;
  event: EventMessage;
  heartbeat: Heartbeat;
  time: TimeMessage;
  ack: Record<string, never>;
  nak: Nak;
}
export type Message = { [K in MessageKind]: { readonly kind: K; readonly body: MessageBodies[K] } }[MessageKind];

export type DecodeResult =
  | { readonly ok: true; readonly message: Message; readonly fromGateway: boolean }
  | { readonly ok: false; readonly reason: 'unknown_type' | 'bad_payload' | 'unsupported_version'; readonly detail: string; readonly fromGateway: boolean };

function writeEntries(writer: Writer, entries: readonly DataEntry[]): void {
  for (const entry of entries) {
    writer.u8(entry.index).u8(VALUE_TYPES[entry.type]);
    const { type, value } = entry;
    if (type === 'str') {
      writer.str(String(value), 255);
      continue;
    }
    const number = typeof value === 'boolean' ? Number(value) : Number(value);
    const scratch = Buffer.alloc(4);
    switch (type) {
      case 'bool':
      case 'u8':
      case 'i8':
        writer.u8(number);
        break;
      case 'u16':
      case 'i16':
        writer.u16(number & 0xffff);
        break;
      case 'u32':
      case 'i32':
        scratch.writeUInt32LE(number >>> 0);
        writer.raw(scratch);
        break;
      case 'f32':
        scratch.writeFloatLE(number);
        writer.raw(scratch);
        break;
    }
  }
}

function readEntries(reader: Reader): DataEntry[] {
  const entries: DataEntry[] = [];
  while (reader.left > 0) {
    const index = reader.u8('point index');
    const code = reader.u8(`type of point ${index}`);
    const type = VALUE_TYPE_BY_CODE.get(code);
    if (type === undefined) throw new PayloadError(`point ${index} has unknown value type 0x${code.toString(16)}`);
    entries.push({ index, type, value: reader.value(type, `value of point ${index}`) });
  }
  return entries;
}

/** Cuts text to at most maxBytes of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  let out = text;
  while (Buffer.byteLength(out, 'utf8') > maxBytes) out = out.slice(0, -1);
  return out;
}

/** Payload bytes of a message; throws RangeError on bodies that cannot be encoded (caller bug). */
export function encodePayload(message: Message): Uint8Array {
  const w = new Writer();
  switch (message.kind) {
    case 'hello': {
      const b = message.body;
      w.u8(b.protocol.major).u8(b.protocol.minor).u8(b.firmware.major).u8(b.firmware.minor).u8(b.firmware.patch);
      w.u16(b.capabilities).u16(Math.round(b.heartbeatMs / HEARTBEAT_UNIT_MS)).str(b.model, 32);
      break;
    }
    case 'hello_ack':
      w.u8(message.body.protocol.major).u8(message.body.protocol.minor).u16(Math.round(message.body.heartbeatMs / HEARTBEAT_UNIT_MS));
      break;
    case 'data':
      writeEntries(w, message.body.entries);
      break;
    case 'event':
      w.u8(message.body.code).u8(message.body.active ? 1 : 0);
      writeEntries(w, message.body.entries);
      break;
    case 'heartbeat':
      w.u32(message.body.uptimeS).u16(message.body.batteryMv);
      break;
    case 'time':
      w.u32(Math.floor(message.body.unixMs / 1000)).u16(message.body.unixMs % 1000);
      break;
    case 'ack':
      break;
    case 'nak': {
      const reason = message.body.reason;
      const code = reason.startsWith('code_') ? Number(reason.slice(5)) : NAK_REASONS[reason as NakReason];
      w.u8(code).str(truncateUtf8(message.body.text, 200), 200);
      break;
    }
  }
  return w.done();
}

/** The frame for a message: type byte = kind code, with FROM_GATEWAY set when the gateway sends it. */
export function encodeMessageFrame(message: Message, options: { seq: number; node: number; fromGateway: boolean }): Frame {
  const type = KIND_CODES[message.kind] | (options.fromGateway ? FROM_GATEWAY : 0);
  return { type, seq: options.seq, node: options.node, payload: encodePayload(message) };
}

function decodeBody(kind: MessageKind, reader: Reader): Message {
  switch (kind) {
    case 'hello': {
      const protocol = { major: reader.u8('protocol major'), minor: reader.u8('protocol minor') };
      const firmware = { major: reader.u8('firmware major'), minor: reader.u8('firmware minor'), patch: reader.u8('firmware patch') };
      const capabilities = reader.u16('capabilities');
      const heartbeatMs = reader.u16('heartbeat') * HEARTBEAT_UNIT_MS;
      // Later minor versions append fields: whatever follows the model is ignored.
      return { kind, body: { protocol, firmware, capabilities, heartbeatMs, model: reader.str('model') } };
    }
    case 'hello_ack':
      return { kind, body: { protocol: { major: reader.u8('protocol major'), minor: reader.u8('protocol minor') }, heartbeatMs: reader.u16('heartbeat') * HEARTBEAT_UNIT_MS } };
    case 'data':
      return { kind, body: { entries: readEntries(reader) } };
    case 'event': {
      const code = reader.u8('event code');
      const active = reader.u8('event state');
      if (active > 1) throw new PayloadError(`event state ${active} is neither 0 (cleared) nor 1 (active)`);
      return { kind, body: { code, active: active === 1, entries: readEntries(reader) } };
    }
    case 'heartbeat':
      return { kind, body: { uptimeS: reader.u32('uptime'), batteryMv: reader.u16('battery') } };
    case 'time': {
      const seconds = reader.u32('unix seconds');
      const ms = reader.u16('milliseconds');
      if (ms > 999) throw new PayloadError(`time milliseconds ${ms} > 999`);
      return { kind, body: { unixMs: seconds * 1000 + ms } };
    }
    case 'ack':
      return { kind, body: {} };
    case 'nak': {
      const code = reader.u8('reason');
      return { kind, body: { reason: NAK_BY_CODE.get(code) ?? `code_${code}`, text: reader.left > 0 ? reader.str('text') : '' } };
    }
  }
}

/** Decodes a frame's message; never throws. */
export function decodeMessage(frame: Frame): DecodeResult {
  const fromGateway = (frame.type & FROM_GATEWAY) !== 0;
  const kind = KIND_BY_CODE.get(frame.type & ~FROM_GATEWAY);
  if (kind === undefined) return { ok: false, reason: 'unknown_type', detail: `unknown frame type 0x${frame.type.toString(16).padStart(2, '0')}`, fromGateway };
  const reader = new Reader(frame.payload);
  if (kind === 'hello' && frame.payload.length >= 1 && frame.payload[0] !== PROTOCOL_MAJOR) {
    // The first two HELLO bytes are fixed for every major version, so a foreign major is still recognised.
    const minor = frame.payload[1];
    return { ok: false, reason: 'unsupported_version', detail: `node speaks protocol ${frame.payload[0]}.${minor ?? '?'}, this gateway speaks ${PROTOCOL_MAJOR}.x`, fromGateway };
  }
  try {
    return { ok: true, message: decodeBody(kind, reader), fromGateway };
  } catch (error) {
    if (error instanceof PayloadError) return { ok: false, reason: 'bad_payload', detail: `${kind}: ${error.message}`, fromGateway };
    throw error;
  }
}
