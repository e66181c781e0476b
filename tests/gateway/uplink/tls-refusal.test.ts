// The uplink refuses a broker it cannot verify (issue 18): one whose server certificate comes from another
// CA, and one whose certificate is from the township CA but names another host (SAN). Each broker accepts
// the gateway's client certificate and has a rogue "township" on it that would receipt anything, so if the
// gateway did connect its alarm would be taken and receipted. It must stay disconnected, with nothing
// published and the alarm still in the spool. Real mosquitto and openssl, as tls-credentials.test.ts.
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';
import { encodeAlarmRecord } from '../../../gateway/spool/alarm-record.js';
import { Spool } from '../../../gateway/spool/spool.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { Uplink } from '../../../gateway/uplink/uplink.js';
import { requireBinary, startMosquitto, tempDir, type Peer } from '../../helpers/peers.js';
import { TestSubscriber, waitFor } from './subscriber.js';

const GATEWAY = 'gw-tls-refuse';
const pki = tempDir('tls-refusal-pki');
const cleanups: (() => Promise<void> | void)[] = [() => pki.remove()];
const file = (name: string) => join(pki.path, name);
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function openssl(...args: string[]): void {
  execFileSync(requireBinary('/usr/bin/openssl'), args, { cwd: pki.path, stdio: 'ignore' });
}

/** A key and a certificate for `name`, signed by the CA `ca`, with the given extension line. */
function issue(name: string, cn: string, ca: string, ext: string): void {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  writeFileSync(file(`${name}.ext`), `${ext}\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}

/** A TLS broker presenting `server`, requiring a client certificate from the township CA. */
function broker(server: string): Promise<Peer> {
  return startMosquitto({ extraConfig: [`cafile ${file('township-ca.pem')}`, `certfile ${file(`${server}.pem`)}`, `keyfile ${file(`${server}.key`)}`, 'require_certificate true'] });
}

let otherCa: Peer;
let wrongSan: Peer;
beforeAll(async () => {
  for (const ca of ['township-ca', 'other-ca']) openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`);
  issue('client', GATEWAY, 'township-ca', 'extendedKeyUsage=clientAuth');
  // Right name, wrong issuer.
  issue('server-other-ca', '127.0.0.1', 'other-ca', 'subjectAltName=IP:127.0.0.1');
  // Right issuer, wrong name: the gateway dials 127.0.0.1.
  issue('server-wrong-san', 'ingest.township.example', 'township-ca', 'subjectAltName=DNS:ingest.township.example,IP:127.0.0.2');
  // mosquitto started as root drops to its own user, which must be able to read the test PKI.
  chmodSync(pki.path, 0o755);
  for (const name of readdirSync(pki.path)) chmodSync(file(name), 0o644);
  otherCa = await broker('server-other-ca');
  cleanups.push(() => otherCa.stop());
  wrongSan = await broker('server-wrong-san');
  cleanups.push(() => wrongSan.stop());
});

async function refused(peer: Peer) {
  const url = `mqtts://127.0.0.1:${peer.port}`;
  // The rogue township trusts anything, so it sees whatever the gateway publishes, and receipts it.
  const rogue = await TestSubscriber.start(url, GATEWAY, {
    connect: { clientId: `rogue-${peer.port}`, ca: readFileSync(file('township-ca.pem')), cert: readFileSync(file('client.pem')), key: readFileSync(file('client.key')), rejectUnauthorized: false },
  });
  cleanups.push(() => rogue.stop());
  const dir = tempDir('tls-refusal-spool');
  cleanups.push(() => dir.remove());
  const stats = new Stats();
  const clock = new HonestClock({ synced: true });
  const spool = new Spool({ dir: dir.path, maxBytes: 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 64 * 1024 }, silentLogger(), stats);
  spool.open();
  const uplink = new Uplink({
    connection: {
      url, gateway: GATEWAY, clientId: GATEWAY, username: GATEWAY, passwordFile: undefined,
      ca: file('township-ca.pem'), cert: file('client.pem'), key: file('client.key'), keepaliveMs: 5_000, reconnectMinMs: 50, reconnectMaxMs: 100,
    },
    spool, time: { clock, epoch: clock.epoch }, batchMaxRecords: 10, batchMaxAgeMs: 10, maxInflight: 2, receiptTimeoutMs: 5_000, statusEveryMs: 60_000, sourceIds: [], log: silentLogger(), stats, onCommand: () => undefined,
  });
  cleanups.push(async () => {
    await uplink.stop();
    await spool.close();
  });
  const event: AlarmEvent = {
    eventId: `tls-refuse-${peer.port}`, alarmId: 'a', transition: 'raise', state: 'raised', level: 'alarm', source: 's', point: undefined, rule: 'tls',
    value: undefined, text: { zh: '测试', en: 'test' }, tags: {}, ts: clock.now(), mono: clock.mono(), timeSynced: true, by: undefined,
  };
  await spool.append('alarm', encodeAlarmRecord(event, clock.epoch));
  uplink.start();
  // Several refused handshakes, each one a counted connection error (or, were it to verify nothing, a connect).
  await waitFor('three refused TLS handshakes', () => stats.counter('uplink.error', { code: 'UPLINK_TLS' }) >= 3 || stats.counter('uplink.connect') > 0, 15_000, () => stats.snapshot());
  // Had it connected, the alarm would be published and receipted by now.
  if (stats.counter('uplink.connect') > 0) await waitFor('the rogue receipt', () => spool.alarm.acked() === 1, 5_000);
  return { uplink, spool, stats, rogue };
}

describe('uplink TLS refuses a broker it cannot verify', () => {
  for (const [what, peer] of [['a certificate from another CA', () => otherCa], ['a certificate for another host (SAN)', () => wrongSan]] as const) {
    it(`stays disconnected from a broker with ${what}, and nothing is published or receipted`, async () => {
      const { uplink, spool, stats, rogue } = await refused(peer());
      expect(uplink.connected()).toBe(false);
      expect(stats.counter('uplink.connect')).toBe(0);
      expect(stats.counter('uplink.published', { lane: 'alarm' })).toBe(0);
      expect(rogue.deliveries).toEqual([]);
      expect(spool.alarm.acked()).toBe(0);
    });
  }
});
