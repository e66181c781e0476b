// The frame codec against the test vectors of firmware-bridge/PROTOCOL.md §2, plus the resync rules of §3.
import { describe, expect, it } from 'vitest';
import { crc16 } from '../../../firmware-bridge/protocol/crc.js';
import { FrameDecoder, type DecoderEvent } from '../../../firmware-bridge/protocol/decoder.js';
import { encodeFrame, FrameError, MAX_PAYLOAD, type Frame } from '../../../firmware-bridge/protocol/frame.js';
import { decodeMessage, encodeMessageFrame, type Message } from '../../../firmware-bridge/protocol/messages.js';

const bytes = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

/** Bit-by-bit CRC-16/MODBUS written from the definition, to check the table-driven one independently. */
function crcReference(data: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

// The vectors printed in PROTOCOL.md §2 (seq, node and direction as written there).
const VECTORS: { name: string; message: Message; seq: number; fromGateway: boolean; wire: string }[] = [
  {
    name: 'HELLO',
    message: { kind: 'hello', body: { protocol: { major: 1, minor: 0 }, firmware: { major: 2, minor: 1, patch: 3 }, capabilities: 0x0f, heartbeatMs: 10_000, model: 'SD-1' } },
    seq: 0,
    fromGateway: false,
    wire: 'A5 5A 0E 01 00 07 01 00 02 01 03 0F 00 64 00 04 53 44 2D 31 10 4B',
  },
  { name: 'HELLO_ACK', message: { kind: 'hello_ack', body: { protocol: { major: 1, minor: 0 }, heartbeatMs: 10_000 } }, seq: 0, fromGateway: true, wire: 'A5 5A 04 82 00 07 01 00 64 00 7D 0C' },
  {
    name: 'DATA',
    message: { kind: 'data', body: { entries: [{ index: 0, type: 'i16', value: 235 }, { index: 1, type: 'bool', value: true }] } },
    seq: 1,
    fromGateway: false,
    wire: 'A5 5A 07 10 01 07 00 04 EB 00 01 01 01 E5 70',
  },
  { name: 'EVENT', message: { kind: 'event', body: { code: 1, active: true, entries: [] } }, seq: 2, fromGateway: false, wire: 'A5 5A 02 11 02 07 01 01 8D D3' },
  { name: 'HEARTBEAT', message: { kind: 'heartbeat', body: { uptimeS: 60, batteryMv: 3000 } }, seq: 3, fromGateway: false, wire: 'A5 5A 06 12 03 07 3C 00 00 00 B8 0B 44 96' },
  { name: 'ACK', message: { kind: 'ack', body: {} }, seq: 3, fromGateway: true, wire: 'A5 5A 00 A0 03 07 41 34' },
  { name: 'NAK', message: { kind: 'nak', body: { reason: 'unsupported_version', text: 'v1' } }, seq: 0, fromGateway: true, wire: 'A5 5A 04 A1 00 07 01 02 76 31 03 7A' },
  { name: 'TIME', message: { kind: 'time', body: { unixMs: 1_767_225_600_123 } }, seq: 0x10, fromGateway: true, wire: 'A5 5A 06 93 10 07 00 B9 55 69 7B 00 21 D9' },
];

function collect(): { decoder: FrameDecoder; events: DecoderEvent[]; frames: () => { frame: Frame; offset: number }[] } {
  const events: DecoderEvent[] = [];
  const decoder = new FrameDecoder((e) => events.push(e));
  return { decoder, events, frames: () => events.flatMap((e) => (e.kind === 'frame' ? [{ frame: e.frame, offset: e.offset }] : [])) };
}

describe('CRC-16/MODBUS', () => {
  it('gives the standard check value 0x4B37 for "123456789"', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x4b37);
    expect(crcReference(Buffer.from('123456789'))).toBe(0x4b37);
  });

  it('matches the bitwise definition on random data', () => {
    let seed = 1;
    for (let n = 0; n < 200; n++) {
      const data = Buffer.alloc(n);
      for (let i = 0; i < n; i++) data[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      expect(crc16(data)).toBe(crcReference(data));
    }
  });
});

describe('frame encoding: the PROTOCOL.md test vectors', () => {
  for (const vector of VECTORS) {
    it(`${vector.name} encodes to the documented bytes and decodes back`, () => {
      const wire = encodeFrame(encodeMessageFrame(vector.message, { seq: vector.seq, node: 7, fromGateway: vector.fromGateway }));
      expect(wire.toString('hex')).toBe(bytes(vector.wire).toString('hex'));
      const { decoder, frames } = collect();
      decoder.push(wire);
      expect(frames()).toHaveLength(1);
      const decoded = decodeMessage(frames()[0]!.frame);
      expect(decoded).toEqual({ ok: true, message: vector.message, fromGateway: vector.fromGateway });
    });
  }

  it('refuses fields that do not fit instead of sending a corrupt frame', () => {
    expect(() => encodeFrame({ type: 0x10, seq: 256, node: 1, payload: new Uint8Array() })).toThrow(FrameError);
    expect(() => encodeFrame({ type: 0x10, seq: 0, node: 1, payload: new Uint8Array(MAX_PAYLOAD + 1) })).toThrow(/exceeds 240/);
  });

  it('round-trips every value type, including negative and float values', () => {
    const message: Message = {
      kind: 'data',
      body: {
        entries: [
          { index: 0, type: 'bool', value: false },
          { index: 1, type: 'i8', value: -5 },
          { index: 2, type: 'u8', value: 250 },
          { index: 3, type: 'i16', value: -300 },
          { index: 4, type: 'u16', value: 65_000 },
          { index: 5, type: 'i32', value: -70_000 },
          { index: 6, type: 'u32', value: 4_000_000_000 },
          { index: 7, type: 'f32', value: 21.5 },
          { index: 8, type: 'str', value: '烟感 ok' },
        ],
      },
    };
    const frame = encodeMessageFrame(message, { seq: 9, node: 3, fromGateway: false });
    expect(decodeMessage(frame)).toEqual({ ok: true, message, fromGateway: false });
  });
});

describe('message decoding never throws and says what is wrong', () => {
  it('reports a truncated payload with the field and payload offset', () => {
    const result = decodeMessage({ type: 0x12, seq: 0, node: 1, payload: Uint8Array.from([1, 2, 3]) });
    expect(result).toMatchObject({ ok: false, reason: 'bad_payload' });
    expect(!result.ok && result.detail).toMatch(/heartbeat: uptime needs 4 byte\(s\) at payload offset 0/);
  });

  it('reports an unknown value type and an unknown frame type', () => {
    expect(decodeMessage({ type: 0x10, seq: 0, node: 1, payload: Uint8Array.from([0, 0x7f, 1]) })).toMatchObject({ ok: false, reason: 'bad_payload' });
    expect(decodeMessage({ type: 0x55, seq: 0, node: 1, payload: new Uint8Array() })).toMatchObject({ ok: false, reason: 'unknown_type', detail: 'unknown frame type 0x55' });
  });

  it('recognises a HELLO of another major version from its first two bytes', () => {
    const result = decodeMessage({ type: 0x01, seq: 0, node: 1, payload: Uint8Array.from([2, 4, 0xde, 0xad]) });
    expect(result).toEqual({ ok: false, reason: 'unsupported_version', detail: 'node speaks protocol 2.4, this gateway speaks 1.x', fromGateway: false });
  });

  it('accepts a HELLO of a later minor version with appended fields', () => {
    const frame = encodeMessageFrame(
      { kind: 'hello', body: { protocol: { major: 1, minor: 3 }, firmware: { major: 1, minor: 0, patch: 0 }, capabilities: 1, heartbeatMs: 500, model: 'x' } },
      { seq: 0, node: 1, fromGateway: false },
    );
    const longer = { ...frame, payload: Buffer.concat([frame.payload, Buffer.from([9, 9, 9])]) };
    expect(decodeMessage(longer)).toMatchObject({ ok: true, message: { kind: 'hello', body: { protocol: { major: 1, minor: 3 }, model: 'x' } } });
  });
});

describe('streaming decoder', () => {
  const wire = VECTORS.map((v) => encodeFrame(encodeMessageFrame(v.message, { seq: v.seq, node: 7, fromGateway: v.fromGateway })));
  const all = Buffer.concat(wire);

  it('finds every frame whatever the chunking, one byte at a time included', () => {
    for (const size of [1, 2, 3, 7, 13, all.length]) {
      const { decoder, frames, events } = collect();
      for (let i = 0; i < all.length; i += size) decoder.push(all.subarray(i, i + size));
      expect(frames().map((f) => f.offset)).toEqual(wire.map((_, i) => wire.slice(0, i).reduce((n, w) => n + w.length, 0)));
      expect(events.filter((e) => e.kind !== 'frame')).toEqual([]);
    }
  });

  it('reports garbage as dropped runs with their stream offsets and resyncs', () => {
    const { decoder, frames, events } = collect();
    decoder.push(Buffer.from('boot: ok\r\n'));
    decoder.push(wire[2]!);
    decoder.push(Buffer.from([0xa5, 0x00, 0xa5]));
    decoder.push(wire[3]!);
    expect(frames().map((f) => [f.offset, f.frame.type])).toEqual([
      [10, 0x10],
      [10 + wire[2]!.length + 3, 0x11],
    ]);
    expect(events.filter((e) => e.kind === 'dropped')).toEqual([
      { kind: 'dropped', offset: 0, count: 10 },
      { kind: 'dropped', offset: 10 + wire[2]!.length, count: 3 },
    ]);
    expect(decoder.counters).toMatchObject({ frames: 2, droppedBytes: 13, crcErrors: 0 });
  });

  it('reports a corrupted frame as a CRC error at its offset and still finds the next frame', () => {
    const bad = Buffer.from(wire[4]!);
    bad[8] = bad[8]! ^ 0x01;
    const { decoder, frames, events } = collect();
    decoder.push(Buffer.concat([Buffer.from([1, 2]), bad, wire[5]!]));
    expect(events.find((e) => e.kind === 'crc_error')).toEqual({ kind: 'crc_error', offset: 2, length: 6, received: 0x9644, computed: expect.any(Number) });
    expect(frames()).toHaveLength(1);
    expect(frames()[0]!.offset).toBe(2 + bad.length);
  });

  it('finds a real frame hidden inside the claimed length of a false start marker', () => {
    // A5 5A F0 claims 240 payload bytes; the real frame starts 3 bytes later and must not be swallowed.
    const { decoder, frames } = collect();
    decoder.push(Buffer.concat([Buffer.from([0xa5, 0x5a, 0xf0]), wire[3]!, Buffer.alloc(250, 0x11)]));
    expect(frames().map((f) => f.offset)).toEqual([3]);
  });

  it('on flush (line idle or end of stream) rescans a partial false frame instead of waiting for it', () => {
    const { decoder, frames } = collect();
    decoder.push(Buffer.concat([Buffer.from([0xa5, 0x5a, 0xf0]), wire[3]!]));
    expect(frames()).toHaveLength(0);
    expect(decoder.buffered).toBe(3 + wire[3]!.length);
    decoder.flush();
    expect(frames().map((f) => f.offset)).toEqual([3]);
    expect(decoder.buffered).toBe(0);
  });

  it('gives up only the held partial frame when it times out, keeping a real frame that has just begun', () => {
    const { decoder, frames, events } = collect();
    const real = wire[3]!;
    decoder.push(Buffer.concat([Buffer.from([0xa5, 0x5a, 0xf0, 0x00]), real.subarray(0, 4)]));
    expect(decoder.bufferedOffset).toBe(0);
    decoder.flushPartial();
    // The false start is gone; the real frame's first 4 bytes are held at offset 4, waiting for the rest.
    expect(decoder.bufferedOffset).toBe(4);
    expect(decoder.buffered).toBe(4);
    decoder.push(real.subarray(4));
    expect(frames().map((f) => f.offset)).toEqual([4]);
    expect(events.filter((e) => e.kind === 'dropped')).toEqual([{ kind: 'dropped', offset: 0, count: 4 }]);
  });

  it('rejects a length over 240 at once and keeps scanning', () => {
    const { decoder, frames } = collect();
    decoder.push(Buffer.concat([Buffer.from([0xa5, 0x5a, 0xf1, 0x00]), wire[0]!]));
    expect(frames().map((f) => f.offset)).toEqual([4]);
  });

  it('delivers every event even when a listener throws, then rethrows the first error', () => {
    const seen: number[] = [];
    const decoder = new FrameDecoder((e) => {
      if (e.kind !== 'frame') return;
      seen.push(e.offset);
      if (seen.length === 1) throw new Error('listener bug');
    });
    expect(() => decoder.push(Buffer.concat([wire[3]!, wire[5]!]))).toThrow('listener bug');
    expect(seen).toEqual([0, wire[3]!.length]);
    decoder.push(wire[3]!);
    expect(seen).toHaveLength(3);
  });
});
