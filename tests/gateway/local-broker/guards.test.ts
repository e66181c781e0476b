// The embedded broker's guards, on a directly built EmbeddedBroker: oversized packets are cut before they
// are buffered, and the gateway's internal identity is refused over TCP even with the right password.
import { connect } from 'node:net';
import { connectAsync, MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../../gateway/local-broker/embedded-broker.js';
import { FixedHeaderScanner } from '../../../contract/mqtt-packet-size-guard.js';
import { HonestClock } from '../../../gateway/time/honest-clock.js';
import { Stats } from '../../../contract/stats.js';
import { freePort } from '../../helpers/peers.js';
import { hashPassword, parsePasswordHash } from '../../../contract/password-hash.js';
import { capturedLogger, TEST_SCRYPT } from './harness.js';

describe('MQTT fixed-header scanner', () => {
  it('follows packets across chunk boundaries and several packets per chunk', () => {
    const scanner = new FixedHeaderScanner(200);
    // PUBLISH with remaining length 150 (varint 0x96 0x01), split in three chunks, then two PINGREQs.
    const publish = Buffer.concat([Buffer.from([0x30, 0x96, 0x01]), Buffer.alloc(150)]);
    expect(scanner.feed(publish.subarray(0, 2))).toBe(true);
    expect(scanner.feed(publish.subarray(2, 60))).toBe(true);
    expect(scanner.feed(Buffer.concat([publish.subarray(60), Buffer.from([0xc0, 0x00, 0xc0, 0x00])]))).toBe(true);
    // A packet announcing 300 bytes is refused as soon as its length is read.
    expect(scanner.feed(Buffer.from([0x30, 0xac, 0x02]))).toBe(false);
    expect(scanner.lastLength).toBe(300);
  });

  it('refuses a remaining length with a fifth varint byte', () => {
    const scanner = new FixedHeaderScanner(Number.MAX_SAFE_INTEGER);
    expect(scanner.feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(false);
  });
});

describe('embedded broker guards', () => {
  const stats = new Stats();
  const logged = capturedLogger();
  let broker: EmbeddedBroker;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const hash = parsePasswordHash(await hashPassword('node-1-secret', TEST_SCRYPT));
    if ('error' in hash) throw new Error(hash.error);
    const users = new Map([['node-1', { username: 'node-1', hash, publish: ['lastmile/dev/node-1/#'], subscribe: [] }]]);
    broker = new EmbeddedBroker({ host: '127.0.0.1', port, users, log: logged.log, stats, clock: new HonestClock({ synced: true }), maxPacketBytes: 4096 });
    await broker.start();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('cuts a client that announces a packet over the limit, before authenticating', async () => {
    const socket = connect({ port, host: '127.0.0.1' });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined); // the reset is the expected outcome
    // CONNECT announcing 10 MB of remaining length (varint 0x80 0x80 0x80 0x05).
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x05]));
    await closed;
    expect(stats.counter('local_broker.packet_too_large')).toBe(1);
    expect(logged.lines().some((l) => l.announced === 10 * 1024 * 1024 && l.limit === 4096)).toBe(true);
  });

  it("refuses the gateway's internal identity over TCP even with the right password", async () => {
    const { username, password } = broker.internalCredentials();
    const overTcp = await connectAsync(`mqtt://127.0.0.1:${port}`, { username, password, reconnectPeriod: 0, protocolVersion: 4 }).then(
      async (client) => {
        await client.endAsync(true);
        return 'accepted';
      },
      (error: { code?: number }) => error.code,
    );
    expect(overTcp).toBe(5);
    expect(stats.counter('local_broker.refused', { reason: 'internal identity' })).toBe(1);
    // The same credentials work on the in-process stream the gateway uses.
    const inProcess = new MqttClient(() => broker.internalStream(), { username, password, reconnectPeriod: 0, protocolVersion: 4 });
    await new Promise<void>((resolve, reject) => {
      inProcess.once('connect', () => resolve());
      inProcess.once('error', reject);
    });
    await inProcess.endAsync(true);
  });
});
