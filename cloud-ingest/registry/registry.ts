// The gateway registry: who may connect, and which township and compound a gateway's data belongs to.
// A JSON file, rewritten atomically; cloud-ingest takes township/compound tags from here, never from payloads.
// Gateway secrets are machine-made tokens checked with HMAC-SHA-256 under the township's key
// (gateway-token.ts); entries from before issue 19 hold scrypt hashes, still verify, and are rewritten to
// the token verifier on their next successful check (or get a new token with `lastmile-ingest provision --rotate`).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { id } from '../../contract/config-atoms.js';
import { GatewayTokenKey, TOKEN_VERIFIER_PREFIX, looksLikeMachineToken } from './gateway-token.js';
import { verifyPasswordAsync } from './password.js';

export const gatewayEntry = z.strictObject({
  id,
  township: id,
  compound: id,
  /** `hmac-sha256$<key id>$<mac>` (token verifier), or `scrypt$...` in entries made before issue 19. */
  passwordHash: z.string().refine((s) => s.startsWith(TOKEN_VERIFIER_PREFIX) || s.startsWith('scrypt$'), 'expected "hmac-sha256$..." or "scrypt$..." as made by `lastmile-ingest provision`'),
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

export interface GatewayRegistryOptions {
  /** The township's token key; defaults to gateway-token.key beside the registry file. */
  readonly keyFile?: string;
  /** A failed write of migrated entries (they stay pending and are tried again on the next migration). */
  readonly onSaveError?: (error: Error) => void;
  /** How long migrations gather before one rewrite of the file (a reconnect storm migrates many at once). */
  readonly migrationSaveDelayMs?: number;
}

/** Default key file for a registry file. */
export function defaultKeyFile(registryFile: string): string {
  return join(dirname(registryFile), 'gateway-token.key');
}

export class GatewayRegistry {
  private readonly gateways = new Map<string, GatewayEntry>();
  /** Verified passwords of scrypt entries not yet migrated (short secrets), so reconnects do not cost one scrypt each. */
  private readonly verified = new Map<string, string>();
  /** Migrated entries not yet in the file: id → the scrypt hash replaced (the file is only changed where it still holds it). */
  private readonly pending = new Map<string, string>();
  private saveTimer: NodeJS.Timeout | undefined;
  private key: GatewayTokenKey | undefined;
  /** Checked against for unknown or disabled ids when the township has no key yet. */
  private readonly decoyKey = GatewayTokenKey.random();
  private readonly decoy = this.decoyKey.verifier('decoy');
  private readonly keyFile: string;
  /** Scrypt entries rewritten to token verifiers since start. */
  migrated = 0;

  constructor(
    private readonly file: string,
    private readonly options: GatewayRegistryOptions = {},
  ) {
    this.keyFile = options.keyFile ?? defaultKeyFile(file);
  }

  /** Loads the file if it exists; an unreadable file is an error naming it (never an empty registry). */
  load(): this {
    this.gateways.clear();
    this.verified.clear();
    this.key = GatewayTokenKey.load(this.keyFile);
    if (!existsSync(this.file)) return this;
    const parsed = registryFile.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
    if (!parsed.success) throw new Error(`${this.file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    for (const entry of parsed.data.gateways) {
      const keyId = GatewayTokenKey.keyIdOf(entry.passwordHash);
      if (keyId !== undefined && keyId !== this.key?.id) {
        throw new Error(`${this.file}: gateway ${entry.id} was provisioned under token key ${keyId}, but ${this.keyFile} ${this.key ? `holds key ${this.key.id}` : 'does not exist'} (restore the key file, or rotate the gateway) / 网关令牌密钥与登记表不符`);
      }
      this.gateways.set(entry.id, entry);
    }
    return this;
  }

  get(gateway: string): GatewayEntry | undefined {
    return this.gateways.get(gateway);
  }

  list(): GatewayEntry[] {
    return [...this.gateways.values()];
  }

  /** Passwords of scrypt entries verified since start and kept (at most one per such gateway). */
  verifiedCached(): number {
    return this.verified.size;
  }

  /** How many entries hold token verifiers and how many still hold scrypt hashes. */
  counts(): { token: number; scrypt: number } {
    let token = 0;
    for (const entry of this.gateways.values()) if (entry.passwordHash.startsWith(TOKEN_VERIFIER_PREFIX)) token++;
    return { token, scrypt: this.gateways.size - token };
  }

  /** The stored form of a new gateway token (makes the township's key file on first use). */
  tokenVerifier(token: string): string {
    return this.tokenKey().verifier(token);
  }

  /** Adds or replaces an entry and saves (write to temp, rename: a crash never leaves half a file). */
  put(entry: GatewayEntry): void {
    this.gateways.set(entry.id, entry);
    this.pending.delete(entry.id);
    for (const key of this.verified.keys()) if (key.startsWith(`${entry.id}\u0000`)) this.verified.delete(key);
    this.write(this.list());
  }

  /**
   * The gateway's identity when the credentials match an enabled entry, else undefined. An unknown or
   * disabled id costs a token check against a decoy, so answer and timing do not tell which ids exist
   * (while old scrypt entries remain, their ids answer slower: migration ends that).
   */
  async authenticate(gateway: string, password: string): Promise<GatewayIdentity | undefined> {
    const quick = this.quickCheck(gateway, password);
    if (quick !== 'slow') return quick;
    const entry = this.gateways.get(gateway)!;
    const ok = await verifyPasswordAsync(password, entry.passwordHash);
    // The entry may have been replaced (rotated) while scrypt ran: the answer is for the hash checked.
    if (!ok || this.gateways.get(gateway) !== entry || entry.disabled) return undefined;
    if (looksLikeMachineToken(password)) this.migrate(entry, password);
    else this.verified.set(`${gateway}\u0000${password}`, entry.passwordHash);
    return identityOf(entry);
  }

  /**
   * The answer without a slow hash where one is possible: the identity or undefined for token entries,
   * unknown and disabled ids, and scrypt entries whose password was verified since start; 'slow' for a
   * scrypt entry that needs scrypt.
   */
  quickCheck(gateway: string, password: string): GatewayIdentity | undefined | 'slow' {
    const entry = this.gateways.get(gateway);
    if (!entry || entry.disabled) {
      // Same work as a wrong token: verify computes the MAC whatever key the verifier names.
      (this.key ?? this.decoyKey).verify(password, this.decoy);
      return undefined;
    }
    if (entry.passwordHash.startsWith(TOKEN_VERIFIER_PREFIX)) return this.key?.verify(password, entry.passwordHash) ? identityOf(entry) : undefined;
    if (this.verified.get(`${gateway}\u0000${password}`) === entry.passwordHash) return identityOf(entry);
    return 'slow';
  }

  identity(gateway: string): GatewayIdentity | undefined {
    const entry = this.gateways.get(gateway);
    return entry && !entry.disabled ? identityOf(entry) : undefined;
  }

  /** Writes migrated entries now (also done by itself shortly after they migrate). */
  flushMigrations(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.pending.size === 0) return;
    // Read the file again: another process (provision, a second worker) may have changed it since load;
    // only entries that still hold the scrypt hash this process replaced are rewritten.
    const onDisk = existsSync(this.file) ? registryFile.parse(JSON.parse(readFileSync(this.file, 'utf8'))).gateways : [];
    const done = [...this.pending];
    const next = onDisk.map((entry) => {
      const from = this.pending.get(entry.id);
      const now = this.gateways.get(entry.id);
      return from !== undefined && entry.passwordHash === from && now ? { ...entry, passwordHash: now.passwordHash } : entry;
    });
    this.write(next);
    for (const [gateway, from] of done) if (this.pending.get(gateway) === from) this.pending.delete(gateway);
  }

  private migrate(entry: GatewayEntry, token: string): void {
    const migrated: GatewayEntry = { ...entry, passwordHash: this.tokenVerifier(token) };
    this.gateways.set(entry.id, migrated);
    if (!this.pending.has(entry.id)) this.pending.set(entry.id, entry.passwordHash);
    this.migrated++;
    this.saveTimer ??= setTimeout(() => {
      try {
        this.flushMigrations();
      } catch (error) {
        this.saveTimer = undefined;
        this.options.onSaveError?.(error as Error);
      }
    }, this.options.migrationSaveDelayMs ?? 1000).unref();
  }

  private tokenKey(): GatewayTokenKey {
    this.key ??= GatewayTokenKey.loadOrCreate(this.keyFile);
    return this.key;
  }

  private write(gateways: readonly GatewayEntry[]): void {
    // Per-process temp name: two workers sharing one registry never write into the same temp file.
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, gateways }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

function identityOf(entry: GatewayEntry): GatewayIdentity {
  return { gateway: entry.id, township: entry.township, compound: entry.compound };
}
