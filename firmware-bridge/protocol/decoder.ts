// Streaming frame decoder: bytes in any chunking → frames, with every discarded byte accounted for.
// Resync rule (PROTOCOL.md §3): on a bad marker, an impossible length or a CRC mismatch, discard ONE byte
// and scan again from the next 0xA5. Skipping a whole bogus "frame" would swallow a real frame hidden
// inside a false marker's claimed length; skipping one byte never does. It never throws on any input.
import { crc16 } from './crc.js';
import { FRAME_OVERHEAD, HEADER_BYTES, MARKER_0, MARKER_1, MAX_PAYLOAD, type Frame } from './frame.js';

export type DecoderEvent =
  /** A frame whose CRC matched; offset is its first marker byte's position in the stream. */
  | { readonly kind: 'frame'; readonly frame: Frame; readonly offset: number }
  /** A candidate frame (marker + plausible length, fully received) whose CRC did not match. */
  | { readonly kind: 'crc_error'; readonly offset: number; readonly length: number; readonly received: number; readonly computed: number }
  /** Bytes discarded while hunting for a frame: [offset, offset + count) of the stream. */
  | { readonly kind: 'dropped'; readonly offset: number; readonly count: number };

export interface DecoderCounters {
  frames: number;
  crcErrors: number;
  droppedBytes: number;
  /** Bytes taken in since construction (the stream offset of the next byte). */
  bytes: number;
}

const EMPTY = Buffer.alloc(0);

export class FrameDecoder {
  private pending: Buffer = EMPTY;
  /** Stream offset of pending[0]. */
  private base = 0;
  private dropStart = 0;
  private dropCount = 0;
  /** Events of the current scan, delivered after the decoder's state is consistent again. */
  private out: DecoderEvent[] = [];
  readonly counters: DecoderCounters = { frames: 0, crcErrors: 0, droppedBytes: 0, bytes: 0 };

  /** @param onEvent receives frames, CRC errors and dropped-byte runs in stream order. */
  constructor(private readonly onEvent: (event: DecoderEvent) => void) {}

  /** Feeds received bytes; complete frames are reported before push returns. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.counters.bytes += chunk.length;
    // Copy: frames hand out payload slices, and the caller may reuse its chunk buffer.
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    this.scan(false);
    this.deliver();
  }

  /** End of stream or line idle: a partial frame will not be completed, so its bytes are garbage. */
  flush(): void {
    this.scan(true);
    this.deliver();
  }

  /**
   * State is settled before any listener runs, and every event is delivered even if a listener throws;
   * the first listener error is then rethrown to the caller (it is the listener's bug, not the line's).
   */
  private deliver(): void {
    if (this.out.length === 0) return;
    const events = this.out;
    this.out = [];
    let failure: { error: unknown } | undefined;
    for (const event of events) {
      try {
        this.onEvent(event);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  /**
   * The partial frame held now will not be completed (it has waited too long): discard its first byte and
   * rescan the rest, which may hold complete frames or another partial one (kept).
   */
  flushPartial(): void {
    if (this.pending.length === 0) return;
    this.drop(0, 1);
    this.pending = this.pending.subarray(1);
    this.base += 1;
    this.scan(false);
    this.deliver();
  }

  /** Bytes held while waiting for the rest of a frame (at most MAX_FRAME - 1). */
  get buffered(): number {
    return this.pending.length;
  }

  /** Stream offset of the first held byte (the start of the partial frame). */
  get bufferedOffset(): number {
    return this.base;
  }

  private scan(final: boolean): void {
    const buf = this.pending;
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (buf[i] !== MARKER_0) {
        const next = buf.indexOf(MARKER_0, i + 1);
        const to = next === -1 ? n : next;
        this.drop(i, to - i);
        i = to;
        continue;
      }
      // Incomplete header or body: wait for more bytes, unless no more are coming.
      if (i + 2 >= n) {
        if (!final) break;
        this.drop(i, 1);
        i++;
        continue;
      }
      const length = buf[i + 2]!;
      if (buf[i + 1] !== MARKER_1 || length > MAX_PAYLOAD) {
        this.drop(i, 1);
        i++;
        continue;
      }
      const total = FRAME_OVERHEAD + length;
      if (i + total > n) {
        if (!final) break;
        this.drop(i, 1);
        i++;
        continue;
      }
      const crcAt = i + HEADER_BYTES + length;
      const computed = crc16(buf, i + 2, crcAt);
      const received = buf[crcAt]! | (buf[crcAt + 1]! << 8);
      if (computed !== received) {
        this.counters.crcErrors++;
        this.out.push({ kind: 'crc_error', offset: this.base + i, length, received, computed });
        this.drop(i, 1);
        i++;
        continue;
      }
      this.emitDropped();
      this.counters.frames++;
      const frame: Frame = {
        type: buf[i + 3]!,
        seq: buf[i + 4]!,
        node: buf[i + 5]!,
        payload: buf.subarray(i + HEADER_BYTES, crcAt),
      };
      this.out.push({ kind: 'frame', frame, offset: this.base + i });
      i += total;
    }
    this.pending = i >= n ? EMPTY : buf.subarray(i);
    this.base += i;
    // A run that ends where held bytes begin may continue once they turn out to be garbage: report it
    // whole when the held bytes are settled (frame found, dropped or flushed), not in pieces.
    const continues = this.pending.length > 0 && this.dropStart + this.dropCount === this.base;
    if (final || !continues) this.emitDropped();
  }

  private drop(at: number, count: number): void {
    const offset = this.base + at;
    if (this.dropCount > 0 && this.dropStart + this.dropCount !== offset) this.emitDropped();
    if (this.dropCount === 0) this.dropStart = offset;
    this.dropCount += count;
    this.counters.droppedBytes += count;
  }

  private emitDropped(): void {
    if (this.dropCount === 0) return;
    this.out.push({ kind: 'dropped', offset: this.dropStart, count: this.dropCount });
    this.dropCount = 0;
  }
}
