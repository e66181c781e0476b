// Streaming packet decoder for a TCP byte stream: any chunking in, packets out, every discarded byte
// accounted for with its stream offset. Resync rule (firmware-bridge/protocol/resync.ts, shared with the
// firmware-bridge frame decoder): on a bad start, an impossible length, a missing '##' or a sum mismatch,
// discard ONE byte and scan again from the next '@'. It never throws on any input.
import { INCOMPLETE, NOT_HERE, ResyncDecoder, type Candidate, type DroppedEvent, type StreamCounters } from '../../../../firmware-bridge/protocol/resync.js';
import { END, FRAME_OVERHEAD, HEADER_BYTES, LENGTH_AT, MAX_APP_DATA, readControlUnit, START, sum8, type Frame } from './frame.js';

export type DecoderEvent =
  /** A packet with both markers and a matching sum; offset is its first '@' in the stream. */
  | { readonly kind: 'frame'; readonly frame: Frame; readonly offset: number; readonly length: number }
  /**
   * A complete candidate (start, plausible length, '##' where the length says) whose sum did not match:
   * almost surely a real packet damaged on the way, so the link denies it (command 6). Its control unit is
   * as received (possibly damaged too).
   */
  | { readonly kind: 'bad_checksum'; readonly offset: number; readonly length: number; readonly received: number; readonly computed: number; readonly serial: number; readonly command: number }
  /** '@@' followed by a length over 1024: not a packet (or a broken sender). */
  | { readonly kind: 'bad_length'; readonly offset: number; readonly declared: number }
  /** Bytes discarded while hunting for a packet: [offset, offset + count) of the stream. */
  | DroppedEvent;

export interface DecoderCounters extends StreamCounters {
  frames: number;
  badChecksums: number;
  badLengths: number;
}

type Reported = Exclude<DecoderEvent, DroppedEvent>;

export class PacketDecoder extends ResyncDecoder<Reported, DecoderCounters> {
  /** @param onEvent receives packets, bad candidates and dropped-byte runs in stream order. */
  constructor(onEvent: (event: DecoderEvent) => void) {
    super(START, { frames: 0, badChecksums: 0, badLengths: 0, droppedBytes: 0, bytes: 0 }, onEvent);
  }

  protected candidate(buf: Buffer, i: number, n: number, offset: number): Candidate<Reported> {
    if (i + 1 < n && buf[i + 1] !== START) return NOT_HERE;
    // Wait for the length field (and then the whole candidate).
    if (i + LENGTH_AT + 2 > n) return INCOMPLETE;
    const declared = buf[i + LENGTH_AT]! | (buf[i + LENGTH_AT + 1]! << 8);
    if (declared > MAX_APP_DATA) {
      this.counters.badLengths++;
      return { kind: 'not_here', event: { kind: 'bad_length', offset, declared } };
    }
    const total = FRAME_OVERHEAD + declared;
    if (i + total > n) return INCOMPLETE;
    const sumAt = i + HEADER_BYTES + declared;
    if (buf[sumAt + 1] !== END || buf[sumAt + 2] !== END) return NOT_HERE;
    const computed = sum8(buf, i + 2, sumAt);
    const received = buf[sumAt]!;
    if (computed !== received) {
      this.counters.badChecksums++;
      return { kind: 'not_here', event: { kind: 'bad_checksum', offset, length: total, received, computed, serial: buf[i + 2]! | (buf[i + 3]! << 8), command: buf[i + 26]! } };
    }
    this.counters.frames++;
    const frame: Frame = { control: readControlUnit(buf, i), appData: buf.subarray(i + HEADER_BYTES, sumAt) };
    return { kind: 'packet', length: total, event: { kind: 'frame', frame, offset, length: total } };
  }
}
