// DL/T 645-2007 frames (../shared/reference/devices-and-field.md §2):
//   [FE FE FE FE]  68  A0..A5  68  C  L  DATA…  CS  16
// The address is the 12-digit meter number in BCD, sent low byte first; every DATA byte carries +0x33 on
// the wire; CS is the 8-bit sum from the first 0x68 to the end of DATA; DIs are 4 bytes, DI0 first.
// Only 2007 codes live here. The 1997 edition (control 0x01, 2-byte DIs such as 9010) is a different
// protocol that public snippets often mislabel as 2007 (the reference's misinformation warning).

export const START = 0x68;
export const END = 0x16;
export const PREAMBLE = 0xfe;
/** Masters usually send four FE bytes to wake the meter's receiver; replies may carry 0–4. */
export const PREAMBLE_LENGTH = 4;
/** Added to every DATA byte on transmit, subtracted on receive. */
export const DATA_OFFSET = 0x33;
/** The wildcard address: any meter answers, so use it only with one meter on the bus. */
export const WILDCARD_ADDRESS = 'aaaaaaaaaaaa';
/** The broadcast address for time sync (0x08). From the standard's text; §6 of the reference lists it as unchecked. */
export const BROADCAST_ADDRESS = '999999999999';
/** Smallest frame: 68 + 6 address + 68 + C + L + CS + 16. */
export const MIN_FRAME = 12;
/** L is one byte, so a frame is at most 12 + 255 bytes. */
export const MAX_DATA = 255;

/** Control code bits (D7 direction, D6 error answer, D5 follow-up) and the 2007 function codes (D4–D0). */
export const CONTROL = {
  response: 0x80,
  error: 0x40,
  followUp: 0x20,
  broadcastTime: 0x08,
  readData: 0x11,
  readFollowUp: 0x12,
  readAddress: 0x13,
} as const;

export interface Frame {
  /** Meter address as its 12 printed digits (or "aaaaaaaaaaaa" for the wildcard). */
  readonly address: string;
  readonly control: number;
  /** DATA with the 0x33 offset already removed. */
  readonly data: Buffer;
}

export class FrameFormatError extends Error {
  override readonly name = 'FrameFormatError';
}

/** "123456789012" → 12 90 78 56 34 12 (low byte first). The wildcard "aaaaaaaaaaaa" → AA ×6. */
export function encodeAddress(address: string): Buffer {
  if (!/^([0-9]{12}|[aA]{12})$/.test(address)) throw new FrameFormatError(`meter address "${address}": expected 12 digits (or the wildcard AAAAAAAAAAAA)`);
  const bytes = Buffer.alloc(6);
  for (let i = 0; i < 6; i++) bytes[5 - i] = Number.parseInt(address.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** 12 90 78 56 34 12 → "123456789012". Hex digits are kept as they are (a non-BCD address is shown, not hidden). */
export function decodeAddress(bytes: Uint8Array): string {
  let text = '';
  for (let i = 5; i >= 0; i--) text += bytes[i]!.toString(16).padStart(2, '0');
  return text;
}

/** 8-bit sum of the bytes. */
export function checksum(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum;
}

/** A whole frame for the wire, with `preamble` FE bytes in front (0–4). `data` is plain (without +0x33). */
export function encodeFrame(frame: Frame, preamble = PREAMBLE_LENGTH): Buffer {
  if (frame.data.length > MAX_DATA) throw new FrameFormatError(`DATA of ${frame.data.length} bytes does not fit a frame (at most ${MAX_DATA})`);
  const body = Buffer.alloc(10 + frame.data.length + 2);
  body[0] = START;
  encodeAddress(frame.address).copy(body, 1);
  body[7] = START;
  body[8] = frame.control;
  body[9] = frame.data.length;
  for (let i = 0; i < frame.data.length; i++) body[10 + i] = (frame.data[i]! + DATA_OFFSET) & 0xff;
  body[10 + frame.data.length] = checksum(body, 0, 10 + frame.data.length);
  body[11 + frame.data.length] = END;
  return Buffer.concat([Buffer.alloc(preamble, PREAMBLE), body]);
}

/** "00010000" (DI3 DI2 DI1 DI0, as the standard's tables write it) → the 4 bytes in wire order, DI0 first. */
export function encodeDi(di: string): Buffer {
  if (!/^[0-9a-fA-F]{8}$/.test(di)) throw new FrameFormatError(`DI "${di}": expected 8 hex digits, DI3 first (e.g. 00010000)`);
  return Buffer.from(di, 'hex').reverse();
}

/** The 4 DI bytes in wire order (DI0 first) → "00010000". */
export function decodeDi(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, 4)).reverse().toString('hex');
}

/** The request for one data item: control 0x11, DATA = DI. */
export function readDataRequest(address: string, di: string): Frame {
  return { address, control: CONTROL.readData, data: encodeDi(di) };
}

/** The request for the next follow-up frame of a reply: control 0x12, DATA = DI + frame sequence number. */
export function readFollowUpRequest(address: string, di: string, seq: number): Frame {
  return { address, control: CONTROL.readFollowUp, data: Buffer.concat([encodeDi(di), Buffer.of(seq & 0xff)]) };
}

/** Read address (0x13) goes to the wildcard; the meter answers 0x93 with its address in DATA. */
export function readAddressRequest(): Frame {
  return { address: WILDCARD_ADDRESS, control: CONTROL.readAddress, data: Buffer.alloc(0) };
}

/** Broadcast time sync (0x08), DATA = ss mm hh DD MM YY in BCD (the standard's order); meters do not answer. */
export function timeSyncRequest(localTime: { year: number; month: number; day: number; hour: number; minute: number; second: number }): Frame {
  const bcd = (n: number) => ((Math.floor(n / 10) % 10) << 4) | n % 10;
  const { year, month, day, hour, minute, second } = localTime;
  return { address: BROADCAST_ADDRESS, control: CONTROL.broadcastTime, data: Buffer.from([second, minute, hour, day, month, year % 100].map(bcd)) };
}

/** Function code (D4–D0) of a control byte. */
export function functionOf(control: number): number {
  return control & 0x1f;
}

/** What the error byte of a 0xD1 reply says; only the bits the reference names get words. */
export function errorText(code: number): string {
  const named: string[] = [];
  if (code & 0x02) named.push('no such data / 无请求数据');
  if (code & 0x04) named.push('password or authorisation error / 密码错或未授权');
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  return named.length > 0 ? `${hex} ${named.join(', ')}` : `${hex} (see the meter's manual / 见电表说明书)`;
}
