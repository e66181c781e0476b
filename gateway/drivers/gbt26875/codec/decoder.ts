// Streaming packet decoder for a TCP byte stream: any chunking in, packets out, every discarded byte
// accounted for with its stream offset. Resync rule (as firmware-bridge/protocol/decoder.ts): on a bad
// start, an impossible length, a missing '##' or a sum mismatch, discard ONE byte and scan again from the
// next '@'. Skipping a whole bogus candidate would swallow a real packet hidden inside a false start's
// claimed length; skipping one byte never does. It never throws on any input.
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
  | { readonly kind: 'dropped'; readonly offset: number; readonly count: number };

export interface DecoderCounters {
  frames: number;
  badChecksums: number;
  badLengths: number;
  droppedBytes: number;
  /** Bytes taken in since construction (the stream offset of the next byte). */
  bytes: number;
}

const EMPTY = Buffer.alloc(0);

export class PacketDecoder {
  private pending: Buffer = EMPTY;
  /** Stream offset of pending[0]. */
  private base = 0;
  private dropStart = 0;
  private dropCount = 0;
  private out: DecoderEvent[] = [];
  readonly counters: DecoderCounters = { frames: 0, badChecksums: 0, badLengths: 0, droppedBytes: 0, bytes: 0 };

  /** @param onEvent receives packets, bad candidates and dropped-byte runs in stream order. */
  constructor(private readonly onEvent: (event: DecoderEvent) => void) {}

  /** Feeds received bytes; complete packets are reported before push returns. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.counters.bytes += chunk.length;
    // Copy: packets hand out application-data slices, and the socket may reuse its chunk.
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    this.scan(false);
    this.deliver();
  }

  /** End of stream: a partial packet will not be completed, so its bytes are garbage. */
  flush(): void {
    this.scan(true);
    this.deliver();
  }

  /**
   * The partial packet held now has waited too long (a false '@@' claiming 1000 bytes on a quiet link must
   * not hold a fire alarm back): discard its first byte and rescan the rest.
   */
  flushPartial(): void {
    if (this.pending.length === 0) return;
    this.drop(0, 1);
    this.pending = this.pending.subarray(1);
    this.base += 1;
    this.scan(false);
    this.deliver();
  }

  /** Bytes held while waiting for the rest of a packet. */
  get buffered(): number {
    return this.pending.length;
  }

  /** State is settled before listeners run; every event is delivered even if one throws (then rethrown). */
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

  private scan(final: boolean): void {
    const buf = this.pending;
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (buf[i] !== START) {
        const next = buf.indexOf(START, i + 1);
        const to = next === -1 ? n : next;
        this.drop(i, to - i);
        i = to;
        continue;
      }
      if (i + 1 < n && buf[i + 1] !== START) {
        this.drop(i, 1);
        i++;
        continue;
      }
      // Wait for the length field (and then the whole candidate), unless no more bytes are coming.
      if (i + LENGTH_AT + 2 > n) {
        if (!final) break;
        this.drop(i, 1);
        i++;
        continue;
      }
      const declared = buf[i + LENGTH_AT]! | (buf[i + LENGTH_AT + 1]! << 8);
      if (declared > MAX_APP_DATA) {
        this.counters.badLengths++;
        this.out.push({ kind: 'bad_length', offset: this.base + i, declared });
        this.drop(i, 1);
        i++;
        continue;
      }
      const total = FRAME_OVERHEAD + declared;
      if (i + total > n) {
        if (!final) break;
        this.drop(i, 1);
        i++;
        continue;
      }
      const sumAt = i + HEADER_BYTES + declared;
      if (buf[sumAt + 1] !== END || buf[sumAt + 2] !== END) {
        this.drop(i, 1);
        i++;
        continue;
      }
      const computed = sum8(buf, i + 2, sumAt);
      const received = buf[sumAt]!;
      if (computed !== received) {
        this.counters.badChecksums++;
        this.out.push({ kind: 'bad_checksum', offset: this.base + i, length: total, received, computed, serial: buf[i + 2]! | (buf[i + 3]! << 8), command: buf[i + 26]! });
        this.drop(i, 1);
        i++;
        continue;
      }
      this.emitDropped();
      this.counters.frames++;
      const frame: Frame = { control: readControlUnit(buf, i), appData: buf.subarray(i + HEADER_BYTES, sumAt) };
      this.out.push({ kind: 'frame', frame, offset: this.base + i, length: total });
      i += total;
    }
    this.pending = i >= n ? EMPTY : buf.subarray(i);
    this.base += i;
    // A run that ends where held bytes begin may continue once they turn out to be garbage: report it whole.
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
