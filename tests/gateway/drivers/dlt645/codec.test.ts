// The DL/T 645 codec against independent golden frames: the two worked frames in the reference
// (../shared/reference/devices-and-field.md §2), and frames from a second encoder written straight from
// the spec in Python (spec_encoder.py, shares no code with the driver), in both directions: the driver's
// requests must equal Python's bytes, and Python's replies must decode to the values Python encoded.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CONTROL,
  decodeAddress,
  decodeDi,
  encodeAddress,
  encodeFrame,
  readAddressRequest,
  readDataRequest,
  readFollowUpRequest,
  type Frame,
} from '../../../../gateway/drivers/dlt645/frame.js';
import { FrameReceiver, type BadFrame } from '../../../../gateway/drivers/dlt645/receiver.js';
import { decodeItem, encodeItem, formatShape, type ItemFormat } from '../../../../gateway/drivers/dlt645/values.js';
import { requireBinary } from '../../../helpers/peers.js';

const ENCODER = fileURLToPath(new URL('./spec_encoder.py', import.meta.url));
const METER = '123456789012';

type Part = { kind: 'di'; di: string } | { kind: 'bcd'; digits: string; signed?: boolean } | { kind: 'raw'; hex: string } | { kind: 'address'; address: string };
interface PyCase {
  name: string;
  address: string;
  control: number;
  data: Part[];
  preamble?: number;
}

function pythonFrames(cases: PyCase[]): Map<string, Buffer> {
  const out = execFileSync(requireBinary('/usr/bin/python3'), [ENCODER], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 20_000 });
  return new Map(
    out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { name: string; hex: string })
      .map(({ name, hex }) => [name, Buffer.from(hex, 'hex')]),
  );
}

function receiveAll(bytes: Buffer, chunk: (i: number) => number = () => bytes.length): { frames: { frame: Frame; offset: number }[]; bad: BadFrame[]; receiver: FrameReceiver } {
  const frames: { frame: Frame; offset: number }[] = [];
  const bad: BadFrame[] = [];
  const receiver = new FrameReceiver({ frame: (frame, offset) => frames.push({ frame, offset }), bad: (b) => bad.push(b) });
  for (let at = 0, n = 0; at < bytes.length; n++) {
    const size = Math.max(1, Math.min(chunk(n), bytes.length - at));
    receiver.push(bytes.subarray(at, at + size));
    at += size;
  }
  return { frames, bad, receiver };
}

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('DL/T 645 worked frames from the reference', () => {
  it('read forward active energy (DI 00 01 00 00) from meter 123456789012', () => {
    expect(encodeFrame(readDataRequest(METER, '00010000')).toString('hex')).toBe(hex('FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 33 34 33 68 16').toString('hex'));
  });
  it('read Ua (DI 02 01 01 00) from the same meter', () => {
    expect(encodeFrame(readDataRequest(METER, '02010100')).toString('hex')).toBe(hex('FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 34 34 35 6B 16').toString('hex'));
  });
  it('the receiver reads both worked frames back', () => {
    const { frames, bad } = receiveAll(Buffer.concat([hex('FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 33 34 33 68 16'), hex('FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 34 34 35 6B 16')]));
    expect(bad).toEqual([]);
    expect(frames.map((f) => [f.frame.address, f.frame.control, decodeDi(f.frame.data)])).toEqual([
      [METER, 0x11, '00010000'],
      [METER, 0x11, '02010100'],
    ]);
  });
});

/** Replies as a meter sends them: value cases with the expected raw integer and format. */
const REPLIES: { name: string; di: string; digits: string; item: ItemFormat; raw: number }[] = [
  { name: 'forward active total 1234.56 kWh', di: '00010000', digits: '001234.56', item: { format: 'XXXXXX.XX', signed: false, binary: false }, raw: 123456 },
  { name: 'Ua 220.1 V', di: '02010100', digits: '220.1', item: { format: 'XXX.X', signed: false, binary: false }, raw: 2201 },
  { name: 'Ia 5.123 A', di: '02020100', digits: '005.123', item: { format: 'XXX.XXX', signed: true, binary: false }, raw: 5123 },
  { name: 'Ia reversed -0.456 A', di: '02020100', digits: '-000.456', item: { format: 'XXX.XXX', signed: true, binary: false }, raw: -456 },
  { name: 'total active power -1.2345 kW (export)', di: '02030000', digits: '-01.2345', item: { format: 'XX.XXXX', signed: true, binary: false }, raw: -12345 },
  { name: 'power factor 0.987', di: '02060000', digits: '0.987', item: { format: 'X.XXX', signed: true, binary: false }, raw: 987 },
  { name: 'frequency 49.98 Hz', di: '02800002', digits: '49.98', item: { format: 'XX.XX', signed: false, binary: false }, raw: 4998 },
  { name: 'tariff 4 energy 999999.99 kWh', di: '00010400', digits: '999999.99', item: { format: 'XXXXXX.XX', signed: false, binary: false }, raw: 99999999 },
];

describe('DL/T 645 codec against an independent Python encoder', () => {
  const requestCases: PyCase[] = [
    { name: 'read 00000000', address: METER, control: 0x11, data: [{ kind: 'di', di: '00000000' }] },
    { name: 'read 0201ff00 block', address: '000000000001', control: 0x11, data: [{ kind: 'di', di: '0201ff00' }] },
    { name: 'read 04000501 status 1', address: '990000123456', control: 0x11, data: [{ kind: 'di', di: '04000501' }] },
    { name: 'follow-up seq 1', address: METER, control: 0x12, data: [{ kind: 'di', di: '0201ff00' }, { kind: 'raw', hex: '01' }] },
    { name: 'read address', address: 'aaaaaaaaaaaa', control: 0x13, data: [] },
  ];
  const replyCases: PyCase[] = REPLIES.map((r, i) => ({
    name: r.name,
    address: METER,
    control: 0x91,
    preamble: i % 5, // replies carry 0–4 FE bytes
    data: [{ kind: 'di', di: r.di }, { kind: 'bcd', digits: r.digits, signed: r.item.signed }],
  }));
  const otherReplies: PyCase[] = [
    { name: 'error reply: no such data', address: METER, control: 0xd1, preamble: 0, data: [{ kind: 'raw', hex: '02' }] },
    { name: 'read address reply', address: '000011112222', control: 0x93, preamble: 2, data: [{ kind: 'address', address: '000011112222' }] },
    { name: 'status word 1 = 0x0014', address: METER, control: 0x91, preamble: 1, data: [{ kind: 'di', di: '04000501' }, { kind: 'raw', hex: '1400' }] },
  ];
  const py = pythonFrames([...requestCases, ...replyCases, ...otherReplies]);

  it('every request the driver builds is byte-identical to the Python encoder', () => {
    expect(encodeFrame(readDataRequest(METER, '00000000'))).toEqual(py.get('read 00000000'));
    expect(encodeFrame(readDataRequest('000000000001', '0201ff00'))).toEqual(py.get('read 0201ff00 block'));
    expect(encodeFrame(readDataRequest('990000123456', '04000501'))).toEqual(py.get('read 04000501 status 1'));
    expect(encodeFrame(readFollowUpRequest(METER, '0201ff00', 1))).toEqual(py.get('follow-up seq 1'));
    expect(encodeFrame(readAddressRequest())).toEqual(py.get('read address'));
  });

  it('Python replies, in one stream with noise and split at random, decode to the values Python encoded', () => {
    let seed = 0x645;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const parts: Buffer[] = [];
    for (const r of REPLIES) parts.push(Buffer.from([0x00, 0x68, 0x33]), py.get(r.name)!); // noise, incl. a stray 0x68
    const { frames, bad } = receiveAll(Buffer.concat(parts), () => 1 + Math.floor(rand() * 7));
    expect(bad).toEqual([]);
    expect(frames).toHaveLength(REPLIES.length);
    frames.forEach(({ frame }, i) => {
      const want = REPLIES[i]!;
      expect(frame.address).toBe(METER);
      expect(frame.control).toBe(CONTROL.response | CONTROL.readData);
      expect(decodeDi(frame.data)).toBe(want.di);
      expect(decodeItem(frame.data.subarray(4), want.item)).toEqual({ ok: true, raw: want.raw });
      // And the driver's own encoder (used by the simulator) writes the same value bytes as Python.
      expect(encodeItem(want.raw, want.item)).toEqual(py.get(want.name)!.subarray(py.get(want.name)!.length - 2 - formatShape(want.item.format).bytes, -2).map((b) => (b - 0x33) & 0xff));
    });
  });

  it('error, read-address and status-word replies from Python decode', () => {
    const { frames } = receiveAll(Buffer.concat([py.get('error reply: no such data')!, py.get('read address reply')!, py.get('status word 1 = 0x0014')!]));
    expect(frames.map((f) => f.frame.control)).toEqual([0xd1, 0x93, 0x91]);
    expect([...frames[0]!.frame.data]).toEqual([0x02]);
    expect(decodeAddress(frames[1]!.frame.data)).toBe('000011112222');
    expect(frames[1]!.frame.address).toBe('000011112222');
    expect(decodeItem(frames[2]!.frame.data.subarray(4), { format: 'XXXX', signed: false, binary: true })).toEqual({ ok: true, raw: 0x0014 });
  });
});

describe('DL/T 645 receiver on a bad line', () => {
  const good = encodeFrame({ address: METER, control: 0x91, data: Buffer.concat([Buffer.from([0x00, 0x00, 0x01, 0x00]), encodeItem(123456, { format: 'XXXXXX.XX', signed: false, binary: false })]) }, 2);

  it('counts a checksum error with the byte offset of its 0x68, and still finds the next frame', () => {
    const broken = Buffer.from(good);
    broken[broken.length - 2]! ^= 0x01;
    const { frames, bad } = receiveAll(Buffer.concat([Buffer.from([0x11, 0x22, 0x33]), broken, good]));
    expect(bad).toEqual([expect.objectContaining({ offset: 3 + 2, reason: 'checksum' })]);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.offset).toBe(3 + broken.length + 2);
  });

  it('a frame cut short by the next one is counted, and the next one is found without waiting for the bogus length', () => {
    const cut = good.subarray(0, good.length - 5);
    const { frames, bad } = receiveAll(Buffer.concat([cut, good]), () => 3);
    expect(frames).toHaveLength(1);
    // Counted once, at its offset: as a checksum error once the next frame's bytes fill its length, or as cut short.
    expect(bad).toEqual([expect.objectContaining({ offset: 2 })]);
  });

  it('a wrong end marker is a bad frame, not a frame', () => {
    const broken = Buffer.from(good);
    broken[broken.length - 1] = 0x17;
    const { frames, bad } = receiveAll(broken);
    expect(frames).toHaveLength(0);
    expect(bad.map((b) => b.reason)).toEqual(['end_marker']);
  });

  it('stray 0x68 bytes and noise are garbage, FE preamble is not', () => {
    const { frames, bad, receiver } = receiveAll(Buffer.concat([Buffer.from([0x68, 0x01, 0x68]), good]), () => 1);
    expect(frames).toHaveLength(1);
    expect(bad).toEqual([]);
    expect(receiver.garbageBytes).toBe(3);
  });

  it('keeps at most one incomplete frame in memory however long the noise', () => {
    let seed = 7;
    const noise = Buffer.alloc(20_000);
    for (let i = 0; i < noise.length; i++) noise[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    let maxPending = 0;
    const frames: Frame[] = [];
    const receiver = new FrameReceiver({ frame: (f) => frames.push(f), bad: () => undefined });
    for (let at = 0; at < noise.length; at += 13) {
      receiver.push(noise.subarray(at, at + 13));
      maxPending = Math.max(maxPending, receiver.pending);
    }
    receiver.push(good);
    expect(maxPending).toBeLessThanOrEqual(12 + 255 + 13);
    expect(frames.at(-1)?.address).toBe(METER);
  });
});

describe('DL/T 645 values', () => {
  it('round-trips every format of the reference table', () => {
    const cases: [ItemFormat, number][] = [
      [{ format: 'XXXXXX.XX', signed: false, binary: false }, 12345678],
      [{ format: 'XXX.X', signed: false, binary: false }, 2301],
      [{ format: 'XXX.XXX', signed: true, binary: false }, -12345],
      [{ format: 'XX.XXXX', signed: true, binary: false }, 799999],
      [{ format: 'X.XXX', signed: true, binary: false }, -1000],
      [{ format: 'XX.XX', signed: false, binary: false }, 5000],
      [{ format: 'XXXX', signed: false, binary: true }, 0xabcd],
    ];
    for (const [item, raw] of cases) expect(decodeItem(encodeItem(raw, item), item)).toEqual({ ok: true, raw });
  });

  it('a non-BCD byte is an error naming the byte, never a number', () => {
    expect(decodeItem(Buffer.from([0x00, 0x00, 0x00, 0xff]), { format: 'XXXXXX.XX', signed: false, binary: false })).toEqual({ ok: false, message: expect.stringContaining('byte 3 (0xff)') });
  });

  it('refuses values that do not fit, and malformed addresses', () => {
    expect(() => encodeItem(10000, { format: 'XXX.X', signed: false, binary: false })).toThrow(/does not fit/);
    expect(() => encodeItem(800000, { format: 'XX.XXXX', signed: true, binary: false })).toThrow(/does not fit/);
    expect(() => encodeAddress('12345')).toThrow(/12 digits/);
    expect(encodeAddress('aaaaaaaaaaaa')).toEqual(Buffer.alloc(6, 0xaa));
  });
});
