// Password hashes: scrypt for our own stores (gateway registry, console staff) and mosquitto 2.0's
// PBKDF2-SHA512 "$7$" format for Mosquitto password files.
import { pbkdf2Sync, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LEN = 32;

/** `scrypt$N$r$p$<salt b64>$<hash b64>`, self-describing so parameters can be raised later. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LEN, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

interface StoredHash {
  readonly salt: Buffer;
  readonly expected: Buffer;
  readonly options: { N: number; r: number; p: number; maxmem: number };
}

function parseStored(stored: string): StoredHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0)) return undefined;
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length === 0) return undefined;
  return { salt: Buffer.from(parts[4]!, 'base64'), expected, options: { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 } };
}

/** Constant-time check; a malformed stored hash never matches. */
export function verifyPassword(password: string, stored: string): boolean {
  const h = parseStored(stored);
  return h !== undefined && timingSafeEqual(scryptSync(password, h.salt, h.expected.length, h.options), h.expected);
}

/** As verifyPassword, on the libuv thread pool: a reconnect storm of gateways must not stall the event loop. */
export async function verifyPasswordAsync(password: string, stored: string): Promise<boolean> {
  const h = parseStored(stored);
  if (!h) return false;
  const actual = await new Promise<Buffer>((resolve, reject) => scrypt(password, h.salt, h.expected.length, h.options, (error, key) => (error ? reject(error) : resolve(key))));
  return timingSafeEqual(actual, h.expected);
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
