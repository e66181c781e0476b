// Gateway tokens (issue 19): the registry's HMAC verifier, its key file, and the migration of scrypt
// entries made before it. Speed is measured by bench:fleet, not asserted here.
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../contract/password-hash.js';
import { GatewayTokenKey, looksLikeMachineToken } from '../../cloud-ingest/registry/gateway-token.js';
import { randomPassword } from '../../cloud-ingest/registry/password.js';
import { provisionGateway } from '../../cloud-ingest/registry/provision.js';
import { GatewayRegistry, defaultKeyFile } from '../../cloud-ingest/registry/registry.js';
import { tempDir } from '../helpers/peers.js';
import { waitFor } from '../helpers/wait.js';

const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 };

function readEntries(file: string): { id: string; passwordHash: string }[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { gateways: { id: string; passwordHash: string }[] }).gateways;
}

describe('gateway token verifier', () => {
  it('verifies the right token only, under its own key only', () => {
    const key = GatewayTokenKey.random();
    const token = randomPassword();
    const stored = key.verifier(token);
    expect(stored).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{8}\$[A-Za-z0-9+/]{43}=$/);
    expect(key.verify(token, stored)).toBe(true);
    expect(key.verify(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, stored)).toBe(false);
    expect(key.verify('', stored)).toBe(false);
    expect(GatewayTokenKey.random().verify(token, stored)).toBe(false);
    expect(key.verify(token, stored.replace(key.id, 'AAAAAAAA'))).toBe(false);
    expect(key.verify(token, 'scrypt$1$2$3$4$5')).toBe(false);
    expect(key.verify(token, 'hmac-sha256$x$short')).toBe(false);
  });

  it('keeps its key in a 0600 file made once, and refuses a key file others can read', () => {
    const dir = tempDir('token-key');
    const file = join(dir.path, 'k.key');
    expect(GatewayTokenKey.load(file)).toBeUndefined();
    const made = GatewayTokenKey.loadOrCreate(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(GatewayTokenKey.loadOrCreate(file).id).toBe(made.id);
    const token = randomPassword();
    expect(GatewayTokenKey.load(file)!.verify(token, made.verifier(token))).toBe(true);
    chmodSync(file, 0o644);
    expect(() => GatewayTokenKey.load(file)).toThrow(/chmod 600/);
    dir.remove();
  });

  it('takes over only secrets shaped like provisioned tokens', () => {
    expect(looksLikeMachineToken(randomPassword())).toBe(true);
    expect(looksLikeMachineToken('correct horse battery staple')).toBe(false);
    expect(looksLikeMachineToken('short')).toBe(false);
  });
});

describe('gateway registry with token verifiers', () => {
  it('provisions a token verifier (never the token) and authenticates it; wrong tokens and unknown ids fail', async () => {
    const dir = tempDir('registry-token');
    const file = join(dir.path, 'gateways.json');
    const registry = new GatewayRegistry(file).load();
    const { password } = provisionGateway(registry, { gateway: 'gw-1', township: 'town', compound: 'c1', brokerUrl: 'mqtt://127.0.0.1' });
    const [entry] = readEntries(file);
    expect(entry!.passwordHash.startsWith('hmac-sha256$')).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toContain(password);
    expect(statSync(defaultKeyFile(file)).mode & 0o777).toBe(0o600);
    const reloaded = new GatewayRegistry(file).load();
    expect(reloaded.quickCheck('gw-1', password)).toEqual({ gateway: 'gw-1', township: 'town', compound: 'c1' });
    expect(await reloaded.authenticate('gw-1', password)).toEqual({ gateway: 'gw-1', township: 'town', compound: 'c1' });
    expect(await reloaded.authenticate('gw-1', randomPassword())).toBeUndefined();
    expect(await reloaded.authenticate('gw-2', password)).toBeUndefined();
    expect(reloaded.counts()).toEqual({ token: 1, scrypt: 0 });
    dir.remove();
  });

  it('refuses to load token entries without the key they were made under', () => {
    const dir = tempDir('registry-nokey');
    const file = join(dir.path, 'gateways.json');
    provisionGateway(new GatewayRegistry(file).load(), { gateway: 'gw-1', township: 'town', compound: 'c1', brokerUrl: 'mqtt://127.0.0.1' });
    expect(() => new GatewayRegistry(file, { keyFile: join(dir.path, 'other.key') }).load()).toThrow(/provisioned under token key .* does not exist/);
    GatewayTokenKey.loadOrCreate(join(dir.path, 'other.key'));
    expect(() => new GatewayRegistry(file, { keyFile: join(dir.path, 'other.key') }).load()).toThrow(/holds key/);
    dir.remove();
  });

  it('verifies an old scrypt entry and rewrites it to a token verifier that a fresh process accepts', async () => {
    const dir = tempDir('registry-migrate');
    const file = join(dir.path, 'gateways.json');
    const token = randomPassword();
    const old = await hashPassword(token, CHEAP_SCRYPT);
    const human = await hashPassword('pw-short', CHEAP_SCRYPT);
    const other = await hashPassword(randomPassword(), CHEAP_SCRYPT);
    const entry = (id: string, passwordHash: string) => ({ id, township: 'town', compound: `c-${id}`, passwordHash, createdAt: '2026-01-01T00:00:00.000Z', disabled: false });
    writeFileSync(file, JSON.stringify({ version: 1, gateways: [entry('gw-old', old), entry('gw-human', human), entry('gw-idle', other)] }), { mode: 0o600 });

    const registry = new GatewayRegistry(file, { migrationSaveDelayMs: 60_000 }).load();
    expect(registry.quickCheck('gw-old', token)).toBe('slow');
    expect(await registry.authenticate('gw-old', `${token}x`)).toBeUndefined();
    expect(registry.migrated).toBe(0);
    expect(await registry.authenticate('gw-old', token)).toEqual({ gateway: 'gw-old', township: 'town', compound: 'c-gw-old' });
    expect(registry.migrated).toBe(1);
    // Migrated in memory at once: the next connect needs no scrypt.
    expect(registry.quickCheck('gw-old', token)).toEqual({ gateway: 'gw-old', township: 'town', compound: 'c-gw-old' });
    // A secret not shaped like a token keeps scrypt (a fast hash would make guessing it cheap).
    expect(await registry.authenticate('gw-human', 'pw-short')).toEqual({ gateway: 'gw-human', township: 'town', compound: 'c-gw-human' });
    expect(registry.migrated).toBe(1);

    // Another process rotates gw-idle meanwhile: the flush must keep its change, and write only gw-old.
    const rotated = entry('gw-idle', await hashPassword(randomPassword(), CHEAP_SCRYPT));
    const others = readEntries(file).map((e) => (e.id === 'gw-idle' ? rotated : e));
    writeFileSync(file, JSON.stringify({ version: 1, gateways: others }), { mode: 0o600 });
    registry.flushMigrations();
    const onDisk = new Map(readEntries(file).map((e) => [e.id, e.passwordHash]));
    expect(onDisk.get('gw-old')!.startsWith('hmac-sha256$')).toBe(true);
    expect(onDisk.get('gw-human')).toBe(human);
    expect(onDisk.get('gw-idle')).toBe(rotated.passwordHash);

    const fresh = new GatewayRegistry(file).load();
    expect(fresh.counts()).toEqual({ token: 1, scrypt: 2 });
    expect(fresh.quickCheck('gw-old', token)).toEqual({ gateway: 'gw-old', township: 'town', compound: 'c-gw-old' });
    expect(await fresh.authenticate('gw-old', randomPassword())).toBeUndefined();
    dir.remove();
  });

  it('saves migrations by itself shortly after they happen', async () => {
    const dir = tempDir('registry-migrate-timer');
    const file = join(dir.path, 'gateways.json');
    const token = randomPassword();
    writeFileSync(file, JSON.stringify({ version: 1, gateways: [{ id: 'gw-1', township: 't', compound: 'c', passwordHash: await hashPassword(token, CHEAP_SCRYPT), createdAt: 'x', disabled: false }] }), { mode: 0o600 });
    const registry = new GatewayRegistry(file, { migrationSaveDelayMs: 10 }).load();
    expect(await registry.authenticate('gw-1', token)).toBeDefined();
    await waitFor('the migrated entry on disk', () => readEntries(file)[0]!.passwordHash.startsWith('hmac-sha256$'));
    dir.remove();
  });
});
