// Bounded, fair admission on the embedded township broker (issue 19): slow password checks (scrypt
// entries from before token verifiers) run two at a time with 64 waiting in arrival order; a connect
// past that gets CONNACK 3 "server unavailable" at once, counted, instead of waiting for its timeout;
// a connected gateway's publishes are PUBACKed throughout, and a token gateway's check (HMAC, µs) never
// waits in that queue.
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, hashPassword } from '../../contract/password-hash.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { waitFor } from '../helpers/wait.js';
import { connectGateway, provision, publishBatch, startService, testConfig } from './fixture.js';

/** Three times what the bound admits at once (2 checking + 64 waiting), so arrivals spread by a loaded box still overflow it. */
const STORM = 200;

/** Connects from its own loopback address (the broker limits failures per address); resolves with the CONNACK's outcome. */
function tryConnect(port: number, gateway: string, password: string, localAddress: string): Promise<{ client: MqttClient; code: number; ms: number }> {
  const started = performance.now();
  const client = new MqttClient(() => createConnection({ host: '127.0.0.1', port, localAddress }), { clientId: gateway, username: gateway, password, clean: false, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 60_000 });
  return new Promise((resolve) => {
    client.once('connect', () => resolve({ client, code: 0, ms: performance.now() - started }));
    client.once('error', (error) => resolve({ client, code: Number((error as { code?: unknown }).code ?? -1), ms: performance.now() - started }));
  });
}

describe('embedded township broker admission', () => {
  let service: CloudIngest | undefined;
  const clients: MqttClient[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await service?.stop();
  });

  it('refuses connects past the bounded queue with CONNACK 3 while a connected gateway keeps being acknowledged', async () => {
    const config = testConfig({});
    const live = provision(config.dataDir, 'gw-live', 'town', 'c0');
    const late = provision(config.dataDir, 'gw-late', 'town', 'c0');
    // Old registry entries: scrypt at the gateways' cost (one hash shared, it is the cost that matters),
    // with a secret not shaped like a token, so none migrates to the quick check during the storm.
    const file = join(config.dataDir, 'gateways.json');
    const oldHash = await hashPassword('old-style-secret', DEFAULT_SCRYPT);
    const registry = JSON.parse(readFileSync(file, 'utf8')) as { version: 1; gateways: Record<string, unknown>[] };
    for (let i = 0; i < STORM; i++) registry.gateways.push({ id: `gw-${i}`, township: 'town', compound: `c${i}`, passwordHash: oldHash, createdAt: '2026-01-01T00:00:00.000Z', disabled: false });
    writeFileSync(file, JSON.stringify(registry), { mode: 0o600 });
    service = await startService(config);
    const port = service.brokerPort;

    const gateway = await connectGateway(port, 'gw-live', live.password);
    clients.push(gateway);

    let storming = true;
    const pubacks: number[] = [];
    const publisher = (async () => {
      for (let n = 0; storming || n < 3; n++) {
        const sent = performance.now();
        // Bounded: a PUBACK stuck behind password checks fails here instead of hanging the test.
        await Promise.race([publishBatch(gateway, 'gw-live', `b${n}`, [`power,source=m1 voltage=${220 + (n % 5)} ${Date.now()}`]), new Promise((_, reject) => setTimeout(() => reject(new Error(`PUBACK of b${n} not within 5 s`)), 5000))]);
        pubacks.push(performance.now() - sent);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const storm = Promise.all(Array.from({ length: STORM }, (_, i) => tryConnect(port, `gw-${i}`, 'old-style-secret', `127.0.${1 + (i >> 8)}.${1 + (i & 0xff)}`)));
    // While the slow checks' queue is full, a gateway with a token verifier is checked at once.
    await waitFor('a busy refusal', () => service!.stats.counter('broker.connect_refused_busy') > 0, 60_000);
    const token = await tryConnect(port, 'gw-late', late.password, '127.0.3.1');
    clients.push(token.client);
    expect(token.code).toBe(0);
    const outcomes = await storm;
    storming = false;
    await publisher;
    for (const o of outcomes) clients.push(o.client);

    const refused = outcomes.filter((o) => o.code === 3);
    const accepted = outcomes.filter((o) => o.code === 0);
    // Every attempt answered, none with anything but success or "server unavailable".
    expect(refused.length + accepted.length).toBe(STORM);
    // At most 2 checking + 64 queued at once; the rest refused (how many depends on how fast they arrive).
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length).toBeGreaterThanOrEqual(66);
    expect(service.stats.counter('broker.connect_refused_busy')).toBe(refused.length);
    expect(service.stats.counter('broker.auth_failed', { why: 'busy' })).toBe(0);
    // A refusal is an answer, not a wait: each came faster than the slowest accepted connect.
    expect(Math.max(...refused.map((o) => o.ms))).toBeLessThan(Math.max(...accepted.map((o) => o.ms)));
    expect(pubacks.length).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
