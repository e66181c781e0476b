// Two cloud-ingest workers behind one real Mosquitto 2.0, sharing `$share/ingest/...`: the load is split,
// nothing is lost or doubled. The gateway logs in with the password line `provision` made for Mosquitto,
// so this also checks that line against the real mosquitto_passwd format and the ACL lines.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { mosquittoPasswordHash } from '../../cloud-ingest/registry/password.js';
import { mosquittoIngestAcl } from '../../cloud-ingest/registry/provision.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { startMosquitto, tempDir, type Peer } from '../helpers/peers.js';
import { startVictoria, type Victoria } from '../helpers/victoria.js';
import { alarmEvent, connectGateway, provision, publishBatchReceipted, Receipts, startService, testConfig, waitFor } from './fixture.js';

describe('two workers on one Mosquitto with a shared subscription', () => {
  let vm: Victoria;
  let broker: Peer & { dir: string };
  let brokerConfig: string[] = [];
  let gateway: MqttClient;
  const workers: CloudIngest[] = [];
  const dir = tempDir('shared');
  let password = '';

  beforeAll(async () => {
    vm = await startVictoria();
    const registryFile = join(dir.path, 'gateways.json');
    const gw = provision(dir.path, 'gw-s', 'town-2', 'compound-s');
    writeFileSync(join(dir.path, 'ingest.password'), 'ingest-secret\n');
    writeFileSync(join(dir.path, 'passwd'), `${gw.mosquittoPasswordLine}\ningest:${mosquittoPasswordHash('ingest-secret')}\n`);
    writeFileSync(join(dir.path, 'acl'), `${gw.mosquittoAcl}\n${mosquittoIngestAcl('ingest')}`);
    // mosquitto, started as root, drops to its own user before reading these files (test-only permissions).
    chmodSync(dir.path, 0o755);
    for (const f of ['passwd', 'acl']) chmodSync(join(dir.path, f), 0o644);
    brokerConfig = [`password_file ${join(dir.path, 'passwd')}`, `acl_file ${join(dir.path, 'acl')}`, 'allow_anonymous false'];
    // Its data dir must be writable by it, or persistence (and so the restored sessions below) silently fails.
    broker = await startMosquitto({ extraConfig: brokerConfig });
    for (const worker of ['w1', 'w2']) {
      const config = testConfig({
        worker,
        registryFile,
        broker: { type: 'external', url: `mqtt://127.0.0.1:${broker.port}`, username: 'ingest', passwordFile: join(dir.path, 'ingest.password'), shareGroup: 'ingest' },
        influx: { url: vm.url },
      });
      workers.push(await startService(config));
    }
    password = gw.password;
    gateway = await connectGateway(broker.port, 'gw-s', gw.password);
  });

  afterAll(async () => {
    await gateway?.endAsync(true);
    for (const w of workers) await w.stop();
    await broker?.stop();
    await vm?.stop();
    dir.remove();
  });

  it('splits 40 batches between the workers and stores each measurement exactly once', async () => {
    const t0 = Date.now();
    const receipts = await Receipts.watch(gateway, 'gw-s');
    // As a gateway does: at most 4 batches unreceipted at once.
    for (let b = 0; b < 40; b += 4) {
      await Promise.all(
        [0, 1, 2, 3].map((k) => publishBatchReceipted(gateway, receipts, 'gw-s', `b${b + k}`, Array.from({ length: 10 }, (_, i) => `temperature,source=th-${i} temp=${b + k} ${t0 + b + k}`))),
      );
    }
    expect(receipts.items.filter((i) => i.status === 'stored')).toHaveLength(40);
    const series = await vm.waitForSamples('{gateway="gw-s"}', 400);
    // Wait a moment longer: a doubled write would show up as extra samples.
    await new Promise((r) => setTimeout(r, 1200));
    expect(await vm.countSamples('{gateway="gw-s"}')).toBe(400);
    expect(series.every((s) => s.metric.township === 'town-2' && s.metric.compound === 'compound-s')).toBe(true);
    const perWorker = workers.map((w) => w.stats.counter('ingest.batches', { gateway: 'gw-s' }));
    expect(perWorker[0]! + perWorker[1]!).toBe(40);
    expect(perWorker[0]).toBeGreaterThan(0);
    expect(perWorker[1]).toBeGreaterThan(0);
  });

  it('subscribes again after a broker restart that restores the session without its $share subscriptions', async () => {
    const before = workers.map((w) => w.stats.counter('ingest.subscribed'));
    await broker.stop();
    broker = await startMosquitto({ port: broker.port, dir: broker.dir, extraConfig: brokerConfig });
    // 4 connections per worker, each subscribing again on its own reconnect.
    await waitFor('every worker connection subscribed again', () => workers.every((w, i) => w.stats.counter('ingest.subscribed') >= before[i]! + 4), 30_000);
    await gateway.endAsync(true);
    gateway = await connectGateway(broker.port, 'gw-s', password);
    const receipts = await Receipts.watch(gateway, 'gw-s');
    const t0 = Date.now();
    for (let b = 0; b < 4; b++) {
      expect(await publishBatchReceipted(gateway, receipts, 'gw-s', `after-restart-${b}`, [`temperature,source=restart temp=${b} ${t0 + b}`])).toMatchObject({ status: 'stored' });
    }
    await vm.waitForSamples('{source="restart"}', 4);
  });

  it('gives every worker the alarm (the board is complete on each) and the retained status', async () => {
    await gateway.publishAsync('lm/v1/gw-s/a/ev-s1', JSON.stringify(alarmEvent({ eventId: 'ev-s1', alarmId: 'smoke-9/smoke' })), { qos: 1 });
    await gateway.publishAsync('lm/v1/gw-s/status', JSON.stringify({ gateway: 'gw-s', online: true, ts: Date.now(), timeSynced: true, version: '0.1.0', uptimeS: 1, spool: { telemetryBytes: 0, alarmEvents: 0, dropped: 0 }, sources: {} }), { qos: 1, retain: true });
    for (const w of workers) {
      const c = await waitFor('alarm case on every worker', async () => (await w.alarms.listOpen('town-2')).find((x) => x.gateway === 'gw-s'));
      expect(c).toMatchObject({ township: 'town-2', step: 'open' });
      expect((await w.alarms.get(c.caseId))!.events).toHaveLength(1);
      await waitFor('status on every worker', () => w.ingest.gateways.get('gw-s')?.status);
    }
  });

  it('enforces the provisioned Mosquitto ACL: the gateway cannot publish under another id', async () => {
    // Mosquitto drops an unauthorised QoS 1 publish silently (and still acks it); nothing reaches the workers.
    await gateway.publishAsync('lm/v1/gw-other/t/x1', Buffer.from('x'), { qos: 1 });
    const anonymous = mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0, connectTimeout: 3000 });
    await expect(anonymous).rejects.toThrow(/Not authorized|Bad username/i);
    await new Promise((r) => setTimeout(r, 300));
    expect(workers.reduce((n, w) => n + w.stats.counter('ingest.unknown_gateway'), 0)).toBe(0);
  });
});
