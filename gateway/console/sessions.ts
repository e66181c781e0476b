// Console logins: one installer password (a scrypt hash made by `lastmile passwd`), random session
// tokens kept in memory only (a restart logs everybody out), and a per-address lock after repeated
// failures so the LAN cannot guess the password at scrypt speed.
import { randomBytes } from 'node:crypto';
import { verifyPassword, type PasswordHash } from '../shared/password-hash.js';

export const MAX_FAILURES = 5;
export const LOCK_MS = 60_000;

export class Sessions {
  private readonly tokens = new Map<string, number>();
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(
    private readonly hash: PasswordHash,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds this address must still wait before trying again (0 = may try). */
  lockedFor(address: string): number {
    const entry = this.failures.get(address);
    return entry ? Math.max(0, entry.lockedUntil - this.now()) : 0;
  }

  /** Checks the password; returns a new session token, or undefined (and counts the failure). */
  async login(address: string, password: string): Promise<string | undefined> {
    if (this.lockedFor(address) > 0) return undefined;
    if (await verifyPassword(this.hash, password)) {
      this.failures.delete(address);
      const token = randomBytes(32).toString('base64url');
      this.tokens.set(token, this.now() + this.timeoutMs);
      return token;
    }
    const entry = this.failures.get(address) ?? { count: 0, lockedUntil: 0 };
    entry.count++;
    if (entry.count >= MAX_FAILURES) {
      entry.count = 0;
      entry.lockedUntil = this.now() + LOCK_MS;
    }
    this.failures.set(address, entry);
    return undefined;
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
