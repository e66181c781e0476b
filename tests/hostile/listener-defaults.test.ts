// Bindings, plaintext and file modes (issue 13 items 14, 19): what a configuration may not do, and the
// modes of files that hold what gateways sent.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloudIngestConfig } from '../../cloud-ingest/config.js';
import { DedupStore } from '../../cloud-ingest/ingest/dedup.js';
import { uplink } from '../../config/sections/uplink.js';
import { CloudIngest } from '../../cloud-ingest/service.js';
import { silentLogger } from '../../contract/logger.js';
import { tempDir } from '../helpers/peers.js';

describe('listener defaults and plaintext', () => {
  it('binds the township broker to loopback by default and refuses it off loopback without tls', () => {
    const parsed = cloudIngestConfig.parse({ version: 1 });
    expect(parsed.broker).toMatchObject({ type: 'embedded', host: '127.0.0.1' });
    const open = cloudIngestConfig.safeParse({ version: 1, broker: { type: 'embedded', host: '0.0.0.0' } });
    expect(open.success).toBe(false);
    expect(JSON.stringify(open.error?.issues)).toMatch(/needs tls/);
    expect(cloudIngestConfig.safeParse({ version: 1, broker: { type: 'embedded', host: '0.0.0.0', port: 8883, tls: { certFile: '/c', keyFile: '/k' } } }).success).toBe(true);
  });

  it('refuses a gateway uplink sending its password over plain mqtt:// to another host', () => {
    const plain = uplink.safeParse({ url: 'mqtt://township.example:1883', passwordFile: '/etc/lastmile/uplink.password' });
    expect(plain.success).toBe(false);
    expect(JSON.stringify(plain.error?.issues)).toMatch(/clear text/);
    expect(uplink.safeParse({ url: 'mqtts://township.example:8883', passwordFile: '/etc/lastmile/uplink.password' }).success).toBe(true);
    expect(uplink.safeParse({ url: 'mqtt://127.0.0.1:1883', passwordFile: '/etc/lastmile/uplink.password' }).success).toBe(true);
  });
});

describe('file modes', () => {
  it('keeps the dedup journal 0600 and the data dir 0700', async () => {
    const dir = tempDir('hostile-modes');
    const dataDir = join(dir.path, 'data');
    const service = new CloudIngest(cloudIngestConfig.parse({ version: 1, broker: { type: 'embedded', host: '127.0.0.1', port: 0 }, console: { enabled: false }, dataDir }), silentLogger());
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const dedup = new DedupStore(100, join(dataDir, 'd.journal'));
    await dedup.once('gw/t/1', async () => undefined);
    expect(statSync(join(dataDir, 'd.journal')).mode & 0o777).toBe(0o600);
    void service;
    dir.remove();
  });
});
