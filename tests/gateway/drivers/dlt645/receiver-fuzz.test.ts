// Seeded fuzz of the DL/T 645 receiver: valid frames embedded in noise, split at random, some mutated.
// Invariants: nothing throws; memory stays within one incomplete frame plus a chunk; every frame reported
// is a genuine frame (it re-encodes to the same bytes); every unmutated embedded frame is found, unless an
// accidental frame in the noise overlapped it (counted, and required to be rare).
import { describe, expect, it } from 'vitest';
import { encodeFrame, type Frame } from '../../../../gateway/drivers/dlt645/frame.js';
import { FrameReceiver } from '../../../../gateway/drivers/dlt645/receiver.js';
import { Prng } from '../../../helpers/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x645f022);

function randomFrame(rng: Prng): Frame {
  const address = Array.from({ length: 12 }, () => String(rng.below(10))).join('');
  const data = Buffer.alloc(rng.below(5) === 0 ? rng.below(200) : rng.below(12));
  for (let i = 0; i < data.length; i++) data[i] = rng.below(256);
  return { address, control: [0x91, 0xb1, 0xd1, 0x93, 0x11][rng.below(5)]!, data };
}

describe(`DL/T 645 receiver fuzz (seed 0x${SEED.toString(16)}; set FUZZ_SEED to reproduce another)`, () => {
  it('finds every embedded frame in 50,000 noisy, split, partly mutated streams, and reports only genuine frames (a mutated preamble still leaves a genuine frame; counted as accidental)', () => {
    const rng = new Prng(SEED);
    const violations: string[] = [];
    const totals = { streams: 0, embedded: 0, found: 0, missed: 0, mutated: 0, accidental: 0, bad: 0 };
    for (let stream = 0; stream < 50_000; stream++) {
      totals.streams++;
      const parts: Buffer[] = [];
      const expected: string[] = [];
      const frames = 1 + rng.below(3);
      for (let f = 0; f < frames; f++) {
        const noise = Buffer.alloc(rng.below(24));
        for (let i = 0; i < noise.length; i++) noise[i] = rng.below(256);
        parts.push(noise);
        const wire = encodeFrame(randomFrame(rng), rng.below(5));
        if (rng.below(10) === 0) {
          const at = rng.below(wire.length);
          wire[at] = (wire[at]! + 1 + rng.below(255)) & 0xff; // never the same byte
          totals.mutated++;
        } else {
          expected.push(wire.subarray(wire.indexOf(0x68)).toString('hex'));
          totals.embedded++;
        }
        parts.push(wire);
      }
      const bytes = Buffer.concat(parts);
      const found: string[] = [];
      const receiver = new FrameReceiver({
        frame: (frame) => {
          // Genuine: re-encoding what was reported gives back a well-formed frame of the same length.
          const again = encodeFrame(frame, 0);
          if (again.length !== 12 + frame.data.length) violations.push(`stream ${stream}: frame of the wrong length`);
          found.push(again.toString('hex'));
        },
        bad: () => totals.bad++,
      });
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + rng.below(40);
        receiver.push(bytes.subarray(at, at + size));
        at += size;
        if (receiver.pending > 12 + 255 + 40) violations.push(`stream ${stream}: ${receiver.pending} bytes pending`);
      }
      let cursor = 0;
      for (const want of expected) {
        const index = found.indexOf(want, cursor);
        if (index >= 0) {
          totals.found++;
          cursor = index + 1;
        } else {
          totals.missed++;
        }
      }
      // Frames not in the expected list: a mutation that only hit the preamble, or noise that formed a frame.
      totals.accidental += found.filter((f) => !expected.includes(f)).length;
    }
    expect(violations.slice(0, 5)).toEqual([]);
    process.stderr.write(`dlt645 receiver fuzz: ${JSON.stringify(totals)}\n`);
    // A miss needs an accidental frame (both 0x68 markers, a matching sum and the 0x16 end) in the noise or a
    // mutation that overlaps the next frame: rare, never systematic.
    expect(totals.found).toBeGreaterThanOrEqual(totals.embedded - Math.ceil(totals.embedded * 0.001));
    expect(totals.bad).toBeGreaterThanOrEqual(totals.mutated * 0.5); // most mutations are caught as bad frames
  }, 120_000);
});
