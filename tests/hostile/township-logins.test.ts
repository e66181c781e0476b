// Login floods on the township's two listeners (issue 13 items 4, 10, 16): the guard counts an attempt
// before its hash, so parallel guesses meet the limit; refusals read the same for known and unknown
// names; the broker cuts oversize packets and gives the -doctor twin no session of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection } from 'node:net';
import { MqttClient, type IClientOptions } from 'mqtt';
import { LoginGuard } from '../../contract/login-guard.js';
import { hashPassword } from '../../cloud-ingest/registry/password.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { topics } from '../../contract/wire.js';
import { BROKER_MAX_FAILURES_PER_ADDRESS, type EmbeddedBroker } from '../../cloud-ingest/ingest/embedded-broker.js';
import { provision, publishBatch, Receipts, startService, testConfig, waitFor } from '../cloud-ingest/fixture.js';

/** mqtt.js ignores localAddress; several loopback addresses stand for several attackers and the honest gateway. */
export function connectFrom(port: number, localAddress: string, options: IClientOptions): Promise<MqttClient> {
  const client = new MqttClient(() => createConnection({ port, host: '127.0.0.1', localAddress }), { reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4, ...options });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
  });
}

describe('the login guard', () => {
  it('runs at most the limit of hashes for 100 parallel guesses, and refuses the right one among them', async () => {
    let clock = 0;
    const guard = new LoginGuard({ lockMs: 60_000, maxLockMs: 600_000, maxConcurrent: 2, maxQueued: 200, now: () => clock });
    const keys = [{ key: 'addr:x', maxFailures: 5 }];
    const slowVerify = (right: boolean) => () => new Promise<boolean>((resolve) => setTimeout(() => resolve(right), 5));
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => guard.attempt(keys, slowVerify(i === 99))));
    expect(guard.hashes).toBe(5);
    expect(outcomes[99]).toMatchObject({ ok: false, why: 'locked' });
    expect(outcomes.filter((o) => o.ok)).toHaveLength(0);
    expect(guard.lockedFor(keys)).toBe(60_000);
    // Still locked a second later; after the lock, one more round; the next lock is twice as long.
    clock = 1000;
    expect(await guard.attempt(keys, slowVerify(true))).toMatchObject({ why: 'locked' });
    clock = 61_000;
    for (let i = 0; i < 5; i++) await guard.attempt(keys, slowVerify(false));
    expect(guard.lockedFor(keys)).toBe(120_000);
    clock = 181_001;
    expect(await guard.attempt(keys, slowVerify(true))).toEqual({ ok: true });
  });

  it('refuses as busy past its queue, without hashing', async () => {
    const guard = new LoginGuard({ lockMs: 1000, maxLockMs: 1000, maxConcurrent: 1, maxQueued: 3 });
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => guard.attempt([{ key: `addr:${i}`, maxFailures: 5 }], async () => false)));
    expect(outcomes.filter((o) => !o.ok && o.why === 'busy')).toHaveLength(6);
    expect(guard.hashes).toBe(4);
  });
});

describe('the township console under a login flood', () => {
  let service: CloudIngest;
  let base: string;
  const login = (user: string, password: string) =>
    fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string } }));

  beforeAll(async () => {
    const config = testConfig({ console: { enabled: true, host: '127.0.0.1', port: 0, secureCookie: false, users: [{ name: 'officer', township: 'town', passwordHash: hashPassword('right-password') }] } });
    service = await startService(config);
    base = `http://127.0.0.1:${service.consolePort}`;
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('answers 40 parallel wrong logins with 401 or 429, known and unknown names alike, then refuses the right password from that address', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login(i % 2 ? 'officer' : `ghost-${i}`, `guess-${i}`)));
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    // At most ten reached a hash (the address limit), however the forty were scheduled.
    expect(answers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(10);
    expect(new Set(answers.filter((a) => a.status === 401).map((a) => a.body.error)).size).toBe(1);
    const right = await login('officer', 'right-password');
    expect(right.status).toBe(429);
    expect(right.body.error).toMatch(/too many attempts/);
  });
});

describe('the township broker under a login flood', () => {
  let service: CloudIngest;
  let password: string;
  const guard = () => (service.broker as EmbeddedBroker).guard;
  const connect = (clientId: string, username: string, pass: string, localAddress = '127.0.0.1') => connectFrom(service.brokerPort, localAddress, { clientId, username, password: pass });

  beforeAll(async () => {
    const config = testConfig({ broker: { type: 'embedded', host: '127.0.0.1', port: 0, maxPacketBytes: 256 * 1024 } });
    password = provision(config.dataDir, 'gw-a', 'town', 'c1').password;
    provision(config.dataDir, 'gw-b', 'town', 'c2');
    service = await startService(config);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('locks an address after its wrong passwords (the right one then refused too), without costing a verified gateway its login', async () => {
    // gw-a logs in once: its credentials are verified since start.
    const honest = await connect('gw-a', 'gw-a', password, '127.0.0.2');
    await honest.endAsync();
    const hashesBefore = guard().hashes;
    const wrong = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => connect(i % 2 ? 'gw-b' : 'gw-nobody', i % 2 ? 'gw-b' : 'gw-nobody', `wrong-${i}`)));
    expect(wrong.every((w) => w.status === 'rejected')).toBe(true);
    expect(guard().hashes - hashesBefore).toBeLessThanOrEqual(BROKER_MAX_FAILURES_PER_ADDRESS);
    // From the flooding address even the right password is refused, with no hash run.
    const before = guard().hashes;
    await expect(connect('gw-a', 'gw-a', password)).rejects.toThrow(/bad user ?name or password/i);
    expect(guard().hashes).toBe(before);
    // From elsewhere, the verified gateway gets in at once.
    const again = await connect('gw-a', 'gw-a', password, '127.0.0.3');
    expect(again.connected).toBe(true);
    await again.endAsync();
  });

  it('gives the -doctor twin a CONNACK and nothing more: no publish, no subscription', async () => {
    const doctor = await connect('gw-a-doctor', 'gw-a', password, '127.0.0.4');
    // The grant is 0x80 (failure), which mqtt.js reports as an error.
    await expect(doctor.subscribeAsync(topics.command('gw-a'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const closed = new Promise<void>((resolve) => doctor.once('close', () => resolve()));
    doctor.publish(topics.telemetry('gw-a', 'doctor-batch'), Buffer.from('x'), { qos: 1 });
    await closed;
    doctor.end(true);
    expect(service.ingest.gateways.get('gw-a')?.connected ?? false).toBe(false);
  });

  it('cuts a logged-in gateway announcing a packet over maxPacketBytes, and the gateway can come back', async () => {
    const gw = await connect('gw-a', 'gw-a', password, '127.0.0.5');
    const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
    gw.publish(topics.telemetry('gw-a', 'huge'), Buffer.alloc(300 * 1024, 1), { qos: 1 });
    await closed;
    gw.end(true);
    expect(service.stats.counter('broker.packet_too_large')).toBeGreaterThanOrEqual(1);
    const back = await connect('gw-a', 'gw-a', password, '127.0.0.5');
    const receipts = await Receipts.watch(back, 'gw-a');
    await publishBatch(back, 'gw-a', 'after-cut', [`power,source=m1 v=1 ${Date.now()}`]);
    expect(await receipts.wait('t', 'after-cut')).toMatchObject({ status: 'stored' });
    await back.endAsync();
    await waitFor('gw-a disconnected', () => service.ingest.gateways.get('gw-a')?.connected === false);
  });
});
