// TLS on every listener that leaves the box (issue 13 item 14), with real TLS connections on 127.0.0.1
// and an openssl-made PKI: the township broker and console, the installer console and the local
// broker. A plain client gets nothing; the key must be 0600; with caFile a client certificate is
// required; the cookies are Secure over TLS; the township console refuses a plain off-loopback bind.
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { cloudIngestConfig } from '../../cloud-ingest/config.js';
import { hashPassword } from '../../cloud-ingest/registry/password.js';
import { provisionGateway } from '../../cloud-ingest/registry/provision.js';
import { GatewayRegistry } from '../../cloud-ingest/registry/registry.js';
import { CloudIngest } from '../../cloud-ingest/service.js';
import { createConsoleStage } from '../../gateway/console/stage.js';
import { EmbeddedBroker } from '../../gateway/local-broker/embedded-broker.js';
import { HonestClock } from '../../gateway/time/honest-clock.js';
import { silentLogger } from '../../contract/logger.js';
import { hashPassword as hashDevicePassword, parsePasswordHash, type PasswordHash } from '../../contract/password-hash.js';
import { Stats } from '../../contract/stats.js';
import { makeContext, PASSWORD, writePasswordFile } from '../gateway/console/fixture.js';
import { freePort, tempDir } from '../helpers/peers.js';
import { makeTestPki } from '../helpers/test-pki.js';

const dir = tempDir('listener-tls');
const pki = makeTestPki(dir.path);
afterAll(() => dir.remove());

interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS request trusting only the test CA. */
function httpsRequest(port: number, path: string, body?: unknown): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', ca: pki.ca, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.once('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** True when a plain-text MQTT client gets no CONNACK from the port (the TLS server drops it). */
function plainMqttRefused(port: number, username: string, password: string): Promise<boolean> {
  // mqtt.js's connectAsync never settles when the socket just closes, so the events are watched.
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { username, password, reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 4 });
  return new Promise<boolean>((resolve) => {
    client.once('connect', () => resolve(false));
    client.once('error', () => resolve(true));
    client.once('close', () => resolve(true));
  }).finally(() => client.end(true));
}

describe('township broker and console over TLS', () => {
  it('serves gateways over mqtts:// and staff over https with a Secure cookie and HSTS; plain clients get nothing', async () => {
    const dataDir = join(dir.path, 'town');
    mkdirSync(dataDir, { recursive: true });
    const tls = { certFile: pki.certFile, keyFile: pki.keyFile };
    const config = cloudIngestConfig.parse({
      version: 1,
      broker: { type: 'embedded', host: '127.0.0.1', port: 0, tls },
      dataDir,
      // secureCookie false: over TLS the cookie is Secure anyway.
      console: { host: '127.0.0.1', port: 0, tls, secureCookie: false, users: [{ name: 'officer', township: 'town-1', passwordHash: hashPassword('officer-password') }] },
    });
    const registry = new GatewayRegistry(join(dataDir, 'gateways.json'));
    registry.load();
    const { password } = provisionGateway(registry, { gateway: 'gw-1', township: 'town-1', compound: 'c-1', brokerUrl: 'mqtts://127.0.0.1:8883' });
    const service = new CloudIngest(config, silentLogger());
    await service.start();
    try {
      const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${service.brokerPort}`, { clientId: 'gw-1', username: 'gw-1', password, ca: pki.ca, reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4 });
      expect(client.connected).toBe(true);
      client.end(true);
      expect(await plainMqttRefused(service.brokerPort, 'gw-1', password)).toBe(true);
      // A client that does not trust the township CA refuses the broker.
      await expect(mqtt.connectAsync(`mqtts://127.0.0.1:${service.brokerPort}`, { clientId: 'gw-1', username: 'gw-1', password, reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/self-signed|unable to (get|verify)/);

      const page = await httpsRequest(service.consolePort, '/');
      expect(page.status).toBe(200);
      expect(page.headers['strict-transport-security']).toMatch(/max-age=/);
      const login = await httpsRequest(service.consolePort, '/api/login', { user: 'officer', password: 'officer-password' });
      expect(login.status).toBe(200);
      expect(String(login.headers['set-cookie'])).toMatch(/; Secure/i);
      await expect(fetch(`http://127.0.0.1:${service.consolePort}/`)).rejects.toThrow();
    } finally {
      await service.stop();
    }
  }, 60_000);

  it('refuses to start on a key file others can read, naming the config path', async () => {
    const loose = join(dir.path, 'loose.key');
    copyFileSync(pki.keyFile, loose);
    chmodSync(loose, 0o644);
    const dataDir = join(dir.path, 'loose');
    mkdirSync(dataDir, { recursive: true });
    const service = new CloudIngest(cloudIngestConfig.parse({ version: 1, broker: { type: 'embedded', host: '127.0.0.1', port: 0, tls: { certFile: pki.certFile, keyFile: loose } }, console: { enabled: false }, dataDir }), silentLogger());
    await expect(service.start()).rejects.toThrow(/broker\.tls\.keyFile: .*readable by others \(mode 644\).*chmod 600/);
    await service.stop().catch(() => undefined);
  }, 30_000);

  it('keeps a plain township console on loopback unless a TLS proxy is declared in front of it', () => {
    const open = cloudIngestConfig.safeParse({ version: 1, console: { host: '0.0.0.0' } });
    expect(open.success).toBe(false);
    expect(JSON.stringify(open.error?.issues)).toMatch(/console staff reach over a network needs tls/);
    expect(cloudIngestConfig.safeParse({ version: 1, console: { host: '0.0.0.0', tls: { certFile: '/c', keyFile: '/k' } } }).success).toBe(true);
    expect(cloudIngestConfig.safeParse({ version: 1, console: { host: '0.0.0.0', behindTlsProxy: true } }).success).toBe(true);
    expect(cloudIngestConfig.parse({ version: 1 }).console.host).toBe('127.0.0.1');
  });
});

describe('gateway listeners over TLS', () => {
  it('serves the installer console over https with a Secure cookie', async () => {
    const port = await freePort();
    const { context } = makeContext(dir.path, port, await writePasswordFile(dir.path), `, tls: { certFile: ${pki.certFile}, keyFile: ${pki.keyFile} }`);
    const stage = createConsoleStage(context)!;
    await stage.start();
    try {
      const login = await httpsRequest(port, '/api/login', { password: PASSWORD });
      expect(login.status).toBe(200);
      expect(String(login.headers['set-cookie'])).toMatch(/; Secure/i);
      expect(login.headers['strict-transport-security']).toMatch(/max-age=/);
      await expect(fetch(`http://127.0.0.1:${port}/login`)).rejects.toThrow();
    } finally {
      await stage.stop();
    }
  }, 60_000);

  it('serves devices on the local broker over mqtts://, and with caFile only devices holding a certificate from it', async () => {
    const users = new Map([['device-1', { username: 'device-1', hash: parsePasswordHash(await hashDevicePassword('device-pw', { N: 1024, r: 8, p: 1 })) as PasswordHash, publish: ['dev/#'], subscribe: [] }]]);
    const start = async (tls: { certFile: string; keyFile: string; caFile?: string }) => {
      const port = await freePort();
      const broker = new EmbeddedBroker({ host: '127.0.0.1', port, tls, users, log: silentLogger(), stats: new Stats(), clock: new HonestClock({ synced: true }) });
      await broker.start();
      return { broker, port };
    };
    const serverOnly = await start({ certFile: pki.certFile, keyFile: pki.keyFile });
    try {
      expect(serverOnly.broker.url()).toMatch(/^mqtts:\/\//);
      const device = await mqtt.connectAsync(`mqtts://127.0.0.1:${serverOnly.port}`, { username: 'device-1', password: 'device-pw', ca: pki.ca, reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4 });
      await device.publishAsync('dev/device-1/t', '1', { qos: 1 });
      device.end(true);
      expect(await plainMqttRefused(serverOnly.port, 'device-1', 'device-pw')).toBe(true);
    } finally {
      await serverOnly.broker.stop();
    }
    const mutual = await start({ certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile });
    try {
      const base = { username: 'device-1', password: 'device-pw', ca: pki.ca, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4 as const };
      await expect(mqtt.connectAsync(`mqtts://127.0.0.1:${mutual.port}`, base)).rejects.toThrow();
      const device = await mqtt.connectAsync(`mqtts://127.0.0.1:${mutual.port}`, { ...base, cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile) });
      expect(device.connected).toBe(true);
      device.end(true);
    } finally {
      await mutual.broker.stop();
    }
  }, 60_000);
});
