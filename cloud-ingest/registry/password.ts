// Password hashes: the gateway's scrypt line format (contract/password-hash.ts) for our own stores
// (gateway registry, console staff), with synchronous forms for provisioning, and mosquitto 2.0's
// PBKDF2-SHA512 "$7$" format for Mosquitto password files.
import { pbkdf2Sync, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { DEFAULT_SCRYPT, parsePasswordHash, verifyPassword as verifyParsedPassword } from '../../contract/password-hash.js';

const KEY_LEN = 32;

/** `scrypt$N$r$p$<salt b64>$<hash b64>` with the gateway's default cost, made synchronously (provisioning). */
export function hashPassword(password: string): string {
  const { N, r, p } = DEFAULT_SCRYPT;
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LEN, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Constant-time check; a malformed stored hash never matches. */
export function verifyPassword(password: string, stored: string): boolean {
  const h = parsePasswordHash(stored);
  if ('error' in h) return false;
  const actual = scryptSync(password, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: 256 * h.N * h.r + 1024 * 1024 });
  return timingSafeEqual(actual, h.hash);
}

/** As verifyPassword, on the libuv thread pool: a reconnect storm of gateways must not stall the event loop. */
export async function verifyPasswordAsync(password: string, stored: string): Promise<boolean> {
  const h = parsePasswordHash(stored);
  return 'error' in h ? false : verifyParsedPassword(h, password);
}

/** mosquitto 2.0 (mosquitto_passwd): `$7$<iterations>$<salt b64>$<hash b64>`, PBKDF2-HMAC-SHA512, 12-byte salt, 64-byte hash. */
export function mosquittoPasswordHash(password: string, iterations = 101, salt: Buffer = randomBytes(12)): string {
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** A random password for a machine (gateway, worker): 24 bytes, URL-safe. */
export function randomPassword(): string {
  return randomBytes(24).toString('base64url');
}
