// Byte-level payload reading and writing for protocol/messages.ts: little-endian integers, length-prefixed
// UTF-8, bounds-checked reads that fail with the field name and payload offset.
import { MAX_PAYLOAD } from './frame.js';

export type ValueType = 'bool' | 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'f32' | 'str';

export class Writer {
  private readonly bytes: number[] = [];
  u8(value: number): this {
    this.bytes.push(value & 0xff);
    return this;
  }
  u16(value: number): this {
    return this.u8(value).u8(value >>> 8);
  }
  u32(value: number): this {
    return this.u16(value & 0xffff).u16(Math.floor(value / 0x10000));
  }
  raw(data: Uint8Array): this {
    for (const byte of data) this.bytes.push(byte);
    return this;
  }
  str(text: string, max: number): this {
    const data = Buffer.from(text, 'utf8');
    if (data.length > max) throw new RangeError(`text "${text}" is ${data.length} bytes; at most ${max}`);
    return this.u8(data.length).raw(data);
  }
  done(): Uint8Array {
    if (this.bytes.length > MAX_PAYLOAD) throw new RangeError(`payload of ${this.bytes.length} bytes exceeds ${MAX_PAYLOAD}`);
    return Uint8Array.from(this.bytes);
  }
}

/** Thrown inside decoding only, and turned into a bad_payload result before decodeMessage returns. */
export class PayloadError extends Error {}

export class Reader {
  private at = 0;
  private readonly view: DataView;
  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  get left(): number {
    return this.data.length - this.at;
  }
  private need(count: number, what: string): number {
    if (this.at + count > this.data.length) throw new PayloadError(`${what} needs ${count} byte(s) at payload offset ${this.at}, ${this.left} left`);
    const at = this.at;
    this.at += count;
    return at;
  }
  u8(what: string): number {
    return this.data[this.need(1, what)]!;
  }
  u16(what: string): number {
    return this.view.getUint16(this.need(2, what), true);
  }
  u32(what: string): number {
    return this.view.getUint32(this.need(4, what), true);
  }
  str(what: string): string {
    const length = this.u8(`${what} length`);
    const at = this.need(length, what);
    return Buffer.from(this.data.subarray(at, at + length)).toString('utf8');
  }
  value(type: ValueType, what: string): boolean | number | string {
    switch (type) {
      case 'bool':
        return this.u8(what) !== 0;
      case 'i8':
        return this.view.getInt8(this.need(1, what));
      case 'u8':
        return this.u8(what);
      case 'i16':
        return this.view.getInt16(this.need(2, what), true);
      case 'u16':
        return this.u16(what);
      case 'i32':
        return this.view.getInt32(this.need(4, what), true);
      case 'u32':
        return this.u32(what);
      case 'f32':
        return this.view.getFloat32(this.need(4, what), true);
      case 'str':
        return this.str(what);
    }
  }
}
