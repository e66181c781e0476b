// The gateway registry: who may connect, and which township and compound a gateway's data belongs to.
// A JSON file, rewritten atomically; cloud-ingest takes township/compound tags from here, never from payloads.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { id } from '../../config/sections/common.js';
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

  /** The gateway's identity when the credentials match an enabled entry, else undefined. */
  async authenticate(gateway: string, password: string): Promise<GatewayIdentity | undefined> {
    const entry = this.gateways.get(gateway);
    if (!entry || entry.disabled) return undefined;
    const key = `${gateway}\u0000${password}`;
    if (this.verified.get(key) !== entry.passwordHash) {
      if (!(await verifyPasswordAsync(password, entry.passwordHash))) return undefined;
      this.verified.set(key, entry.passwordHash);
    }
    return { gateway: entry.id, township: entry.township, compound: entry.compound };
  }

  identity(gateway: string): GatewayIdentity | undefined {
    const entry = this.gateways.get(gateway);
    return entry && !entry.disabled ? { gateway: entry.id, township: entry.township, compound: entry.compound } : undefined;
  }
}
