// The gateway registry: who may connect, and which township and compound a gateway's data belongs to.
// A JSON file, rewritten atomically; cloud-ingest takes township/compound tags from here, never from payloads.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { id } from '../../contract/config-atoms.js';
import { randomBytes } from 'node:crypto';
import { DEFAULT_SCRYPT } from '../../contract/password-hash.js';
import { verifyPasswordAsync } from './password.js';

export const gatewayEntry = z.strictObject({
  id,
  township: id,
  compound: id,
  passwordHash: z.string().startsWith('scrypt$'),
  createdAt: z.string(),
  disabled: z.boolean().default(false),
});
export type GatewayEntry = z.infer<typeof gatewayEntry>;

const registryFile = z.strictObject({ version: z.literal(1), gateways: z.array(gatewayEntry) });

/** Identity of a connected gateway, as established by authentication. */
export interface GatewayIdentity {
  readonly gateway: string;
  readonly township: string;
  readonly compound: string;
}

export class GatewayRegistry {
  private readonly gateways = new Map<string, GatewayEntry>();
  /** Verified passwords, so reconnect storms do not cost one scrypt each. Keyed by id + password. */
  private readonly verified = new Map<string, string>();
  /** Hashed against for unknown ids: the gateways' scrypt cost, random bytes that no password matches. */
  private readonly decoy = `scrypt$${DEFAULT_SCRYPT.N}$${DEFAULT_SCRYPT.r}$${DEFAULT_SCRYPT.p}$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;

  constructor(private readonly file: string) {}

  /** Loads the file if it exists; an unreadable file is an error naming it (never an empty registry). */
  load(): this {
    this.gateways.clear();
    this.verified.clear();
    if (!existsSync(this.file)) return this;
    const parsed = registryFile.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
    if (!parsed.success) throw new Error(`${this.file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    for (const entry of parsed.data.gateways) this.gateways.set(entry.id, entry);
    return this;
  }

  get(gateway: string): GatewayEntry | undefined {
    return this.gateways.get(gateway);
  }

  list(): GatewayEntry[] {
    return [...this.gateways.values()];
  }

  /** Adds or replaces an entry and saves (write to temp, rename: a crash never leaves half a file). */
  put(entry: GatewayEntry): void {
    this.gateways.set(entry.id, entry);
    for (const key of this.verified.keys()) if (key.startsWith(`${entry.id}\u0000`)) this.verified.delete(key);
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, gateways: this.list() }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /**
   * The gateway's identity when the credentials match an enabled entry, else undefined. An unknown or
   * disabled id costs a hash of the same work against a decoy, so timing does not tell which ids exist.
   */
  async authenticate(gateway: string, password: string): Promise<GatewayIdentity | undefined> {
    const cached = this.verifiedBefore(gateway, password);
    if (cached) return cached;
    const entry = this.gateways.get(gateway);
    const usable = entry !== undefined && !entry.disabled;
    const ok = await verifyPasswordAsync(password, usable ? entry.passwordHash : this.decoy);
    if (!ok || !usable) return undefined;
    this.verified.set(`${gateway}\u0000${password}`, entry.passwordHash);
    return { gateway: entry.id, township: entry.township, compound: entry.compound };
  }

  /** The identity when exactly these credentials were verified since start (no hash needed), else undefined. */
  verifiedBefore(gateway: string, password: string): GatewayIdentity | undefined {
    const entry = this.gateways.get(gateway);
    if (!entry || entry.disabled || this.verified.get(`${gateway}\u0000${password}`) !== entry.passwordHash) return undefined;
    return { gateway: entry.id, township: entry.township, compound: entry.compound };
  }

  identity(gateway: string): GatewayIdentity | undefined {
    const entry = this.gateways.get(gateway);
    return entry && !entry.disabled ? { gateway: entry.id, township: entry.township, compound: entry.compound } : undefined;
  }
}
