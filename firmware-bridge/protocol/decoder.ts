// Streaming frame decoder: bytes in any chunking → frames, with every discarded byte accounted for.
// Resync rule (PROTOCOL.md §3): on a bad marker, an impossible length or a CRC mismatch, discard ONE byte
// and scan again from the next 0xA5 (./resync.ts, shared with the GB/T 26875.3 packet decoder). It never
// throws on any input.
import { crc16 } from './crc.js';
import { FRAME_OVERHEAD, HEADER_BYTES, MARKER_0, MARKER_1, MAX_PAYLOAD, type Frame } from './frame.js';
import { INCOMPLETE, NOT_HERE, ResyncDecoder, type Candidate, type DroppedEvent, type StreamCounters } from './resync.js';

export type DecoderEvent =
  /** A frame whose CRC matched; offset is its first marker byte's position in the stream. */
  | { readonly kind: 'frame'; readonly frame: Frame; readonly offset: number }
  /** A candidate frame (marker + plausible length, fully received) whose CRC did not match. */
  | { readonly kind: 'crc_error'; readonly offset: number; readonly length: number; readonly received: number; readonly computed: number }
  /** Bytes discarded while hunting for a frame: [offset, offset + count) of the stream. */
  | DroppedEvent;

export interface DecoderCounters extends StreamCounters {
  frames: number;
  crcErrors: number;
}

type Reported = Exclude<DecoderEvent, DroppedEvent>;

export class FrameDecoder extends ResyncDecoder<Reported, DecoderCounters> {
  /** @param onEvent receives frames, CRC errors and dropped-byte runs in stream order. */
  constructor(onEvent: (event: DecoderEvent) => void) {
    super(MARKER_0, { frames: 0, crcErrors: 0, droppedBytes: 0, bytes: 0 }, onEvent);
  }

  protected candidate(buf: Buffer, i: number, n: number, offset: number): Candidate<Reported> {
    if (i + 2 >= n) return INCOMPLETE;
    const length = buf[i + 2]!;
    if (buf[i + 1] !== MARKER_1 || length > MAX_PAYLOAD) return NOT_HERE;
    const total = FRAME_OVERHEAD + length;
    if (i + total > n) return INCOMPLETE;
    const crcAt = i + HEADER_BYTES + length;
    const computed = crc16(buf, i + 2, crcAt);
    const received = buf[crcAt]! | (buf[crcAt + 1]! << 8);
    if (computed !== received) {
      this.counters.crcErrors++;
      return { kind: 'not_here', event: { kind: 'crc_error', offset, length, received, computed } };
    }
    this.counters.frames++;
    const frame: Frame = { type: buf[i + 3]!, seq: buf[i + 4]!, node: buf[i + 5]!, payload: buf.subarray(i + HEADER_BYTES, crcAt) };
    return { kind: 'packet', length: total, event: { kind: 'frame', frame, offset } };
  }
}
