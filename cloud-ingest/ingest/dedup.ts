// Seen batch and event ids, so a resend after a lost PUBACK never doubles data or alarms.
// Bounded (oldest forgotten first) and journalled to a file, so a restart keeps recent ids.
// An id is recorded only after its write succeeded; concurrent copies of one id share one write.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export class DedupStore {
  private readonly seen = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private journalLines = 0;

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

  private record(key: string): void {
    this.remember(key);
    if (!this.file) return;
    appendFileSync(this.file, key + '\n', { mode: 0o600 });
    if (++this.journalLines > this.capacity * 2) this.compact();
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
    this.journalLines = this.seen.size;
  }
}
