// The recent window's points in the order they arrived, as (source entry, arrival number) pairs: a byte
// budget drops from the head, so the oldest points go first and a source is forgotten only once all its
// points are older than the rest. A point that went another way (overwritten by its source's ring, dropped
// by another budget, its source forgotten) leaves a stale reference here, passed over when reached and
// swept once stale references pile up.

/** What the queue needs of a source entry: whether it is gone, and the arrival number of its oldest point. */
export interface Queued {
  readonly forgotten: boolean;
  readonly firstSeq: number;
}

export class ArrivalQueue<E extends Queued> {
  /** Slots before `head` are cleared as they are passed: a reference there would keep a forgotten entry alive until the next sweep. */
  private entries: (E | undefined)[] = [];
  private seqs: number[] = [];
  private head = 0;

  push(entry: E, seq: number): void {
    this.entries.push(entry);
    this.seqs.push(seq);
  }

  /** The entry of the oldest point still held (stale references before it are passed), or undefined. */
  oldest(): E | undefined {
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      if (!entry.forgotten && this.seqs[this.head] === entry.firstSeq) return entry;
      this.entries[this.head++] = undefined;
    }
    return undefined;
  }

  /** Passes the point oldest() found: the caller drops it. */
  shift(): void {
    this.entries[this.head++] = undefined;
  }

  /** References held, stale ones included (tests: the queue stays bounded). */
  length(): number {
    return this.entries.length - this.head;
  }

  /**
   * Sweeps once the consumed head is most of the arrays, or stale references pass a quarter of the
   * `held` points: a stale reference keeps a forgotten entry (a few hundred bytes) alive, and a gateway
   * cycling new sources forgets one per line.
   */
  sweep(held: number): void {
    const pending = this.entries.length - this.head;
    if (this.head <= pending && pending <= held + (held >> 2) + 64) return;
    const entries: (E | undefined)[] = [];
    const seqs: number[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      const seq = this.seqs[i]!;
      if (!entry.forgotten && seq >= entry.firstSeq) {
        entries.push(entry);
        seqs.push(seq);
      }
    }
    this.entries = entries;
    this.seqs = seqs;
    this.head = 0;
  }
}
