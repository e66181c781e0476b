// Seen batch and event ids, so a resend after a lost PUBACK never doubles data or alarms.
// Bounded (oldest forgotten first) and journalled to a file, so a restart keeps recent ids.
// An id is recorded only after its write succeeded; concurrent copies of one id share one write.
// The ids recorded in one tick go to the journal in one write on a file kept open (a thousand gateways
// are 200 batches/s: one open-append-close each was a syscall storm), and once() resolves only after
// that write, so a receipt never goes out for an id the journal does not hold yet.
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';

export class DedupStore {
  private readonly seen = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private journalLines = 0;
  private fd: number | undefined;
  /** Ids recorded this tick, not yet in the journal, and who waits for them to be. */
  private unwritten: string[] = [];
  private flushed: Promise<void> | undefined;

  /** @param file journal path, or undefined to keep ids in memory only */
  constructor(
    private readonly capacity: number,
    private readonly file: string | undefined,
  ) {
    if (file && existsSync(file)) {
      const ids = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
      for (const key of ids.slice(-capacity)) this.remember(key);
      this.journalLines = ids.length;
    }
  }

  /**
   * Runs `work` once per key: a key already done returns false without running; a key in flight waits
   * for that run. The key is recorded only when `work` resolves, so a failed write is retried on resend.
   */
  async once(key: string, work: () => Promise<void>): Promise<boolean> {
    if (this.seen.has(key)) return false;
    const running = this.inFlight.get(key);
    if (running) {
      await running;
      return false;
    }
    const run = work().then(() => this.record(key));
    this.inFlight.set(key, run);
    try {
      await run;
      return true;
    } finally {
      this.inFlight.delete(key);
    }
  }

  has(key: string): boolean {
    return this.seen.has(key);
  }

  /** Ids remembered now, and at most. */
  size(): { ids: number; capacity: number } {
    return { ids: this.seen.size, capacity: this.capacity };
  }

  private record(key: string): Promise<void> | undefined {
    this.remember(key);
    if (!this.file) return undefined;
    this.unwritten.push(key);
    // One journal write per tick for every id recorded in it; a failed write fails each of their once().
    this.flushed ??= new Promise<void>((resolve, reject) =>
      setImmediate(() => {
        this.flushed = undefined;
        const keys = this.unwritten;
        this.unwritten = [];
        try {
          this.append(keys);
          resolve();
        } catch (error) {
          reject(error as Error);
        }
      }),
    );
    return this.flushed;
  }

  private append(keys: readonly string[]): void {
    this.fd ??= openSync(this.file!, 'a', 0o600);
    writeSync(this.fd, keys.join('\n') + '\n');
    this.journalLines += keys.length;
    if (this.journalLines > this.capacity * 2) this.compact();
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value!);
  }

  /** Rewrites the journal with only the ids still remembered. */
  private compact(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, [...this.seen].join('\n') + '\n', { mode: 0o600 });
    renameSync(tmp, this.file!);
    // The open descriptor still names the replaced file: appends go to the new one from now on.
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.journalLines = this.seen.size;
  }
}
