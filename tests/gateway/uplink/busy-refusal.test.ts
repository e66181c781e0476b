// A township broker that answers CONNACK 3 "server unavailable" (too many connects at once, issue 19):
// the uplink counts it and backs off from the fourth back-off step, not from its minimum, so a refused
// storm spreads out. The broker here is a scripted TCP peer on 127.0.0.1 that refuses every CONNECT.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BUSY_BACKOFF_ATTEMPT, UplinkConnection, attemptAfterError } from '../../../gateway/uplink/connection.js';
import { Stats } from '../../../contract/stats.js';
import { tempDir } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('uplink on a busy township broker', () => {
  it('raises the back-off attempt only for "server unavailable"', () => {
    expect(attemptAfterError(0, Object.assign(new Error('Connection refused: Server unavailable'), { code: 3 }))).toBe(BUSY_BACKOFF_ATTEMPT);
    expect(attemptAfterError(BUSY_BACKOFF_ATTEMPT + 2, Object.assign(new Error('x'), { code: 3 }))).toBe(BUSY_BACKOFF_ATTEMPT + 2);
    expect(attemptAfterError(0, Object.assign(new Error('Connection refused: Bad username or password'), { code: 4 }))).toBe(0);
    expect(attemptAfterError(1, new Error('ECONNRESET'))).toBe(1);
  });

  it('counts the refusal and waits at least the busy back-off before connecting again', async () => {
    const connects: number[] = [];
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.once('data', () => {
        connects.push(Date.now());
        socket.end(Buffer.from([0x20, 0x02, 0x00, 0x03])); // CONNACK, return code 3
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }));
    const dir = tempDir('busy-refusal');
    cleanups.push(() => dir.remove());
    const passwordFile = join(dir.path, 'uplink.password');
    writeFileSync(passwordFile, 'token\n', { mode: 0o600 });
    const lines: { msg?: string; delayMs?: number; attempt?: number }[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString('utf8')) as (typeof lines)[number]), done()) }));
    const stats = new Stats();
    const minMs = 100;
    const connection = new UplinkConnection(
      { url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, gateway: 'gw-1', clientId: 'gw-1', username: 'gw-1', passwordFile, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 30_000, reconnectMinMs: minMs, reconnectMaxMs: 60_000, lastWill: () => ({ state: 'offline' }) as never },
      log,
      stats,
    );
    cleanups.push(() => connection.close(undefined));
    await waitFor('two refused connects', () => connects.length >= 2, 20_000);
    expect(stats.counter('uplink.error', { code: 'UPLINK_SERVER_BUSY' })).toBeGreaterThanOrEqual(1);
    const scheduled = lines.filter((l) => l.msg?.startsWith('uplink disconnected; reconnecting after back-off'));
    // Step BUSY_BACKOFF_ATTEMPT: ceiling min·2³, 50–100 % of it; from the minimum it would be ≤ 100 ms.
    expect(scheduled[0]!.delayMs).toBeGreaterThanOrEqual(0.5 * minMs * 2 ** BUSY_BACKOFF_ATTEMPT);
    expect(scheduled[0]!.delayMs).toBeLessThanOrEqual(minMs * 2 ** BUSY_BACKOFF_ATTEMPT);
    expect(connects[1]! - connects[0]!).toBeGreaterThanOrEqual(0.5 * minMs * 2 ** BUSY_BACKOFF_ATTEMPT - 20);
  });
});
