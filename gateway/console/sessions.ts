// Console logins: one installer password (a scrypt hash made by `lastmile passwd`), random session
// tokens kept in memory only (a restart logs everybody out), and a lock after repeated failures so the
// LAN cannot guess the password at scrypt speed. The lock holds under parallel guesses (issue 13 item 5:
// 100 at once, the last one right, all ran and it logged in): the login guard counts each attempt before
// its hash, and hashes one at a time.
import { randomBytes } from 'node:crypto';
import { LoginGuard, type LoginOutcome } from '../../contract/login-guard.js';
import { verifyPassword, type PasswordHash } from '../../contract/password-hash.js';

/** Wrong passwords from one address before it must wait. */
export const MAX_FAILURES = 5;
/** Wrong passwords from all addresses together (one password, so one "user") before everyone waits. */
export const MAX_FAILURES_ALL = 20;
export const LOCK_MS = 60_000;

export class Sessions {
  private readonly tokens = new Map<string, number>();
  private readonly guard: LoginGuard;

  constructor(
    private readonly hash: PasswordHash,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.guard = new LoginGuard({ lockMs: LOCK_MS, maxLockMs: 15 * 60_000, maxConcurrent: 1, maxQueued: 8, now });
  }

  private keys(address: string) {
    return [
      { key: `addr:${address}`, maxFailures: MAX_FAILURES },
      { key: 'installer', maxFailures: MAX_FAILURES_ALL },
    ];
  }

  /** Milliseconds this address must still wait before trying again (0 = may try). */
  lockedFor(address: string): number {
    return this.guard.lockedFor(this.keys(address));
  }

  /** Checks the password; a new session token, or why not (wrong, locked, busy). */
  async login(address: string, password: string): Promise<{ token: string } | Exclude<LoginOutcome, { ok: true }>> {
    const outcome = await this.guard.attempt(this.keys(address), () => verifyPassword(this.hash, password));
    if (!outcome.ok) return outcome;
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, this.now() + this.timeoutMs);
    return { token };
  }

  /** True for a live token; expired ones are forgotten. */
  valid(token: string | undefined): boolean {
    if (token === undefined) return false;
    const expires = this.tokens.get(token);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.tokens.delete(token);
      return false;
    }
    return true;
  }

  logout(token: string | undefined): void {
    if (token !== undefined) this.tokens.delete(token);
  }
}
