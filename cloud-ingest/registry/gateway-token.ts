// Gateway tokens (issue 19): a gateway's secret is 24 random bytes made by `lastmile-ingest provision`, not a
// human password, so a slow hash buys nothing: guessing 192 bits is hopeless at any speed. The registry
// stores `hmac-sha256$<key id>$<mac base64>`, the HMAC-SHA-256 of the token under a per-township key kept
// in a 0600 file beside the registry. A check costs a few µs on the event loop instead of ~46 ms of
// scrypt on the thread pool that gunzip and file writes share, and a registry copied without the key
// file is not even a list of hashes to test guesses against.
// Human passwords (the township console's users) keep scrypt (password.ts).
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_VERIFIER_PREFIX = 'hmac-sha256$';
const KEY_BYTES = 32;
const MAC_BYTES = 32;

/**
 * Tokens this module will take over from an old scrypt entry: the shape `randomPassword()` has always
 * made (24 random bytes, base64url, 32 characters) or longer. A shorter or hand-chosen secret keeps its
 * scrypt entry: it may be low in entropy, and a fast hash would make guessing it cheap.
 */
export function looksLikeMachineToken(secret: string): boolean {
  return secret.length >= 32 && /^[A-Za-z0-9_-]+$/.test(secret);
}

export class GatewayTokenKey {
  /** Short public name of the key, stored in each verifier: a verifier made under another key is told apart from a wrong token. */
  readonly id: string;

  private constructor(private readonly key: Buffer) {
    this.id = createHash('sha256').update(key).digest('base64url').slice(0, 8);
  }

  /** A key for tests and tools that keep no file. */
  static random(): GatewayTokenKey {
    return new GatewayTokenKey(randomBytes(KEY_BYTES));
  }

  /** The key in `file`, or undefined when there is none yet; a file others can read is refused. */
  static load(file: string): GatewayTokenKey | undefined {
    if (!existsSync(file)) return undefined;
    return GatewayTokenKey.read(file);
  }

  /**
   * The key in `file`, made (32 random bytes, mode 0600) when absent. Exclusive create: two workers
   * starting together end up with the same key, whichever wrote it.
   */
  static loadOrCreate(file: string): GatewayTokenKey {
    if (!existsSync(file)) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        try {
          writeSync(fd, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
        } finally {
          closeSync(fd);
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    return GatewayTokenKey.read(file);
  }

  private static read(file: string): GatewayTokenKey {
    if ((statSync(file).mode & 0o077) !== 0) throw new Error(`${file}: the gateway token key must be readable by its owner only (chmod 600) / 网关令牌密钥文件权限过宽，请 chmod 600`);
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${file}: expected ${KEY_BYTES} bytes of base64 (a gateway token key made by cloud-ingest)`);
    return new GatewayTokenKey(key);
  }

  /** The registry's stored form of a token. */
  verifier(token: string): string {
    return `${TOKEN_VERIFIER_PREFIX}${this.id}$${this.mac(token).toString('base64')}`;
  }

  /** Constant-time check of a token against a stored verifier; a verifier of another key or a malformed one never matches. */
  verify(token: string, stored: string): boolean {
    const parts = stored.split('$');
    if (parts.length !== 3 || `${parts[0]}$` !== TOKEN_VERIFIER_PREFIX) return false;
    const expected = Buffer.from(parts[2]!, 'base64');
    const actual = this.mac(token);
    // The comparison runs whatever the key id says, so a foreign verifier costs what a wrong token does.
    const same = expected.length === MAC_BYTES && timingSafeEqual(actual, expected);
    return same && parts[1] === this.id;
  }

  /** Key id a stored verifier names, or undefined when it is not a token verifier. */
  static keyIdOf(stored: string): string | undefined {
    return stored.startsWith(TOKEN_VERIFIER_PREFIX) ? stored.split('$')[1] : undefined;
  }

  private mac(token: string): Buffer {
    return createHmac('sha256', this.key).update(token, 'utf8').digest();
  }
}
