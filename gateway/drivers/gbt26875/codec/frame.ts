// GB/T 26875.3-2011 packets (§6 of the standard, transcribed in ../README.md "Sources"):
//   '@@' | control unit (25 bytes) | application data unit (0–1024 bytes) | 8-bit sum | '##'
// Control unit: serial no. 2 (LE) · version 2 (major, user) · time 6 (s m h D M Y) · source address 6 (LE)
// · destination address 6 (LE) · application data length 2 (LE) · command 1. The sum covers the control
// unit and the application data (bytes 3 … end of data), carries above 8 bits dropped. Pure; never throws
// on what a peer sends (decoding lives in decoder.ts and objects.ts), only on what our own code builds.

export const START = 0x40; // '@'
export const END = 0x23; // '#'
export const CONTROL_UNIT_BYTES = 25;
/** Start marker + control unit: the application data begins here. */
export const HEADER_BYTES = 2 + CONTROL_UNIT_BYTES;
/** Start, control unit, sum and end markers: a packet with empty application data (a confirm). */
export const FRAME_OVERHEAD = HEADER_BYTES + 1 + 2;
/** "长度不应大于1024" (§6, application data unit length). */
export const MAX_APP_DATA = 1024;
export const MAX_FRAME = FRAME_OVERHEAD + MAX_APP_DATA;
/** Offset of the application-data length inside a packet (after '@@' and 22 control-unit bytes). */
export const LENGTH_AT = 2 + 22;

/** Command byte of the control unit (§6 table): 7–127 reserved, 128–255 user defined. */
export const COMMAND = {
  control: 1,
  send: 2,
  confirm: 3,
  request: 4,
  response: 5,
  deny: 6,
} as const;
export type CommandName = keyof typeof COMMAND;

export function commandName(code: number): CommandName | undefined {
  for (const [name, value] of Object.entries(COMMAND)) if (value === code) return name as CommandName;
  return undefined;
}

/** The 6-byte time label (§8.2.2): binary, not BCD; year 0–99 is 2000–2099. Local time of the sender. */
export interface FrameTime {
  readonly second: number;
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
  readonly month: number;
  readonly year: number;
}

export interface ControlUnit {
  /** Business serial number: the initiator counts it up, the answer repeats it. */
  readonly serial: number;
  /** Main version (fixed 1) and user version. */
  readonly version: { readonly major: number; readonly user: number };
  readonly time: FrameTime;
  /** 6-byte addresses as 12 hex digits, most significant byte first (the wire sends the low byte first). */
  readonly source: string;
  readonly destination: string;
  readonly command: number;
}

export interface Frame {
  readonly control: ControlUnit;
  /** The application data unit (type flag, object count, objects); empty for confirm and deny. */
  readonly appData: Buffer;
}

/** 8-bit arithmetic sum of buf[from, to). */
export function sum8(buf: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += buf[i]!;
  return sum & 0xff;
}

export function readTime(buf: Uint8Array, at: number): FrameTime {
  return { second: buf[at]!, minute: buf[at + 1]!, hour: buf[at + 2]!, day: buf[at + 3]!, month: buf[at + 4]!, year: buf[at + 5]! };
}

export function writeTime(buf: Buffer, at: number, time: FrameTime): void {
  const fields = [time.second, time.minute, time.hour, time.day, time.month, time.year];
  fields.forEach((value, i) => {
    if (!Number.isInteger(value) || value < 0 || value > 255) throw new RangeError(`time field ${i} out of range: ${value}`);
    buf[at + i] = value;
  });
}

/** True when the six fields form a real calendar time (a device may send garbage or zeros). */
export function isValidTime(time: FrameTime): boolean {
  const { second, minute, hour, day, month, year } = time;
  if (second > 59 || minute > 59 || hour > 23 || month < 1 || month > 12 || day < 1 || year > 99) return false;
  return day <= new Date(Date.UTC(2000 + year, month, 0)).getUTCDate();
}

/** Wall-clock ms → the time label in a time zone (devices keep local time; 'Asia/Shanghai' in China). */
export function frameTimeOf(ms: number, timeZone: string): FrameTime {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { second: get('second'), minute: get('minute'), hour: get('hour'), day: get('day'), month: get('month'), year: get('year') % 100 };
}

/** "2012-09-26 09:58:02" for logs and fields (the device's own clock; no zone is sent). */
export function formatFrameTime(time: FrameTime): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `20${two(time.year)}-${two(time.month)}-${two(time.day)} ${two(time.hour)}:${two(time.minute)}:${two(time.second)}`;
}

/** Wire bytes (low first) → 12 hex digits, most significant first. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function readAddress(buf: Uint8Array, at: number): string {
  return HEX[buf[at + 5]!]! + HEX[buf[at + 4]!]! + HEX[buf[at + 3]!]! + HEX[buf[at + 2]!]! + HEX[buf[at + 1]!]! + HEX[buf[at]!]!;
}

export const ADDRESS_PATTERN = /^[0-9a-f]{12}$/;

export function writeAddress(buf: Buffer, at: number, address: string): void {
  if (!ADDRESS_PATTERN.test(address)) throw new RangeError(`address "${address}" is not 12 lowercase hex digits`);
  for (let i = 0; i < 6; i++) buf[at + i] = parseInt(address.slice(10 - 2 * i, 12 - 2 * i), 16);
}

/** Reads the control unit of a packet starting at `at` (its '@@'); the caller checked the length. */
export function readControlUnit(buf: Uint8Array, at: number): ControlUnit {
  const c = at + 2;
  return {
    serial: buf[c]! | (buf[c + 1]! << 8),
    version: { major: buf[c + 2]!, user: buf[c + 3]! },
    time: readTime(buf, c + 4),
    source: readAddress(buf, c + 10),
    destination: readAddress(buf, c + 16),
    command: buf[c + 24]!,
  };
}

/** Builds the wire bytes of a packet. Throws on values our own code should never produce. */
export function encodeFrame(frame: Frame): Buffer {
  const { control, appData } = frame;
  if (appData.length > MAX_APP_DATA) throw new RangeError(`application data of ${appData.length} bytes exceeds ${MAX_APP_DATA}`);
  if (!Number.isInteger(control.serial) || control.serial < 0 || control.serial > 0xffff) throw new RangeError(`serial ${control.serial} out of range`);
  const out = Buffer.alloc(FRAME_OVERHEAD + appData.length);
  out[0] = START;
  out[1] = START;
  out.writeUInt16LE(control.serial, 2);
  out[4] = control.version.major;
  out[5] = control.version.user;
  writeTime(out, 6, control.time);
  writeAddress(out, 12, control.source);
  writeAddress(out, 18, control.destination);
  out.writeUInt16LE(appData.length, LENGTH_AT);
  out[26] = control.command;
  appData.copy(out, HEADER_BYTES);
  const sumAt = HEADER_BYTES + appData.length;
  out[sumAt] = sum8(out, 2, sumAt);
  out[sumAt + 1] = END;
  out[sumAt + 2] = END;
  return out;
}

/** The answer to a packet (confirm or deny): same serial, addresses swapped, empty application data. */
export function answerTo(control: ControlUnit, command: typeof COMMAND.confirm | typeof COMMAND.deny, time: FrameTime): Frame {
  return {
    control: { serial: control.serial, version: control.version, time, source: control.destination, destination: control.source, command },
    appData: Buffer.alloc(0),
  };
}
