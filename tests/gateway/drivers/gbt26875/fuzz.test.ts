// Fuzz test of the GB/T 26875.3 stream decoder and application-data decoder: 1,000,000+ random, embedded and
// mutated byte streams, as tests/firmware-bridge/fuzz.test.ts does for our own frames. For every stream:
// nothing throws; every reported packet is genuine (it re-encodes to exactly the bytes at its offset);
// every byte is accounted for once (in a packet or a dropped run); every valid packet embedded in garbage
// is found unless an accidental valid packet in the garbage overlapped it (counted, required to be rare);
// every bad sum and bad length is reported at an offset inside the stream. Seeded: a failure names the
// seed and the stream that reproduce it.
import { describe, expect, it } from 'vitest';
import { PacketDecoder } from '../../../../gateway/drivers/gbt26875/codec/decoder.js';
import { encodeFrame, FRAME_OVERHEAD, MAX_APP_DATA, type Frame } from '../../../../gateway/drivers/gbt26875/codec/frame.js';
import { decodeAppUnit, TYPE } from '../../../../gateway/drivers/gbt26875/codec/objects.js';
import { PanelState } from '../../../../gateway/drivers/gbt26875/panel-state.js';
import { Prng } from '../../../helpers/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x26875311);

interface Outcome {
  frames: { offset: number; frame: Frame; length: number }[];
  dropped: number;
  bad: { kind: 'bad_checksum' | 'bad_length'; offset: number }[];
}

function decode(stream: Buffer, rng: Prng, chunked: boolean, giveUpPartials = false): Outcome {
  const outcome: Outcome = { frames: [], dropped: 0, bad: [] };
  const decoder = new PacketDecoder((event) => {
    if (event.kind === 'frame') outcome.frames.push({ offset: event.offset, frame: event.frame, length: event.length });
    else if (event.kind === 'dropped') outcome.dropped += event.count;
    else outcome.bad.push({ kind: event.kind, offset: event.offset });
  });
  if (!chunked) decoder.push(stream);
  else
    for (let at = 0; at < stream.length; ) {
      // TCP splits anywhere: one byte up to a few segments' worth.
      const size = 1 + rng.below(rng.below(4) === 0 ? 200 : 24);
      decoder.push(stream.subarray(at, at + size));
      // The link's partial-packet timeout firing between reads (random streams only: it may drop real packets).
      if (giveUpPartials && rng.below(4) === 0) decoder.flushPartial();
      at += size;
    }
  decoder.flush();
  return outcome;
}

function checkInvariants(stream: Buffer, outcome: Outcome): string | undefined {
  let inFrames = 0;
  let previousEnd = 0;
  for (const { offset, frame, length } of outcome.frames) {
    const wire = encodeFrame(frame);
    if (wire.length !== length) return `packet at ${offset} reported ${length} bytes, re-encodes to ${wire.length}`;
    if (offset < previousEnd) return `packet at ${offset} overlaps the previous one`;
    if (!stream.subarray(offset, offset + wire.length).equals(wire)) return `packet reported at ${offset} is not the bytes there`;
    // Whatever a peer put in the application data, decoding it is a result, never an exception.
    decodeAppUnit(frame.appData);
    inFrames += wire.length;
    previousEnd = offset + wire.length;
  }
  if (inFrames + outcome.dropped !== stream.length) return `accounted ${inFrames} packet + ${outcome.dropped} dropped bytes of ${stream.length}`;
  for (const bad of outcome.bad) {
    if (bad.offset < 0 || bad.offset >= stream.length || stream[bad.offset] !== 0x40) return `${bad.kind} reported at ${bad.offset}, which is not an '@' of the stream`;
  }
  return undefined;
}

/** A valid packet built byte by byte (random control unit, command and data), so the decoder is not checked against itself. */
function randomFrame(rng: Prng): Buffer {
  // Mostly short packets (confirms, heartbeats, a few objects); now and then one up to the 1024-byte limit.
  const length = rng.below(256) === 0 ? rng.below(MAX_APP_DATA + 1) : rng.below(48);
  const out = rng.bytes(FRAME_OVERHEAD + length);
  out[0] = 0x40;
  out[1] = 0x40;
  out.writeUInt16LE(length, 24);
  let sum = 0;
  for (let i = 2; i < 27 + length; i++) sum += out[i]!;
  out[27 + length] = sum & 0xff;
  out[28 + length] = 0x23;
  out[29 + length] = 0x23;
  return out;
}

/** Garbage with the bytes that matter most over-represented: markers and small length bytes. */
function nastyGarbage(rng: Prng, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const pick = rng.below(8);
    out[i] = pick === 0 ? 0x40 : pick === 1 ? 0x23 : pick === 2 ? rng.below(8) : rng.next() & 0xff;
  }
  return out;
}

/** '@@', 22 control-unit bytes and a plausible length: a false start that claims what follows. */
function falseStart(rng: Prng): Buffer {
  const out = Buffer.concat([Buffer.from('@@'), rng.bytes(22), Buffer.alloc(2)]);
  out.writeUInt16LE(rng.below(rng.below(8) === 0 ? MAX_APP_DATA + 200 : 64), 24);
  return out;
}

interface Embedded {
  stream: Buffer;
  frames: { offset: number; length: number }[];
}

function embed(rng: Prng): Embedded {
  const parts: Buffer[] = [];
  const frames: { offset: number; length: number }[] = [];
  let at = 0;
  const count = 1 + rng.below(3);
  for (let k = 0; k <= count; k++) {
    let garbage = rng.below(2) === 0 ? rng.bytes(rng.below(32)) : nastyGarbage(rng, rng.below(32));
    if (k < count && rng.below(4) === 0) garbage = Buffer.concat([garbage, falseStart(rng)]);
    parts.push(garbage);
    at += garbage.length;
    if (k === count) break;
    const frame = randomFrame(rng);
    frames.push({ offset: at, length: frame.length });
    parts.push(frame);
    at += frame.length;
  }
  return { stream: Buffer.concat(parts), frames };
}

function missing(embedded: Embedded, outcome: Outcome): { unexplained: number; accidental: number } {
  const found = new Set(outcome.frames.map((f) => f.offset));
  let unexplained = 0;
  let accidental = 0;
  for (const { offset, length } of embedded.frames) {
    if (found.has(offset)) continue;
    const overlapped = outcome.frames.some((f) => f.offset < offset + length && f.offset + f.length > offset);
    if (overlapped) accidental++;
    else unexplained++;
  }
  return { unexplained, accidental };
}

/** One byte flipped, inserted, deleted, or a slice repeated or cut, inside one of the embedded packets. */
function mutate(rng: Prng, embedded: Embedded): { stream: Buffer; intact: number[] } {
  const victimIndex = rng.below(embedded.frames.length);
  const victim = embedded.frames[victimIndex]!;
  const at = victim.offset + rng.below(victim.length);
  const s = embedded.stream;
  let stream: Buffer;
  let shift = 0;
  switch (rng.below(5)) {
    case 0:
      stream = Buffer.from(s);
      stream[at] = stream[at]! ^ (1 << rng.below(8));
      break;
    case 1:
      stream = Buffer.concat([s.subarray(0, at), Buffer.from([rng.next() & 0xff]), s.subarray(at)]);
      shift = 1;
      break;
    case 2:
      stream = Buffer.concat([s.subarray(0, at), s.subarray(at + 1)]);
      shift = -1;
      break;
    case 3: {
      const cut = Math.min(1 + rng.below(6), victim.offset + victim.length - at);
      stream = Buffer.concat([s.subarray(0, at), s.subarray(at + cut)]);
      shift = -cut;
      break;
    }
    default: {
      const size = 1 + rng.below(6);
      stream = Buffer.concat([s.subarray(0, at), s.subarray(at, at + size), s.subarray(at)]);
      shift = Math.min(size, s.length - at);
      break;
    }
  }
  const intact = embedded.frames.filter((_, i) => i !== victimIndex).map((f) => (f.offset > victim.offset ? f.offset + shift : f.offset));
  return { stream, intact };
}

describe(`GB/T 26875.3 decoder fuzz (seed 0x${SEED.toString(16)}; set FUZZ_SEED to reproduce another)`, () => {
  it('survives 1,000,000+ random, embedded and mutated streams and finds every embedded packet', () => {
    const rng = new Prng(SEED);
    const totals = { streams: 0, random: 0, embedded: 0, mutated: 0, packetsEmbedded: 0, packetsFound: 0, accidental: 0, badChecksums: 0, badLengths: 0, mutatedDetected: 0 };
    const fail = (kind: string, index: number, stream: Buffer, why: string) => {
      throw new Error(`${kind} stream #${index} (seed 0x${SEED.toString(16)}): ${why}\nstream: ${stream.toString('hex')}`);
    };
    const TOTAL = 1_020_000;
    for (let index = 0; index < TOTAL; index++) {
      const chunked = index % 8 === 0;
      const mode = index % 3;
      if (mode === 0) {
        const stream = rng.below(2) === 0 ? rng.bytes(rng.below(80)) : Buffer.concat([nastyGarbage(rng, rng.below(40)), rng.below(4) === 0 ? falseStart(rng) : Buffer.alloc(0), nastyGarbage(rng, rng.below(40))]);
        const outcome = decode(stream, rng, chunked, true);
        const broken = checkInvariants(stream, outcome);
        if (broken) fail('random', index, stream, broken);
        totals.random++;
        continue;
      }
      const embedded = embed(rng);
      if (mode === 1) {
        const outcome = decode(embedded.stream, rng, chunked);
        const broken = checkInvariants(embedded.stream, outcome);
        if (broken) fail('embedded', index, embedded.stream, broken);
        const { unexplained, accidental } = missing(embedded, outcome);
        if (unexplained > 0) fail('embedded', index, embedded.stream, `${unexplained} embedded packet(s) not found at ${embedded.frames.map((f) => f.offset).join(', ')}`);
        totals.embedded++;
        totals.packetsEmbedded += embedded.frames.length;
        totals.packetsFound += embedded.frames.length - accidental;
        totals.accidental += accidental;
        continue;
      }
      const { stream, intact } = mutate(rng, embedded);
      const outcome = decode(stream, rng, chunked);
      const broken = checkInvariants(stream, outcome);
      if (broken) fail('mutated', index, stream, broken);
      const found = new Set(outcome.frames.map((f) => f.offset));
      const lost = intact.filter((offset) => !found.has(offset) && !outcome.frames.some((f) => f.offset < offset && f.offset + f.length > offset));
      if (lost.length > 0) fail('mutated', index, stream, `untouched packet(s) at ${lost.join(', ')} not found`);
      totals.badChecksums += outcome.bad.filter((b) => b.kind === 'bad_checksum').length;
      totals.badLengths += outcome.bad.filter((b) => b.kind === 'bad_length').length;
      if (outcome.bad.length > 0) totals.mutatedDetected++;
      totals.mutated++;
    }
    totals.streams = totals.random + totals.embedded + totals.mutated;
    console.log(JSON.stringify({ fuzz: totals }));
    expect(totals.streams).toBeGreaterThanOrEqual(1_000_000);
    // An accidental packet needs '@@', a length ≤ 1024, '##' exactly where it says and a matching sum.
    expect(totals.accidental).toBeLessThan(totals.packetsEmbedded / 10_000);
    // A flipped bit in a packet's body keeps its markers: the sum catches it and says where (deny, count).
    expect(totals.badChecksums).toBeGreaterThan(totals.mutated / 10);
    expect(totals.packetsFound).toBeGreaterThan(0);
  }, 120_000);

  it('decodes 300,000 random application data units of every type, and applies the sound ones, without throwing', () => {
    const rng = new Prng(SEED ^ 0x9e3779b9);
    const types = Object.values(TYPE);
    const outcomes: Record<string, number> = { ok: 0 };
    let panel = new PanelState();
    for (let index = 0; index < 300_000; index++) {
      const type = rng.below(4) === 0 ? rng.below(256) : types[rng.below(types.length)]!;
      const count = rng.below(3) === 0 ? rng.below(256) : 1 + rng.below(3);
      // Half the time exactly the size a well-formed unit would need, so object decoders run on random bodies.
      const sizes: Record<number, number> = { 1: 10, 2: 46, 3: 16, 4: 10, 21: 7, 24: 8, 61: 2, 81: 1, 90: 6, 91: 1 };
      const body = rng.below(2) === 0 && sizes[type] !== undefined ? count * sizes[type]! : rng.below(200);
      const data = Buffer.concat([Buffer.from([type, count]), rng.bytes(Math.min(body, MAX_APP_DATA - 2))]);
      const result = decodeAppUnit(data.subarray(0, rng.below(8) === 0 ? rng.below(data.length + 1) : data.length));
      // What the driver does with a sound unit must not throw either, whatever the bits say.
      // (A fresh panel now and then: a real one has hundreds of components, not 50,000.)
      if (index % 200 === 0) panel = new PanelState();
      if (result.ok) panel.apply(result.unit);
      const key = result.ok ? 'ok' : result.reason;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (!result.ok && (result.offset < 0 || result.offset > data.length)) throw new Error(`offset ${result.offset} outside the unit of ${data.length} bytes`);
    }
    console.log(JSON.stringify({ appUnitFuzz: outcomes }));
    expect(outcomes.ok).toBeGreaterThan(1000);
    expect(outcomes.bad_length).toBeGreaterThan(0);
    expect(outcomes.bad_count).toBeGreaterThan(0);
  });

  it('the overhead constant matches an empty packet', () => {
    expect(FRAME_OVERHEAD).toBe(30);
  });
});
