// Night-time electricity (issue 16, the Nantong case) through cloud-ingest into a real VictoriaMetrics:
// two meters' energy counters over nine days, 0.5 kWh each night from 00:00 to 05:00 (UTC+8) and 1 kWh an
// hour by day; last night meter-2 used 3 kWh (a closed shop lit all night). /api/night-energy reads each
// night back with increase() and flags meter-2 only: 3 > 2 × its baseline 0.5; meter-1's 0.5 is normal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { hashPassword } from '../../cloud-ingest/registry/password.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { nightEnds } from '../../cloud-ingest/history/night-energy.js';
import { startVictoria, type Victoria } from '../helpers/victoria.js';
import { connectGateway, provision, publishBatchReceipted, Receipts, startService, testConfig } from './fixture.js';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const OFFSET = 8 * H;

/** Local hour (UTC+8) of a time. */
const localHour = (t: number) => Math.floor(((t + OFFSET) % D) / H);

describe('night-time electricity per meter against its own baseline', () => {
  let vm: Victoria;
  let service: CloudIngest;
  let gateway: MqttClient;
  let cookie = '';
  let base = '';
  const now = Date.now();
  const lastNightEnd = nightEnds(now, '05:00', 480, 1)[0]!;

  beforeAll(async () => {
    vm = await startVictoria();
    const config = testConfig({ influx: { url: vm.url }, console: { enabled: true, host: '127.0.0.1', port: 0, secureCookie: false, users: [{ name: 'li', township: 'town-1', passwordHash: hashPassword('pw-li') }] } });
    const a = provision(config.dataDir, 'gw-a', 'town-1', 'compound-a');
    service = await startService(config);
    base = `http://127.0.0.1:${service.consolePort}`;
    gateway = await connectGateway(service.brokerPort, 'gw-a', a.password);
    const receipts = await Receipts.watch(gateway, 'gw-a');
    // Counters every 30 min over nine days; energy used in the half hour before each sample.
    const lines: string[] = [];
    const energy = { 'meter-1': 1000, 'meter-2': 2000 };
    const start = lastNightEnd - 9 * D;
    for (let t = start; t <= now; t += 30 * MIN) {
      const night = localHour(t - 1) < 5;
      const lastNight = t > lastNightEnd - 5 * H && t <= lastNightEnd;
      for (const meter of ['meter-1', 'meter-2'] as const) {
        if (t > start) energy[meter] += night ? (meter === 'meter-2' && lastNight ? 0.3 : 0.05) : 0.5;
        lines.push(`power,source=${meter} import_energy=${energy[meter].toFixed(3)} ${t}`);
      }
    }
    expect((await publishBatchReceipted(gateway, receipts, 'gw-a', 'e1', lines)).status).toBe('stored');
    await vm.waitForSamples('{__name__="power_import_energy"}', lines.length, 30_000);
    const res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'li', password: 'pw-li' }) });
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  }, 90_000);

  afterAll(async () => {
    await gateway?.endAsync(true);
    await service?.stop();
    await vm?.stop();
  });

  it('ends each night at 05:00 local, the last one at or before now', () => {
    expect(localHour(lastNightEnd)).toBe(5);
    expect(lastNightEnd).toBeLessThanOrEqual(now);
    expect(now - lastNightEnd).toBeLessThan(D);
    expect(nightEnds(now, '05:00', 480, 3)).toEqual([lastNightEnd, lastNightEnd - D, lastNightEnd - 2 * D]);
  });

  it('flags the meter that used six times its usual night energy, not the other', async () => {
    const res = await fetch(`${base}/api/night-energy`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { meters: { source: string; nights: (number | null)[]; baseline: number; lastNight: number; flagged: boolean }[] };
    const m2 = body.meters.find((m) => m.source === 'meter-2')!;
    const m1 = body.meters.find((m) => m.source === 'meter-1')!;
    // Ten half hours a night: 10 × 0.05 = 0.5 kWh usually, 10 × 0.3 = 3 kWh last night on meter-2.
    expect(m2.lastNight).toBeCloseTo(3, 6);
    expect(m2.baseline).toBeCloseTo(0.5, 6);
    expect(m2.flagged).toBe(true);
    expect(m1.lastNight).toBeCloseTo(0.5, 6);
    expect(m1.flagged).toBe(false);
    expect(m1.nights).toHaveLength(8);
    for (const v of m1.nights) expect(v).toBeCloseTo(0.5, 6);
    expect(body.meters[0]!.source).toBe('meter-2');
  });
});
