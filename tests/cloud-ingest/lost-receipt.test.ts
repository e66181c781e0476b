// A receipt sent while its gateway is offline (a TCP forwarder on 127.0.0.1 between gateway and broker
// is cut). The gateway's uplink (spool + sender, subscribed at QoS 1) sends a batch; the database write
// is held; the link is cut; the write is released and its receipt goes out while the gateway is away.
// After the reconnect the batch must end receipted once and stored once: through the receipt the
// persistent session kept (receipts at QoS 1), or through the resend with the same id, which dedup
// answers with a receipt without writing again (the only way at QoS 0, where a broker keeps nothing
// for an offline gateway). Both broker shapes: the embedded aedes, and mosquitto 2.0 with an
// external-broker worker. The receipt timeout is far beyond the test, so it cannot be what resends.
import { chmodSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mosquittoPasswordHash } from '../../cloud-ingest/registry/password.js';
import { mosquittoIngestAcl } from '../../cloud-ingest/registry/provision.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { silentLogger } from '../../contract/logger.js';
import { Stats } from '../../contract/stats.js';
import { RECEIPT_QOS } from '../../contract/wire.js';
import { Spool } from '../../gateway/spool/spool.js';
import { encodeTelemetryRecord } from '../../gateway/spool/telemetry-record.js';
import { HonestClock } from '../../gateway/time/honest-clock.js';
import { Uplink } from '../../gateway/uplink/uplink.js';
import { InfluxReceiver } from '../helpers/influx-receiver.js';
import { startMosquitto, tempDir } from '../helpers/peers.js';
import { provision, startService, testConfig, waitFor } from './fixture.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Forwards TCP connections on 127.0.0.1 to `port`; cut() drops every connection and refuses new ones until restore(). */
async function forwarder(port: number): Promise<{ port: number; cut: () => void; restore: () => void; close: () => Promise<void> }> {
  const open = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((inbound) => {
    if (refusing) return void inbound.destroy();
    const outbound = createConnection({ host: '127.0.0.1', port });
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    refusing = true;
    for (const s of open) s.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut,
    restore: () => void (refusing = false),
    close: () => new Promise<void>((resolve) => (cut(), server.close(() => resolve()))),
  };
}

/** The township of one shape, writing to `influxUrl`; the gateway's password and the port its uplink dials. */
async function township(shape: 'embedded' | 'mosquitto', influxUrl: string): Promise<{ service: CloudIngest; brokerPort: number; password: string }> {
  const dir = tempDir(`lost-receipt-${shape}`);
  cleanups.push(() => dir.remove());
  const issued = provision(dir.path, 'gw-lr', 'town-lr', 'compound-lr');
  const registryFile = join(dir.path, 'gateways.json');
  if (shape === 'embedded') {
    const service = await startService(testConfig({ registryFile, influx: { url: influxUrl } }));
    cleanups.push(() => service.stop());
    return { service, brokerPort: service.brokerPort, password: issued.password };
  }
  writeFileSync(join(dir.path, 'ingest.password'), 'ingest-secret\n');
  writeFileSync(join(dir.path, 'passwd'), `${issued.mosquittoPasswordLine}\ningest:${mosquittoPasswordHash('ingest-secret')}\n`);
  writeFileSync(join(dir.path, 'acl'), `${issued.mosquittoAcl}\n${mosquittoIngestAcl('ingest')}`);
  // mosquitto, started as root, drops to its own user before reading these files (test-only permissions).
  chmodSync(dir.path, 0o755);
  for (const f of ['passwd', 'acl']) chmodSync(join(dir.path, f), 0o644);
  const broker = await startMosquitto({ extraConfig: [`password_file ${join(dir.path, 'passwd')}`, `acl_file ${join(dir.path, 'acl')}`, 'allow_anonymous false'] });
  cleanups.push(() => broker.stop());
  const service = await startService(
    testConfig({ registryFile, influx: { url: influxUrl }, broker: { type: 'external', url: `mqtt://127.0.0.1:${broker.port}`, username: 'ingest', passwordFile: join(dir.path, 'ingest.password'), shareGroup: 'ingest' } }),
  );
  cleanups.push(() => service.stop());
  return { service, brokerPort: broker.port, password: issued.password };
}

describe.each(['embedded', 'mosquitto'] as const)('a receipt lost while the gateway is offline (%s broker)', (shape) => {
  // At either receipt QoS (RECEIPT_QOS, contract/wire.ts says which, and why): at QoS 0 the receipt sent
  // while the gateway is away is gone and only the resend after the reconnect brings one; at QoS 1 the
  // persistent session may deliver the queued receipt first (then nothing is resent) or the resend may
  // race it (then dedup answers it). Either way the batch ends receipted once and stored once.
  it('ends with the batch receipted once and stored once after the reconnect', async () => {
    const receiver = await InfluxReceiver.start();
    cleanups.push(() => receiver.close());
    receiver.answer = (_request, n) => (n === 0 ? 'hold' : { status: 204 });
    const { service, brokerPort, password } = await township(shape, receiver.url);
    const link = await forwarder(brokerPort);
    cleanups.push(() => link.close());

    const dir = tempDir('lost-receipt-gateway');
    cleanups.push(() => dir.remove());
    const passwordFile = join(dir.path, 'uplink.password');
    writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
    const stats = new Stats();
    const spool = new Spool({ dir: join(dir.path, 'spool'), maxBytes: 16 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 64 * 1024 }, silentLogger(), stats);
    spool.open();
    cleanups.push(() => spool.close());
    const clock = new HonestClock({ synced: true });
    const uplink = new Uplink({
      connection: { url: `mqtt://127.0.0.1:${link.port}`, gateway: 'gw-lr', clientId: 'gw-lr', username: 'gw-lr', passwordFile, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 10_000, reconnectMinMs: 50, reconnectMaxMs: 200 },
      spool, time: { clock, epoch: clock.epoch }, batchMaxRecords: 1, batchMaxAgeMs: 10, maxInflight: 4, receiptTimeoutMs: 600_000, statusEveryMs: 600_000, sourceIds: ['meter-lr'],
      log: silentLogger(), stats, onCommand: () => undefined,
    });
    uplink.start();
    cleanups.push(() => uplink.stop());
    const seen = () => service.ingest.gateways.get('gw-lr');
    await waitFor('the gateway connected and subscribed', () => uplink.connected() && seen()?.connected === true, 20_000);

    await spool.append('telemetry', encodeTelemetryRecord('power,source=meter-lr', ['voltage=230.5'], { ts: clock.now(), mono: clock.mono(), synced: true, epoch: clock.epoch }));
    await waitFor('the batch in the database write, held', () => receiver.held.length === 1, 20_000);
    link.cut();
    // The broker must know the gateway is gone before the receipt goes out (aedes: clientDisconnect;
    // mosquitto: the gateway's will, which the worker reads as its status).
    await waitFor('the broker to see the gateway offline', () => !uplink.connected() && seen()?.connected === false, 20_000);
    receiver.held.shift()!.release();
    await waitFor('the first receipt sent', () => service.stats.counter('ingest.receipts', { gateway: 'gw-lr' }) === 1, 20_000);
    expect(spool.telemetry.acked()).toBe(0);

    link.restore();
    await waitFor('the batch receipted after the reconnect', () => spool.telemetry.acked() === 1, 20_000, () => ({ receipts: service.stats.counter('ingest.receipts', { gateway: 'gw-lr' }), republished: stats.counter('uplink.republished', { lane: 'telemetry' }) }));
    const republished = stats.counter('uplink.republished', { lane: 'telemetry' });
    if (RECEIPT_QOS === 0) expect(republished).toBe(1);
    else expect(republished).toBeLessThanOrEqual(1);
    // Every resend is answered by dedup with a receipt of its own, never with a second write.
    expect(service.stats.counter('ingest.duplicate_batch', { gateway: 'gw-lr' })).toBe(republished);
    expect(service.stats.counter('ingest.receipts', { gateway: 'gw-lr' })).toBe(1 + republished);
    expect(stats.counter('uplink.receipted', { lane: 'telemetry', status: 'stored' })).toBe(1);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.stored.filter((l) => l.includes('source=meter-lr'))).toHaveLength(1);
  });
});
