// Pure parts of cloud-ingest: config errors, line-protocol checks, password formats, dedup and the alarm log.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCloudIngestConfig } from '../../cloud-ingest/config.js';
import { ConfigError } from '../../contract/load-yaml.js';
import { LineError, parseLine } from '../../cloud-ingest/ingest/line-protocol.js';
import { checkBatch } from '../../cloud-ingest/ingest/telemetry.js';
import { checkLine } from '../../cloud-ingest/ingest/checked-line.js';
import { RecentWindow } from '../../cloud-ingest/ingest/recent-window.js';
import { DedupStore } from '../../cloud-ingest/ingest/dedup.js';
import { hashPassword, mosquittoPasswordHash, verifyPassword } from '../../cloud-ingest/registry/password.js';
import { GatewayRegistry } from '../../cloud-ingest/registry/registry.js';
import { formatProvisionResult, provisionGateway } from '../../cloud-ingest/registry/provision.js';
import { provisionCommand } from '../../cloud-ingest/registry/provision-command.js';
import { tempDir } from '../helpers/peers.js';

const identity = { gateway: 'gw-1', township: 'town', compound: 'c1' };
const now = Date.UTC(2026, 5, 1);

describe('cloud-ingest config', () => {
  it('loads the example config', () => {
    const text = readFileSync('config/cloud-ingest.example.yaml', 'utf8');
    const config = parseCloudIngestConfig('config/cloud-ingest.example.yaml', text);
    expect(config.broker.type).toBe('embedded');
    expect(config.influx?.bucket).toBe('lastmile');
  });

  it('names file, line and path for an unknown key and a plain password', () => {
    const text = ['version: 1', 'influx:', '  url: http://x:8086', '  bukcet: b', 'console:', '  users:', '    - { name: a, township: t, passwordHash: secret }'].join('\n');
    try {
      parseCloudIngestConfig('ci.yaml', text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/ci\.yaml:4:\d+ influx\.bukcet: .*unknown key/);
      expect((error as Error).message).toMatch(/ci\.yaml:7:\d+ console\.users\[0\]\.passwordHash/);
    }
  });
});

describe('line protocol checks', () => {
  it('parses escapes, quoted strings with spaces, integer and boolean fields', () => {
    const p = parseLine(`door,source=d\\ 1,building=3 open=true,note="a b, \\"c\\"",count=3i ${now}`, now);
    expect(p.tags.get('source')).toBe('d 1');
    expect(p.fields).toEqual([['open', true], ['note', 'a b, "c"'], ['count', 3]]);
  });

  it.each([
    ['unknown measurement', `cpu,source=a v=1 ${now}`, /not a device class/],
    ['no timestamp', 'smoke,source=a alarm=true', /missing timestamp/],
    ['seconds instead of ms / 1970', `smoke,source=a alarm=true 1700000`, /outside/],
    ['no source tag', `smoke,building=1 alarm=true ${now}`, /missing tag "source"/],
    ['bad field value', `smoke,source=a alarm=maybe ${now}`, /not a number/],
    ['empty tag value', `smoke,source= alarm=true ${now}`, /expected key=value|empty value/],
    ['spaces in the middle', `smoke,source=a alarm=true 12 ${now}`, /unexpected spaces|not an integer/],
  ])('rejects %s', (_name, line, reason) => {
    expect(() => parseLine(line, now)).toThrow(LineError);
    expect(() => parseLine(line, now)).toThrow(reason);
    expect(() => checkLine(line, identity, now)).toThrow(LineError);
    expect(() => checkLine(line, identity, now)).toThrow(reason);
  });

  it('rewrites escaped and quoted lines through the general parser with the same enforced tags', () => {
    const c = checkLine(`door,source=d\\ 1,gateway=fake note="open, \\"by hand\\"",open=true ${now}`, identity, now);
    expect(c.out).toBe(`door,source=d\\ 1,township=town,compound=c1,gateway=gw-1 note="open, \\"by hand\\"",open=true ${now}`);
    expect([c.source, c.fieldCount]).toEqual(['d 1', 2]);
  });

  it('keeps a bounded recent window and parses charts on demand', () => {
    const w = new RecentWindow({ pointsPerSeries: 3, maxBytes: 2 * (768 + 2 * 'gw-1\u0000m1'.length + 3 * (64 + 2 * 'v=1,ok=false'.length)), maxBytesPerGateway: 1 << 20 });
    const line = (source: string, ts: number, fields: string) => checkLine(`power,source=${source} ${fields} ${ts}`, identity, now);
    w.add(identity, [line('m1', now + 2, 'v=2,ok=true'), line('m1', now + 1, 'v=1,ok=false'), line('m1', now + 3, 'v=3i,ok=true'), line('m1', now + 4, 'v=4,ok=t')]);
    expect(w.points({ gateway: 'gw-1', source: 'm1', field: 'v' })).toMatchObject({ ts: [now + 1, now + 3, now + 4], values: [1, 3, 4] });
    expect(w.points({ gateway: 'gw-1', source: 'm1', field: 'ok' })?.values).toEqual([0, 1, 1]);
    w.add(identity, [line('m2', now, 'v=1')]);
    w.add(identity, [line('m3', now, 'v=1')]);
    expect(w.points({ gateway: 'gw-1', source: 'm1', field: 'v' })).toBeUndefined();
    expect(w.list(() => true).map((s) => `${s.source}.${s.field}`).sort()).toEqual(['m2.v', 'm3.v']);
  });

  it('overrides identity tags and numbers rejected lines from 1', async () => {
    const batch = await checkBatch(identity, [`smoke,source=a,township=evil alarm=true ${now}`, 'garbage', '', `smoke,source=b alarm=false ${now}`].join('\n'), now);
    expect(batch.lines).toEqual([`smoke,source=a,township=town,compound=c1,gateway=gw-1 alarm=true ${now}`, `smoke,source=b,township=town,compound=c1,gateway=gw-1 alarm=false ${now}`]);
    expect(batch.rejected.map((r) => r.line)).toEqual([2]);
  });
});

describe('passwords and provisioning', () => {
  it('verifies scrypt hashes and refuses wrong passwords', () => {
    const hash = hashPassword('s3cret');
    expect(verifyPassword('s3cret', hash)).toBe(true);
    expect(verifyPassword('s3cre', hash)).toBe(false);
    expect(verifyPassword('s3cret', 'plain')).toBe(false);
  });

  it('makes mosquitto 2.0 $7$ hashes (PBKDF2-SHA512, 12-byte salt, 64-byte hash)', () => {
    const salt = Buffer.alloc(12, 7);
    const line = mosquittoPasswordHash('pw', 101, salt);
    const [, seven, iterations, saltB64, hashB64] = line.split('$');
    expect([seven, iterations, saltB64]).toEqual(['7', '101', salt.toString('base64')]);
    expect(Buffer.from(hashB64!, 'base64').equals(pbkdf2Sync('pw', salt, 101, 64, 'sha512'))).toBe(true);
  });

  it('provisions a gateway into the registry and prints the uplink block and broker entries', async () => {
    const dir = tempDir('provision');
    const registry = new GatewayRegistry(join(dir.path, 'gateways.json')).load();
    const result = provisionGateway(registry, { gateway: 'gw-9', township: 'town', compound: 'c9', brokerUrl: 'mqtts://ingest.example:8883' });
    const text = formatProvisionResult(result);
    expect(text).toContain('uplink:\n  url: mqtts://ingest.example:8883\n  username: gw-9');
    expect(text).toContain('user gw-9\ntopic write lm/v1/gw-9/t/+\ntopic write lm/v1/gw-9/a/+\ntopic write lm/v1/gw-9/status\ntopic write lm/v1/gw-9/cmd/result\ntopic read lm/v1/gw-9/cmd\ntopic read lm/v1/gw-9/receipt');
    expect(result.mosquittoPasswordLine).toMatch(/^gw-9:\$7\$101\$/);
    const reloaded = new GatewayRegistry(join(dir.path, 'gateways.json')).load();
    expect(await reloaded.authenticate('gw-9', result.password)).toEqual({ gateway: 'gw-9', township: 'town', compound: 'c9' });
    expect(await reloaded.authenticate('gw-9', 'nope')).toBeUndefined();
    expect(readFileSync(join(dir.path, 'gateways.json'), 'utf8')).not.toContain(result.password);
    expect(() => provisionGateway(registry, { gateway: 'gw-9', township: 'town', compound: 'c9', brokerUrl: 'mqtts://x' })).toThrow(/already provisioned/);
    dir.remove();
  });
});

describe('lastmile-ingest provision (the function the CLI calls)', () => {
  it('provisions into the registry named by the config and refuses missing arguments', async () => {
    const dir = tempDir('provision-cmd');
    const config = join(dir.path, 'ci.yaml');
    writeFileSync(config, `version: 1\ndataDir: ${dir.path}/data\n`);
    const out = provisionCommand(['--config', config, '--gateway', 'gw-7', '--township', 'town', '--compound', 'c7', '--broker-url', 'mqtts://t.example:8883']);
    expect(out).toContain('username: gw-7');
    expect(out).toMatch(/^gw-7:\$7\$101\$/m);
    expect(new GatewayRegistry(join(dir.path, 'data', 'gateways.json')).load().get('gw-7')?.compound).toBe('c7');
    expect(() => provisionCommand(['--config', config, '--gateway', 'gw-8'])).toThrow(/missing --township/);
    dir.remove();
  });
});

describe('dedup store', () => {
  it('runs work once per key, retries after a failure, and remembers ids across a restart', async () => {
    const dir = tempDir('dedup');
    const file = join(dir.path, 'd.journal');
    const store = new DedupStore(100, file);
    await expect(store.once('a', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await store.once('a', async () => undefined)).toBe(true);
    expect(await store.once('a', async () => undefined)).toBe(false);
    expect(new DedupStore(100, file).has('a')).toBe(true);
    dir.remove();
  });
});

