// One guard for every password check (issue 13 items 4, 5, 10, 20): the township console and broker, the
// installer console and the local broker. It holds under parallel guesses because an attempt is counted
// *before* the slow hash: an attempt in flight counts as a failure until it succeeds, so 100 parallel
// guesses against a limit of 5 run at most 5 hashes, and the 100th, even if right, is refused.
//
// - Keys are what is limited, each with its own limit: `addr:<ip>` (one source guessing), `user:<name>`
//   (many sources guessing one account). Unknown user names get keys too (and the caller hashes a decoy),
//   so neither the answer nor its timing tells which names exist.
// - A key past its limit is locked; each further lock of the same key doubles, up to maxLockMs.
// - Hashing (scrypt, on libuv's 4-thread pool shared with file writes and gunzip) runs at most
//   `maxConcurrent` at a time; past `maxQueued` waiting, attempts are refused at once as busy.
// - Refusals for a locked key or a full queue cost no hash: they answer at once, the same for every name.

export interface LoginKey {
  readonly key: string;
  /** Failures (and attempts in flight) before the key is locked. */
  readonly maxFailures: number;
}

export interface LoginGuardOptions {
  /** First lock; doubled for each further lock of the same key. */
  readonly lockMs: number;
  readonly maxLockMs: number;
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  /** Keys remembered; the oldest unlocked one is forgotten first. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

export type LoginOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly why: 'wrong' }
  | { readonly ok: false; readonly why: 'locked'; readonly retryAfterMs: number; readonly key: string }
  | { readonly ok: false; readonly why: 'busy' };

interface Entry {
  failures: number;
  inFlight: number;
  lockedUntil: number;
  locks: number;
  lastFailure: number;
}

export class LoginGuard {
  private readonly entries = new Map<string, Entry>();
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly now: () => number;
  /** Counters for tests and stats: hashes actually run, refusals without a hash. */
  hashes = 0;
  refusedLocked = 0;
  refusedBusy = 0;

  constructor(private readonly options: LoginGuardOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds until every one of these keys may try again (0 = may try now). */
  lockedFor(keys: readonly LoginKey[]): number {
    const now = this.now();
    let wait = 0;
    for (const k of keys) {
      const e = this.entries.get(k.key);
      if (e) wait = Math.max(wait, e.lockedUntil - now);
    }
    return Math.max(0, wait);
  }

  /**
   * Runs `verify` (the slow hash) unless a key is locked or the queue is full. The attempt counts against
   * every key from now until `verify` says it was right. A `quick` verify skips the hashing slots and the
   * queue (never refused as busy), not the keys' limits.
   */
  async attempt(keys: readonly LoginKey[], verify: () => Promise<boolean>, cost: 'slow' | 'quick' = 'slow'): Promise<LoginOutcome> {
    const now = this.now();
    for (const k of keys) {
      const e = this.entries.get(k.key);
      if (!e) continue;
      if (e.lockedUntil > now) return this.locked(k.key, e.lockedUntil - now);
      // Failures age out: a key quiet for its last lock's length starts afresh.
      if (e.inFlight === 0 && now - e.lastFailure > this.lockLength(e)) e.failures = 0;
      // Attempts in flight count as failures until they succeed: this is what parallel guesses meet.
      if (e.failures + e.inFlight >= k.maxFailures) return this.locked(k.key, this.lockLength(e));
    }
    // A quick check (a few µs on the event loop, e.g. a gateway token's HMAC) takes no hashing slot: it
    // never waits behind slow hashes, and they never wait behind it.
    const slotted = cost === 'slow';
    if (slotted && this.running >= this.options.maxConcurrent && this.queue.length >= this.options.maxQueued) {
      this.refusedBusy++;
      return { ok: false, why: 'busy' };
    }
    const held = keys.map((k) => this.entry(k.key));
    for (const e of held) e.inFlight++;
    let ok = false;
    try {
      if (slotted) await this.slot();
      this.hashes++;
      ok = await verify();
    } finally {
      if (slotted) this.release();
      const end = this.now();
      keys.forEach((k, i) => {
        const e = held[i]!;
        e.inFlight--;
        if (ok) {
          e.failures = 0;
          e.locks = 0;
          e.lockedUntil = 0;
        } else {
          e.failures++;
          e.lastFailure = end;
          if (e.failures >= k.maxFailures && e.lockedUntil <= end) this.lock(e, end);
        }
      });
    }
    return ok ? { ok: true } : { ok: false, why: 'wrong' };
  }

  private locked(key: string, retryAfterMs: number): LoginOutcome {
    this.refusedLocked++;
    return { ok: false, why: 'locked', retryAfterMs, key };
  }

  /** Length of the key's current (or next) lock. */
  private lockLength(e: Entry): number {
    return Math.min(this.options.lockMs * 2 ** Math.max(0, e.locks - 1), this.options.maxLockMs);
  }

  /** Locks the key (once per crossing of its limit); returns the time left. */
  private lock(e: Entry, now: number): number {
    if (e.lockedUntil <= now) {
      e.locks++;
      e.lockedUntil = now + this.lockLength(e);
      e.failures = 0;
    }
    return e.lockedUntil - now;
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (e) {
      // Most recently used last, so the map's first key is the one to forget.
      this.entries.delete(key);
      this.entries.set(key, e);
      return e;
    }
    const max = this.options.maxKeys ?? 10_000;
    if (this.entries.size >= max) {
      const now = this.now();
      for (const [k, old] of this.entries) {
        if (old.inFlight === 0 && old.lockedUntil <= now) {
          this.entries.delete(k);
          break;
        }
      }
    }
    e = { failures: 0, inFlight: 0, lockedUntil: 0, locks: 0, lastFailure: 0 };
    this.entries.set(key, e);
    return e;
  }

  private slot(): Promise<void> {
    if (this.running < this.options.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(() => resolve()));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.running--;
  }
}
