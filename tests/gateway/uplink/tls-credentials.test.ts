// TLS and per-gateway credentials against a real mosquitto: server cert checked against the township CA,
// client certificate required, username = gateway id, password from passwordFile. A wrong password
// keeps the gateway out, and the password never shows up in the log.
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../gateway/pipeline/types.js';
import { encodeAlarmRecord } from '../../../gateway/spool/alarm-record.js';
import { Spool } from '../../../gateway/spool/spool.js';
import { Stats } from '../../../contract/stats.js';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { Uplink } from '../../../gateway/uplink/uplink.js';
import { requireBinary, startMosquitto, tempDir, type Peer } from '../../helpers/peers.js';
import { TestSubscriber, waitFor } from './subscriber.js';

const GATEWAY = 'gw-tls';
const PASSWORD = 'correct-horse-battery-staple-7';
const TOWNSHIP_PASSWORD = 'township-test-password-9';
const pki = tempDir('tls-pki');
const cleanups: (() => Promise<void> | void)[] = [() => pki.remove()];
let broker: Peer;
const file = (name: string) => join(pki.path, name);

function openssl(...args: string[]): void {
  execFileSync(requireBinary('/usr/bin/openssl'), args, { cwd: pki.path, stdio: 'ignore' });
}

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=township-test-ca');
  for (const [name, cn, ext] of [['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1'], ['client', GATEWAY, 'extendedKeyUsage=clientAuth']] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
  execFileSync(requireBinary('/usr/bin/mosquitto_passwd'), ['-b', '-c', file('passwords'), GATEWAY, PASSWORD]);
  execFileSync(requireBinary('/usr/bin/mosquitto_passwd'), ['-b', file('passwords'), 'township', TOWNSHIP_PASSWORD]);
  writeFileSync(file('gateway.password'), `${PASSWORD}\n`);
  writeFileSync(file('wrong.password'), 'not-the-password\n');
  // mosquitto started as root drops to its own user, which must be able to read the test PKI.
  chmodSync(pki.path, 0o755);
  for (const name of readdirSync(pki.path)) chmodSync(file(name), 0o644);
  broker = await startMosquitto({
    extraConfig: [`cafile ${file('ca.pem')}`, `certfile ${file('server.pem')}`, `keyfile ${file('server.key')}`, 'require_certificate true', `password_file ${file('passwords')}`, 'allow_anonymous false'],
  });
  cleanups.push(() => broker.stop());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function gatewayUplink(passwordFile: string) {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  const dir = tempDir('tls-spool');
  cleanups.push(() => dir.remove());
  const stats = new Stats();
  const clock = new HonestClock({ synced: true });
  const spool = new Spool({ dir: dir.path, maxBytes: 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 64 * 1024 }, log, stats);
  spool.open();
  const uplink = new Uplink({
    connection: {
      url: `mqtts://127.0.0.1:${broker.port}`, gateway: GATEWAY, clientId: GATEWAY, username: GATEWAY, passwordFile,
      ca: file('ca.pem'), cert: file('client.pem'), key: file('client.key'), keepaliveMs: 5_000, reconnectMinMs: 100, reconnectMaxMs: 300,
    },
    spool, time: { clock, epoch: clock.epoch }, batchMaxRecords: 10, batchMaxAgeMs: 10, maxInflight: 2, receiptTimeoutMs: 5_000, statusEveryMs: 60_000, sourceIds: [], log, stats, onCommand: () => undefined,
  });
  cleanups.push(async () => {
    await uplink.stop();
    await spool.close();
  });
  return { uplink, spool, stats, clock, lines };
}

describe('uplink over TLS with per-gateway credentials', () => {
  it('connects with the password from passwordFile and a client certificate, and delivers', async () => {
    // The township's side: receipts are what free the spool (a PUBACK alone frees nothing).
    const township = await TestSubscriber.start(`mqtts://127.0.0.1:${broker.port}`, GATEWAY, {
      connect: { username: 'township', password: TOWNSHIP_PASSWORD, ca: readFileSync(file('ca.pem')), cert: readFileSync(file('client.pem')), key: readFileSync(file('client.key')), rejectUnauthorized: true },
    });
    cleanups.push(() => township.stop());
    const { uplink, spool, clock, lines } = gatewayUplink(file('gateway.password'));
    uplink.start();
    const event: AlarmEvent = {
      eventId: 'tls-1', alarmId: 'a', transition: 'raise', state: 'raised', level: 'warning', source: 's', point: undefined, rule: 'tls',
      value: undefined, text: { zh: '测试', en: 'test' }, tags: {}, ts: clock.now(), mono: clock.mono(), timeSynced: true, by: undefined,
    };
    await spool.append('alarm', encodeAlarmRecord(event, clock.epoch));
    await waitFor('the township to receipt the alarm over TLS', () => spool.alarm.acked() === 1, 10_000, () => lines.slice(-5));
    expect(township.alarmIds()).toEqual(['tls-1']);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('stays out with a wrong password, keeps the data spooled, and never logs the password', async () => {
    const { uplink, spool, clock, stats, lines } = gatewayUplink(file('wrong.password'));
    uplink.start();
    await spool.append('alarm', encodeAlarmRecord({
      eventId: 'tls-2', alarmId: 'a', transition: 'raise', state: 'raised', level: 'warning', source: 's', point: undefined, rule: 'tls',
      value: undefined, text: { zh: '测试', en: 'test' }, tags: {}, ts: clock.now(), mono: clock.mono(), timeSynced: true, by: undefined,
    }, clock.epoch));
    await waitFor('refused connection attempts', () => stats.counter('uplink.error', { code: 'UPLINK_NOT_AUTHORIZED' }) >= 2, 10_000);
    expect(uplink.connected()).toBe(false);
    expect(spool.alarm.acked()).toBe(0);
    expect(lines.some((l) => /Not authorized|not authorized|Bad User Name or Password/i.test(l))).toBe(true);
    expect(lines.join('\n')).not.toContain('not-the-password');
  });
});
