// Keeps a misbehaving device from filling the SD card with log lines: the first occurrence of a key is
// logged, repeats within the window are only counted and reported with the next line for that key.
// Counters (Stats) still see every occurrence.

export class LogThrottle {
  private readonly seen = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly mono: () => number,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 1000,
  ) {}

  /** Returns undefined to stay quiet, or how many repeats were suppressed since the last line for this key. */
  admit(key: string): number | undefined {
    const now = this.mono();
    const entry = this.seen.get(key);
    if (entry && now - entry.at < this.windowMs) {
      entry.suppressed++;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.seen.delete(key);
    // Bounded: a device cycling through random topics must not grow this map without end.
    if (this.seen.size >= this.maxKeys) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }
}
