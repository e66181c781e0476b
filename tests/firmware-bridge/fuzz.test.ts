// Fuzz test of the streaming decoder (firmware-bridge/PROTOCOL.md §3): 1,000,000+ random and mutated byte
// streams. For every stream: nothing throws; every reported frame is a genuine frame (its bytes re-encode
// exactly); every byte is accounted for once (in a frame or in a dropped run); and every valid frame that
// was embedded in garbage is found, unless an accidental valid frame in the garbage overlapped it (counted,
// and required to be rare). Seeded, so a failure names the seed and stream that reproduce it.
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../firmware-bridge/protocol/decoder.js';
import { encodeFrame, type Frame } from '../../firmware-bridge/protocol/frame.js';
import { decodeMessage, KIND_CODES } from '../../firmware-bridge/protocol/messages.js';
import { Prng } from '../helpers/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1234);

interface Outcome {
  frames: { offset: number; frame: Frame }[];
  dropped: number;
  crcErrors: number;
}

/** Runs a stream through a fresh decoder in random chunks; flush() at the end, as at end of stream. */
function decode(stream: Buffer, rng: Prng, chunked: boolean, giveUpPartials = false): Outcome {
  const outcome: Outcome = { frames: [], dropped: 0, crcErrors: 0 };
  const decoder = new FrameDecoder((event) => {
    if (event.kind === 'frame') outcome.frames.push({ offset: event.offset, frame: event.frame });
    else if (event.kind === 'dropped') outcome.dropped += event.count;
    else outcome.crcErrors++;
  });
  if (!chunked) decoder.push(stream);
  else for (let at = 0; at < stream.length; ) {
    const size = 1 + rng.below(24);
    decoder.push(stream.subarray(at, at + size));
    // The link's partial-frame timeout firing between chunks (random streams only: it may drop real frames).
    if (giveUpPartials && rng.below(4) === 0) decoder.flushPartial();
    at += size;
  }
  decoder.flush();
  return outcome;
}

/** The invariants every stream must keep, whatever its bytes. Returns a failure text or undefined. */
function checkInvariants(stream: Buffer, outcome: Outcome): string | undefined {
  let inFrames = 0;
  let previousEnd = 0;
  for (const { offset, frame } of outcome.frames) {
    const wire = encodeFrame(frame);
    if (offset < previousEnd) return `frame at ${offset} overlaps the previous one`;
    if (!stream.subarray(offset, offset + wire.length).equals(wire)) return `frame reported at ${offset} is not the bytes there`;
    inFrames += wire.length;
    previousEnd = offset + wire.length;
  }
  if (inFrames + outcome.dropped !== stream.length) return `accounted ${inFrames} frame + ${outcome.dropped} dropped bytes of ${stream.length}`;
  return undefined;
}

function randomFrame(rng: Prng): Buffer {
  const length = rng.below(8) === 0 ? rng.below(241) : rng.below(24);
  return encodeFrame({ type: rng.below(256), seq: rng.below(256), node: rng.below(256), payload: rng.bytes(length) });
}

/** Garbage with the bytes that matter most over-represented: markers and small length bytes. */
function nastyGarbage(rng: Prng, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const pick = rng.below(8);
    out[i] = pick === 0 ? 0xa5 : pick === 1 ? 0x5a : pick === 2 ? rng.below(16) : rng.next() & 0xff;
  }
  return out;
}

interface Embedded {
  stream: Buffer;
  frames: { offset: number; length: number }[];
}

/** Garbage, frame, garbage, frame …; garbage sometimes ends in a false start (A5 5A len) that claims the frame. */
function embed(rng: Prng): Embedded {
  const parts: Buffer[] = [];
  const frames: { offset: number; length: number }[] = [];
  let at = 0;
  const count = 1 + rng.below(3);
  for (let k = 0; k <= count; k++) {
    let garbage = rng.below(2) === 0 ? rng.bytes(rng.below(24)) : nastyGarbage(rng, rng.below(24));
    if (k < count && rng.below(4) === 0) garbage = Buffer.concat([garbage, Buffer.from([0xa5, 0x5a, rng.below(241)])]);
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

/** Embedded frames not found, excused only when a genuine accidental frame overlaps them. */
function missing(embedded: Embedded, outcome: Outcome): { unexplained: number; accidental: number } {
  const found = new Set(outcome.frames.map((f) => f.offset));
  let unexplained = 0;
  let accidental = 0;
  for (const { offset, length } of embedded.frames) {
    if (found.has(offset)) continue;
    const overlapped = outcome.frames.some((f) => f.offset < offset + length && f.offset + FRAME_LENGTH(f.frame) > offset);
    if (overlapped) accidental++;
    else unexplained++;
  }
  return { unexplained, accidental };
}

const FRAME_LENGTH = (frame: Frame) => 8 + frame.payload.length;

/** One byte flipped, inserted, deleted, or a slice repeated or cut, inside one of the embedded frames. */
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

describe(`decoder fuzz (seed 0x${SEED.toString(16)}; set FUZZ_SEED to reproduce another)`, () => {
  it('survives 1,000,000+ random, embedded and mutated streams and finds every embedded frame', () => {
    const rng = new Prng(SEED);
    const totals = { streams: 0, random: 0, embedded: 0, mutated: 0, framesEmbedded: 0, framesFound: 0, accidental: 0, crcErrors: 0 };
    const fail = (kind: string, index: number, stream: Buffer, why: string) => {
      throw new Error(`${kind} stream #${index} (seed 0x${SEED.toString(16)}): ${why}\nstream: ${stream.toString('hex')}`);
    };
    const TOTAL = 1_050_000;
    for (let index = 0; index < TOTAL; index++) {
      const chunked = index % 8 === 0;
      const mode = index % 3;
      if (mode === 0) {
        const stream = rng.below(2) === 0 ? rng.bytes(rng.below(64)) : nastyGarbage(rng, rng.below(64));
        const outcome = decode(stream, rng, chunked, true);
        const broken = checkInvariants(stream, outcome);
        if (broken) fail('random', index, stream, broken);
        totals.random++;
        totals.crcErrors += outcome.crcErrors;
        continue;
      }
      const embedded = embed(rng);
      if (mode === 1) {
        const outcome = decode(embedded.stream, rng, chunked);
        const broken = checkInvariants(embedded.stream, outcome);
        if (broken) fail('embedded', index, embedded.stream, broken);
        const { unexplained, accidental } = missing(embedded, outcome);
        if (unexplained > 0) fail('embedded', index, embedded.stream, `${unexplained} embedded frame(s) not found at ${embedded.frames.map((f) => f.offset).join(', ')}`);
        totals.embedded++;
        totals.framesEmbedded += embedded.frames.length;
        totals.framesFound += embedded.frames.length - accidental;
        totals.accidental += accidental;
        continue;
      }
      const { stream, intact } = mutate(rng, embedded);
      const outcome = decode(stream, rng, chunked);
      const broken = checkInvariants(stream, outcome);
      if (broken) fail('mutated', index, stream, broken);
      // An untouched frame may only be missing if a genuine (accidental) frame covers its first byte.
      const found = new Set(outcome.frames.map((f) => f.offset));
      const lost = intact.filter((offset) => !found.has(offset) && !outcome.frames.some((f) => f.offset < offset && f.offset + FRAME_LENGTH(f.frame) > offset));
      if (lost.length > 0) fail('mutated', index, stream, `untouched frame(s) at ${lost.join(', ')} not found`);
      totals.mutated++;
    }
    totals.streams = totals.random + totals.embedded + totals.mutated;
    console.log(JSON.stringify({ fuzz: totals }));
    expect(totals.streams).toBeGreaterThanOrEqual(1_000_000);
    // Accidental valid frames in random garbage need a marker and a matching CRC: about 1 in 65,536 false starts.
    expect(totals.accidental).toBeLessThan(totals.framesEmbedded / 10_000);
    expect(totals.framesFound).toBeGreaterThan(0);
  }, 60_000);

  it('decodes 300,000 random payloads of every message kind without throwing', () => {
    const rng = new Prng(SEED ^ 0x9e3779b9);
    const codes = Object.values(KIND_CODES);
    const outcomes = { ok: 0, bad_payload: 0, unknown_type: 0, unsupported_version: 0 };
    for (let index = 0; index < 300_000; index++) {
      const base = rng.below(4) === 0 ? rng.below(128) : codes[rng.below(codes.length)]!;
      const frame: Frame = { type: base | (rng.below(2) << 7), seq: rng.below(256), node: rng.below(256), payload: rng.bytes(rng.below(40)) };
      const result = decodeMessage(frame);
      outcomes[result.ok ? 'ok' : result.reason]++;
    }
    console.log(JSON.stringify({ payloadFuzz: outcomes }));
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.bad_payload).toBeGreaterThan(0);
  });
});
