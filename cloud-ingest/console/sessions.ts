// Staff sessions: a random token in an HttpOnly, SameSite=Strict cookie, kept in memory (a restart logs
// everyone out, which is acceptable for a duty console). Passwords are checked against scrypt hashes,
// off the event loop and rate-limited per address and per user (login-guard.ts).
import { randomBytes } from 'node:crypto';
import type { LoginOutcome } from '../../contract/login-guard.js';
import { consoleLoginGuard, StaffPasswordCheck } from './login-guard.js';

export interface StaffUser {
  readonly name: string;
  readonly township: string;
  readonly passwordHash: string;
  readonly displayName?: string | undefined;
}

export interface Session {
  readonly user: string;
  readonly township: string;
  readonly displayName: string;
  expires: number;
}

export const SESSION_COOKIE = 'lm_session';
const SESSION_MS = 12 * 3600_000;

export class Sessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly users: readonly StaffUser[],
    private readonly passwords = new StaffPasswordCheck(consoleLoginGuard()),
  ) {}

  /**
   * A new session token when name and password match; otherwise the outcome (wrong: the same answer for
   * an unknown name and a wrong password; locked or busy: refused before any hash).
   */
  async login(name: string, password: string, address: string): Promise<{ token: string } | Exclude<LoginOutcome, { ok: true }>> {
    const user = this.users.find((u) => u.name === name);
    const outcome = await this.passwords.check(address, name, password, user?.passwordHash);
    if (!outcome.ok) return outcome;
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(token, { user: user!.name, township: user!.township, displayName: user!.displayName ?? user!.name, expires: Date.now() + SESSION_MS });
    return { token };
  }

  get(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const s = this.sessions.get(token);
    if (!s) return undefined;
    if (s.expires < Date.now()) {
      this.sessions.delete(token);
      return undefined;
    }
    return s;
  }

  logout(token: string | undefined): void {
    if (token) this.sessions.delete(token);
  }
}
