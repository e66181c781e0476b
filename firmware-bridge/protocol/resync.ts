// The streaming half of a byte-stream decoder with a start marker, shared by the firmware-bridge frame
// decoder (./decoder.ts) and the GB/T 26875.3 packet decoder (gateway/drivers/gbt26875/codec/decoder.ts):
// bytes in any chunking in, events out, every discarded byte accounted for with its stream offset.
// Resync rule (PROTOCOL.md §3): when the bytes at a start marker are not a packet (bad second marker, an
// impossible length, a check mismatch), discard ONE byte and scan again from the next marker. Skipping a
// whole bogus candidate would swallow a real packet hidden inside a false marker's claimed length;
// skipping one byte never does. It never throws on any input. A framing says only what the bytes at one
// marker are (`candidate`); holding partial packets, dropping, resyncing and delivering are done here once.

/** Bytes discarded while hunting for a packet: [offset, offset + count) of the stream. */
export interface DroppedEvent {
  readonly kind: 'dropped';
  readonly offset: number;
  readonly count: number;
}

/** What a framing says of the bytes that start at a marker. */
export type Candidate<E> =
  /** Not all there yet: wait for more bytes (or, when no more are coming, drop the marker byte). */
  | { readonly kind: 'incomplete' }
  /** Not a packet here: drop the marker byte and scan on; `event` reports why, when that is counted. */
  | { readonly kind: 'not_here'; readonly event?: E }
  /** A packet of `length` bytes, reported by `event`. */
  | { readonly kind: 'packet'; readonly length: number; readonly event: E };

export const INCOMPLETE: Candidate<never> = { kind: 'incomplete' };
export const NOT_HERE: Candidate<never> = { kind: 'not_here' };

/** What every decoder built on this counts. */
export interface StreamCounters {
  droppedBytes: number;
  /** Bytes taken in since construction (the stream offset of the next byte). */
  bytes: number;
}

const EMPTY = Buffer.alloc(0);

export abstract class ResyncDecoder<E extends { readonly kind: string }, C extends StreamCounters> {
  private pending: Buffer = EMPTY;
  /** Stream offset of pending[0]. */
  private base = 0;
  private dropStart = 0;
  private dropCount = 0;
  /** Events of the current scan, delivered after the decoder's state is consistent again. */
  private out: (E | DroppedEvent)[] = [];

  /**
   * @param marker the first byte of every packet; anything else before one is dropped.
   * @param onEvent receives packets, reported non-packets and dropped-byte runs in stream order.
   */
  protected constructor(
    private readonly marker: number,
    readonly counters: C,
    private readonly onEvent: (event: E | DroppedEvent) => void,
  ) {}

  /**
   * What the bytes at `buf[i]` (a marker; `buf` holds `n` bytes) are. `offset` is buf[i]'s stream offset,
   * for the event. A returned packet's bytes must all be in `buf`; the framing counts what it reports.
   */
  protected abstract candidate(buf: Buffer, i: number, n: number, offset: number): Candidate<E>;

  /** Feeds received bytes; complete packets are reported before push returns. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.counters.bytes += chunk.length;
    // Copy: packets hand out payload slices, and the caller (a port, a socket) may reuse its chunk buffer.
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    this.scan(false);
    this.deliver();
  }

  /** End of stream or line idle: a partial packet will not be completed, so its bytes are garbage. */
  flush(): void {
    this.scan(true);
    this.deliver();
  }

  /**
   * The partial packet held now will not be completed (it has waited too long; a false marker claiming a
   * long length on a quiet line must not hold an alarm back): discard its first byte and rescan the rest,
   * which may hold complete packets or another partial one (kept).
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

  /** Stream offset of the first held byte (the start of the partial packet). */
  get bufferedOffset(): number {
    return this.base;
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

  private scan(final: boolean): void {
    const buf = this.pending;
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (buf[i] !== this.marker) {
        const next = buf.indexOf(this.marker, i + 1);
        const to = next === -1 ? n : next;
        this.drop(i, to - i);
        i = to;
        continue;
      }
      const candidate = this.candidate(buf, i, n, this.base + i);
      if (candidate.kind === 'packet') {
        this.emitDropped();
        this.out.push(candidate.event);
        i += candidate.length;
        continue;
      }
      // Incomplete: wait for more bytes, unless no more are coming.
      if (candidate.kind === 'incomplete' && !final) break;
      if (candidate.kind === 'not_here' && candidate.event !== undefined) this.out.push(candidate.event);
      this.drop(i, 1);
      i++;
    }
    this.pending = i >= n ? EMPTY : buf.subarray(i);
    this.base += i;
    // A run that ends where held bytes begin may continue once they turn out to be garbage: report it
    // whole when the held bytes are settled (packet found, dropped or flushed), not in pieces.
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
