// The receive side of the DL/T 645 codec: bytes in any chunking → whole, checked frames.
// Robust to what an RS-485 line delivers: FE preambles (skipped), noise before and between frames, split
// reads, a stray 0x68 that starts nothing, a frame cut short by a later one. A candidate counts as a frame
// only with both 0x68 markers, a length that fits, a matching checksum and the 0x16 end; a candidate that
// has the markers but fails a check is counted as a bad frame with its byte offset in the stream.
// Memory is bounded: what is kept is at most one incomplete frame (12 + 255 bytes).
import { checksum, DATA_OFFSET, decodeAddress, END, MIN_FRAME, PREAMBLE, START, type Frame } from './frame.js';

export interface BadFrame {
  /** Offset in the byte stream since the receiver was made (or last reset) of the candidate's first 0x68. */
  readonly offset: number;
  readonly reason: 'checksum' | 'end_marker';
  readonly detail: string;
}

export interface ReceiverEvents {
  frame(frame: Frame, offset: number): void;
  bad(bad: BadFrame): void;
}

type Candidate = { kind: 'incomplete' } | { kind: 'not_a_frame' } | { kind: 'bad'; bad: BadFrame; length: number } | { kind: 'frame'; frame: Frame; length: number };

export class FrameReceiver {
  private buffer = Buffer.alloc(0);
  /** Stream offset of buffer[0]. */
  private base = 0;
  /** Bytes that belonged to no frame and were not preamble (noise, late halves), for the stats. */
  garbageBytes = 0;
  badFrames = 0;

  constructor(private readonly on: ReceiverEvents) {}

  /** Feeds received bytes; emits every complete frame they finish, in order. */
  push(chunk: Uint8Array): void {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const found = this.nextFrame();
      if (!found) return;
    }
  }

  /** Bytes waiting for the rest of a frame. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Drops whatever is buffered (before a new request: a late half-answer must not join the next one). Returns the bytes dropped. */
  reset(): number {
    const dropped = this.buffer.length;
    this.base += dropped;
    this.garbageBytes += dropped;
    this.buffer = Buffer.alloc(0);
    return dropped;
  }

  /**
   * Finds the first complete good frame in the buffer and emits it, discarding what lies before it.
   * A candidate still arriving is waited for, unless a complete good frame starts after it: then the first
   * one was cut short (a meter that stopped mid-answer) and is counted bad.
   */
  private nextFrame(): boolean {
    const buf = this.buffer;
    let firstIncomplete = -1;
    const bad: { at: number; bad: BadFrame }[] = [];
    for (let i = buf.indexOf(START); i >= 0 && i < buf.length; i = buf.indexOf(START, i + 1)) {
      const candidate = this.candidateAt(i);
      if (candidate.kind === 'not_a_frame') continue;
      if (candidate.kind === 'incomplete') {
        if (firstIncomplete < 0) firstIncomplete = i;
        continue;
      }
      if (candidate.kind === 'bad') {
        bad.push({ at: i, bad: candidate.bad });
        continue;
      }
      if (firstIncomplete >= 0) {
        this.report({ offset: this.base + firstIncomplete, reason: 'end_marker', detail: `frame cut short: a new frame started at offset ${this.base + i}` });
      }
      for (const b of bad) this.report(b.bad);
      this.discard(i);
      this.buffer = this.buffer.subarray(candidate.length);
      this.base += candidate.length;
      this.on.frame(candidate.frame, this.base - candidate.length);
      return true;
    }
    // Keep from the first candidate still arriving; everything before it is garbage (or preamble), and a bad
    // candidate after it is judged again once the first one is complete.
    const keepFrom = firstIncomplete >= 0 ? firstIncomplete : buf.length;
    for (const b of bad) if (b.at < keepFrom) this.report(b.bad);
    this.discard(keepFrom);
    return false;
  }

  private candidateAt(i: number): Candidate {
    const buf = this.buffer;
    if (buf.length - i < 10) return { kind: 'incomplete' };
    if (buf[i + 7] !== START) return { kind: 'not_a_frame' };
    const dataLength = buf[i + 9]!;
    const length = MIN_FRAME + dataLength;
    if (buf.length - i < length) return { kind: 'incomplete' };
    const csAt = i + 10 + dataLength;
    const offset = this.base + i;
    const sum = checksum(buf, i, csAt);
    if (sum !== buf[csAt]) {
      return { kind: 'bad', length, bad: { offset, reason: 'checksum', detail: `checksum 0x${buf[csAt]!.toString(16)} but bytes sum to 0x${sum.toString(16)}` } };
    }
    if (buf[csAt + 1] !== END) {
      return { kind: 'bad', length, bad: { offset, reason: 'end_marker', detail: `byte 0x${buf[csAt + 1]!.toString(16)} where the 0x16 end belongs` } };
    }
    const data = Buffer.alloc(dataLength);
    for (let k = 0; k < dataLength; k++) data[k] = (buf[i + 10 + k]! - DATA_OFFSET) & 0xff;
    return { kind: 'frame', length, frame: { address: decodeAddress(buf.subarray(i + 1, i + 7)), control: buf[i + 8]!, data } };
  }

  private report(bad: BadFrame): void {
    this.badFrames++;
    this.on.bad(bad);
  }

  /** Drops the first `count` bytes, counting the ones that were not FE preamble as garbage. */
  private discard(count: number): void {
    for (let k = 0; k < count; k++) if (this.buffer[k] !== PREAMBLE) this.garbageBytes++;
    this.buffer = this.buffer.subarray(count);
    this.base += count;
  }
}

/** Every frame in a complete byte string (golden cases, installer tools), with the bad ones beside them. */
export function framesIn(bytes: Uint8Array): { frames: Frame[]; bad: BadFrame[] } {
  const frames: Frame[] = [];
  const bad: BadFrame[] = [];
  new FrameReceiver({ frame: (frame) => frames.push(frame), bad: (b) => bad.push(b) }).push(bytes);
  return { frames, bad };
}
