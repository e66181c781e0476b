// Password hashes for local MQTT users (and any other local login): scrypt, stored as one line
//   scrypt$N$r$p$<salt base64>$<hash base64>
// made by `lastmile passwd`. The password itself is never stored, logged or kept after a check.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** 16 MiB and roughly 0.1 s per check on a Raspberry Pi 4: slow for guessing, fine for device reconnects. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Refuses cost values that would let a hand-edited file exhaust the gateway's memory (1 GiB at r=8). */
const MAX_N = 1 << 20;

export interface PasswordHash extends ScryptParams {
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function scrypt(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password into the one-line file format. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(password, salt, HASH_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Parses the file format; returns a reason (never the text, which is a secret) when it is not one. */
export function parsePasswordHash(text: string): PasswordHash | { error: string } {
  const parts = text.trim().split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return { error: 'not a "scrypt$N$r$p$salt$hash" line made by `lastmile passwd`' };
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return { error: `N must be a power of two up to ${MAX_N}` };
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return { error: 'r or p out of range' };
  const salt = Buffer.from(parts[4]!, 'base64');
  const hash = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16) return { error: 'salt or hash too short' };
  return { N, r, p, salt, hash };
}

/** Constant-time comparison of a candidate password against a parsed hash. */
export async function verifyPassword(stored: PasswordHash, candidate: string): Promise<boolean> {
  const computed = await scrypt(candidate, stored.salt, stored.hash.length, stored);
  return timingSafeEqual(computed, stored.hash);
}
