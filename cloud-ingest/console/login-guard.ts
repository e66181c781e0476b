// Login limits of the township console (issue 13 item 4): forty parallel wrong logins once ran forty
// synchronous scrypts on the event loop that also runs the broker (telemetry PUBACK 4.5 ms → 15.8 s), and
// an unknown name answered in 3 ms where a known one took 63 ms. Now: the hash is asynchronous and one
// at a time (contract/login-guard.ts), an unknown name is hashed against a decoy of the same cost,
// and both the address and the user name are limited, counted before the hash.
import { randomBytes } from 'node:crypto';
import { LoginGuard, type LoginKey, type LoginOutcome } from '../../contract/login-guard.js';
import { DEFAULT_SCRYPT, parsePasswordHash, verifyPassword, type PasswordHash } from '../../contract/password-hash.js';

/** Wrong passwords from one address before it waits, and for one user name from anywhere. */
export const CONSOLE_MAX_FAILURES_PER_ADDRESS = 10;
export const CONSOLE_MAX_FAILURES_PER_USER = 10;

export function consoleLoginGuard(now?: () => number): LoginGuard {
  return new LoginGuard({ lockMs: 60_000, maxLockMs: 15 * 60_000, maxConcurrent: 1, maxQueued: 16, ...(now ? { now } : {}) });
}

/** Checks a staff password through the guard; a malformed stored hash or an unknown name never matches. */
export class StaffPasswordCheck {
  private readonly decoy: PasswordHash = { ...DEFAULT_SCRYPT, salt: randomBytes(16), hash: randomBytes(32) };

  constructor(private readonly guard: LoginGuard) {}

  check(address: string, name: string, password: string, storedHash: string | undefined): Promise<LoginOutcome> {
    const keys: LoginKey[] = [
      { key: `addr:${address}`, maxFailures: CONSOLE_MAX_FAILURES_PER_ADDRESS },
      { key: `user:${name.slice(0, 64)}`, maxFailures: CONSOLE_MAX_FAILURES_PER_USER },
    ];
    const parsed = storedHash === undefined ? undefined : parsePasswordHash(storedHash);
    const hash = parsed === undefined || 'error' in parsed ? undefined : parsed;
    return this.guard.attempt(keys, async () => {
      const ok = await verifyPassword(hash ?? this.decoy, password);
      return ok && hash !== undefined;
    });
  }
}
