// Commissioning a secure OPC UA server (SignAndEncrypt, Basic256Sha256), as README.md describes: the
// driver does not trust an unknown server certificate by default, so the source stays offline and the
// certificate lands in pkiDir/rejected/; once an installer moves it to trusted/certs/, the driver's own
// retry connects and readings arrive, without a restart.
import { Services } from '../../../../gateway/pipeline/services.js';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../../config/load-site.js';
import type { Driver } from '../../../../gateway/drivers/driver.js';
import { loadDriver } from '../../../../gateway/drivers/registry.js';
import { EventBus } from '../../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../../gateway/pipeline/events.js';
import type { Reading, SourceStatus } from '../../../../gateway/pipeline/types.js';
import { resolveSources } from '../../../../gateway/runtime.js';
import { HonestClock } from '../../../../gateway/time/honest-clock.js';
import { silentLogger } from '../../../../contract/logger.js';
import { Stats } from '../../../../contract/stats.js';
import { freePort, tempDir } from '../../../helpers/peers.js';
import { FLOAT_NODE, LEVEL_NODE, TestOpcuaServer } from './opcua-test-server.js';
import { waitFor } from '../../../helpers/wait.js';

const PROFILES_DIR = fileURLToPath(new URL('./profiles/', import.meta.url));

const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000) => waitFor(what, probe, timeoutMs);

function pemFiles(folder: string): string[] {
  try {
    return readdirSync(folder).filter((name) => /\.(pem|der)$/.test(name));
  } catch {
    return [];
  }
}

describe('opcua driver on a secure channel', () => {
  const dir = tempDir('opcua-secure');
  const previousXdg = process.env.XDG_CONFIG_HOME;
  const pkiDir = join(dir.path, 'client-pki');
  const readings: Reading[] = [];
  const statuses: SourceStatus[] = [];
  let server: TestOpcuaServer;
  let driver: Driver;

  beforeAll(async () => {
    process.env.XDG_CONFIG_HOME = join(dir.path, 'xdg');
    mkdirSync(process.env.XDG_CONFIG_HOME, { recursive: true });
    server = new TestOpcuaServer(await freePort(), join(dir.path, 'server-pki'));
    await server.start(321, { secureOnly: true });
    const siteFile = join(dir.path, 'site.yaml');
    const site = [
      'version: 1',
      `gateway: { township: t1, compound: c1, id: gw1, profilesDir: ${JSON.stringify(PROFILES_DIR)} }`,
      'sources:',
      '  - id: pump-1',
      '    profile: testvendor/pump-station',
      `    opcua: { endpoint: ${JSON.stringify(server.endpoint)}, publishingInterval: 100ms, nodes: { level: ${JSON.stringify(LEVEL_NODE)}, high_float: ${JSON.stringify(FLOAT_NODE)} } }`,
      '    tags: { building: "3" }',
      // The defaults are SignAndEncrypt + Basic256Sha256 and no trust on first use; only the folder and the retry pace change here.
      `drivers: { opcua: { pkiDir: ${JSON.stringify(pkiDir)}, maxRetryDelay: 1s } }`,
    ].join('\n');
    writeFileSync(siteFile, site);
    const loaded = parseSiteConfig(siteFile, site);
    const events = new EventBus<GatewayEvents>((event, error) => {
      throw new Error(`listener for ${event} failed: ${String(error)}`);
    });
    events.on('reading', (r) => readings.push(r));
    events.on('source.status', (s) => statuses.push(s));
    driver = (await loadDriver('opcua'))({ log: silentLogger(), stats: new Stats(), clock: new HonestClock({ synced: true }), events, site: loaded.config, sources: resolveSources(loaded), services: new Services() });
    driver.init();
    await driver.start();
  });

  afterAll(async () => {
    await driver?.stop();
    await server?.stop();
    if (previousXdg === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = previousXdg;
    dir.remove();
  });

  it('stays offline with the server certificate rejected, then reads once an installer trusts it', async () => {
    // Waits for the whole file: node-opcua may still be writing it when it first appears.
    const rejected = await until('the server certificate in rejected/', () => {
      const files = pemFiles(join(pkiDir, 'rejected'));
      if (files.length === 0) return undefined;
      try {
        new X509Certificate(readFileSync(join(pkiDir, 'rejected', files[0]!)));
        return files;
      } catch {
        return undefined;
      }
    });
    expect(readings).toEqual([]);
    expect(pemFiles(join(pkiDir, 'own', 'certs')).length).toBeGreaterThan(0);

    // The offline report names the certificate's SHA-1 thumbprint (what the installer compares with the
    // PLC's display); then trust it, as an installer would. The driver re-reads the trust folders before
    // each retry, so the next attempt picks the move up.
    const thumbprint = new X509Certificate(readFileSync(join(pkiDir, 'rejected', rejected[0]!))).fingerprint;
    const offline = await until('an offline report naming the thumbprint', () => statuses.find((s) => s.source === 'pump-1' && !s.online && s.lastError?.message.includes(thumbprint)));
    expect(offline).toMatchObject({ source: 'pump-1', online: false, lastError: { kind: 'connection' } });
    expect(offline.lastError!.message).toContain('move it to trusted/certs/');
    for (const name of rejected) renameSync(join(pkiDir, 'rejected', name), join(pkiDir, 'trusted', 'certs', name));
    await until('a reading over the secure channel', () => readings.find((r) => r.source === 'pump-1' && r.values.has('level')), 20_000);
    expect(statuses.at(-1)).toMatchObject({ source: 'pump-1', online: true });
  }, 30_000);
});
