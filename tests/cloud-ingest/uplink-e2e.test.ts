// The whole township path with the real gateway side: a gateway's spool and uplink (gateway/uplink) log in
// with the credentials `provision` issued, send telemetry and an alarm through the embedded broker into
// VictoriaMetrics and onto the alarm board; dispatching on the board reaches the gateway as an
// acknowledge command, and the gateway's retained status shows up in the console's gateway list: while the
// township's database is down, the backlog the console shows grows, and nothing more is receipted.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../cloud-ingest/registry/password.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import type { AlarmEvent, GatewayCommand } from '../../gateway/pipeline/types.js';
import { silentLogger } from '../../contract/logger.js';
import { Stats } from '../../contract/stats.js';
import { encodeAlarmRecord } from '../../gateway/spool/alarm-record.js';
import { Spool } from '../../gateway/spool/spool.js';
import { encodeTelemetryRecord } from '../../gateway/spool/telemetry-record.js';
import { HonestClock } from '../../gateway/time/honest-clock.js';
import { Uplink } from '../../gateway/uplink/uplink.js';
import { tempDir } from '../helpers/peers.js';
import { startVictoria, type Victoria } from '../helpers/victoria.js';
import { alarmEvent, provision, startService, testConfig, waitFor } from './fixture.js';

describe('gateway uplink → cloud-ingest → VictoriaMetrics and the board', () => {
  let vm: Victoria;
  let service: CloudIngest;
  let spool: Spool;
  let uplink: Uplink;
  const dir = tempDir('uplink-e2e');
  const commands: GatewayCommand[] = [];
  const clock = new HonestClock({ synced: true });

  beforeAll(async () => {
    vm = await startVictoria();
    const config = testConfig({
      influx: { url: vm.url },
      console: { enabled: true, host: '127.0.0.1', port: 0, secureCookie: false, users: [{ name: 'duty', township: 'demo-town', passwordHash: hashPassword('pw-duty') }] },
    });
    const issued = provision(config.dataDir, 'demo-gw', 'demo-town', 'demo-compound');
    const passwordFile = join(dir.path, 'uplink.password');
    writeFileSync(passwordFile, issued.password + '\n', { mode: 0o600 });
    service = await startService(config);
    const log = silentLogger();
    const stats = new Stats();
    spool = new Spool({ dir: join(dir.path, 'spool'), maxBytes: 16 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 20, segmentBytes: 256 * 1024 }, log, stats);
    spool.open();
    uplink = new Uplink({
      connection: { url: `mqtt://127.0.0.1:${service.brokerPort}`, gateway: 'demo-gw', clientId: 'demo-gw', username: 'demo-gw', passwordFile, ca: undefined, cert: undefined, key: undefined, keepaliveMs: 10_000, reconnectMinMs: 50, reconnectMaxMs: 500 },
      spool,
      time: { clock, epoch: clock.epoch },
      batchMaxRecords: 100,
      batchMaxAgeMs: 30,
      maxInflight: 4,
      receiptTimeoutMs: 5_000,
      // Often, so the console sees the backlog change within the test.
      statusEveryMs: 200,
      sourceIds: ['smoke-3-2', 'meter-1'],
      log,
      stats,
      onCommand: (command) => void commands.push(command),
    });
    uplink.start();
  });

  afterAll(async () => {
    await uplink?.stop();
    spool?.close();
    await service?.stop();
    await vm?.stop();
    dir.remove();
  });

  it('lands the gateway\'s measurements with the provisioned township and compound tags', async () => {
    const stamp = { ts: clock.now(), mono: clock.mono(), synced: true as const, epoch: clock.epoch };
    // The payload claims another township; cloud-ingest must overrule it.
    await spool.append('telemetry', encodeTelemetryRecord('power,township=elsewhere,building=3,source=meter-1', ['voltage=230.1', 'active_power=88'], stamp));
    await spool.append('telemetry', encodeTelemetryRecord('smoke,building=3,unit=2,source=smoke-3-2', ['alarm=false'], stamp));
    const series = await vm.waitForSamples('{gateway="demo-gw"}', 3);
    for (const s of series) expect(s.metric).toMatchObject({ township: 'demo-town', compound: 'demo-compound', gateway: 'demo-gw' });
    expect(series.find((s) => s.metric.__name__ === 'power_voltage')?.values).toEqual([230.1]);
  });

  it('puts the gateway\'s alarm on the board and sends the township\'s acknowledgment back down', async () => {
    const event: AlarmEvent = alarmEvent({ eventId: 'demo-ev-1', alarmId: 'smoke-3-2/alarm', source: 'smoke-3-2', ts: clock.now(), mono: clock.mono() });
    await spool.append('alarm', encodeAlarmRecord(event, clock.epoch));
    const opened = await waitFor('alarm case', async () => (await service.alarms.listOpen('demo-town')).find((c) => c.gateway === 'demo-gw'));
    expect(opened).toMatchObject({ township: 'demo-town', compound: 'demo-compound', level: 'fire', step: 'open' });
    // A fire is confirmed before anyone is sent (issue 15).
    const confirmed = await service.workflow.step(opened.caseId, { step: 'confirmed', confirmation: 'real', method: 'video' }, 'duty-officer', opened.version);
    await service.workflow.step(opened.caseId, { step: 'dispatched', to: '微型消防站' }, 'duty-officer', confirmed.version);
    const ack = await waitFor('acknowledge on the gateway', () => commands.find((c) => c.kind === 'acknowledge'));
    expect(ack).toEqual({ kind: 'acknowledge', alarmId: 'smoke-3-2/alarm', by: 'duty-officer' });
  });

  it('the console shows the gateway online, and its spool backlog growing while the database is down', async () => {
    const base = `http://127.0.0.1:${service.consolePort}`;
    const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'duty', password: 'pw-duty' }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    type Row = { gateway: string; connected: boolean; spool: { telemetryBytes: number; alarmEvents: number; dropped: number } | undefined };
    const consoleRow = async () => {
      const response = await fetch(`${base}/api/gateways`, { headers: { cookie } });
      expect(response.status).toBe(200);
      return ((await response.json()) as Row[]).find((g) => g.gateway === 'demo-gw');
    };
    const before = await waitFor('the gateway on the console with its spool', async () => {
      const row = await consoleRow();
      return row?.connected && row.spool ? row : undefined;
    });
    const receipted = spool.telemetry.acked();
    expect(receipted).toBeGreaterThan(0);

    // The township's database goes away: cloud-ingest cannot store, so it receipts nothing, and the gateway keeps it.
    await vm.stop();
    const stamp = () => ({ ts: clock.now(), mono: clock.mono(), synced: true as const, epoch: clock.epoch });
    for (let i = 0; i < 300; i++) await spool.append('telemetry', encodeTelemetryRecord(`power,building=3,source=meter-1`, [`voltage=${220 + (i % 10)}`, `n=${i}`], stamp()));
    const grown = await waitFor('a grown backlog on the console', async () => {
      const row = await consoleRow();
      return row?.spool && row.spool.telemetryBytes > before.spool!.telemetryBytes ? row : undefined;
    });
    expect(grown.spool!.telemetryBytes).toBeGreaterThan(0);
    expect(grown.connected).toBe(true);
    // What the console shows is the gateway's own figure, and none of the new data was freed.
    expect(grown.spool!.telemetryBytes).toBeLessThanOrEqual(spool.telemetry.bytes());
    expect(spool.telemetry.acked()).toBe(receipted);
    expect(spool.telemetry.durableEnd() - spool.telemetry.acked()).toBe(300);
  });
});
