// History from the time-series database (issue 16): a simulated gateway writes 24 hours of a temperature
// through cloud-ingest into a real VictoriaMetrics, with a two-hour outage; the console's /api/history
// reads back the 24 h chart through the Prometheus query API: one point per 5 min step, the outage as
// nulls (a gap, not a line across it), the configured unit and rule threshold, the alarm moment marked.
// Without a database the same route answers the memory window and says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { topics } from '../../contract/wire.js';
import { hashPassword } from '../../cloud-ingest/registry/password.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { startVictoria, type Victoria } from '../helpers/victoria.js';
import { alarmEvent, connectGateway, provision, publishBatchReceipted, Receipts, startService, testConfig, waitFor } from './fixture.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

const consoleConfig = { enabled: true, host: '127.0.0.1', port: 0, secureCookie: false, users: [{ name: 'li', township: 'town-1', passwordHash: hashPassword('pw-li') }] };
const views = { fields: [{ field: 'temp', measurement: 'temperature', unit: '°C', name: { zh: '温度', en: 'Temperature' }, thresholds: [{ value: 60, level: 'alarm', label: '上限' }] }] };

async function login(base: string): Promise<string> {
  const res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'li', password: 'pw-li' }) });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

interface HistoryAnswer {
  from: string;
  unit?: string;
  thresholds: { value: number; level: string }[];
  stepMs?: number;
  ts: number[];
  values: (number | null)[];
  marks: { ts: number; level: string }[];
}

describe('history read back from VictoriaMetrics', () => {
  let vm: Victoria;
  let service: CloudIngest;
  let gateway: MqttClient;
  let base = '';
  let cookie = '';
  // Minute samples over the last 24 h, none from -10 h to -8 h (the gateway was off).
  const now = Date.now();
  const gapFrom = now - 10 * HOUR;
  const gapTo = now - 8 * HOUR;
  const samples: [number, number][] = [];
  for (let t = now - 24 * HOUR + MIN; t <= now; t += MIN) if (t < gapFrom || t > gapTo) samples.push([t, 20 + ((t / MIN) % 10)]);
  const alarmAt = now - 5 * HOUR;

  beforeAll(async () => {
    vm = await startVictoria();
    const config = testConfig({ influx: { url: vm.url }, console: consoleConfig, views });
    const a = provision(config.dataDir, 'gw-a', 'town-1', 'compound-a');
    provision(config.dataDir, 'gw-b', 'town-2', 'compound-b');
    service = await startService(config);
    base = `http://127.0.0.1:${service.consolePort}`;
    gateway = await connectGateway(service.brokerPort, 'gw-a', a.password);
    const receipts = await Receipts.watch(gateway, 'gw-a');
    const receipt = await publishBatchReceipted(gateway, receipts, 'gw-a', 'h1', samples.map(([t, v]) => `temperature,source=th-1 temp=${v} ${t}`));
    expect(receipt.status).toBe('stored');
    await gateway.publishAsync(topics.alarm('gw-a', 'ev-hot'), JSON.stringify(alarmEvent({ eventId: 'ev-hot', alarmId: 'th-1/temp', level: 'alarm', source: 'th-1', point: 'temp', value: 61, ts: alarmAt })), { qos: 1 });
    await receipts.wait('a', 'ev-hot');
    await vm.waitForSamples('{__name__="temperature_temp"}', samples.length, 30_000);
    cookie = await login(base);
  }, 90_000);

  afterAll(async () => {
    await gateway?.endAsync(true);
    await service?.stop();
    await vm?.stop();
  });

  const history = async (query: Record<string, string>) => {
    const res = await fetch(`${base}/api/history?${new URLSearchParams(query)}`, { headers: { cookie } });
    return { status: res.status, body: (await res.json()) as HistoryAnswer };
  };

  it('reads back a 24 h chart with the gap as nulls, the unit, the threshold and the alarm moment', async () => {
    // The database answers a query of fresh rows after a moment: poll until the last hour is there.
    const { body } = await waitFor('24 h history with recent points', async () => {
      const answer = await history({ gateway: 'gw-a', source: 'th-1', measurement: 'temperature', field: 'temp', range: '24h' });
      return answer.status === 200 && answer.body.values.slice(-30, -2).every((v) => v !== null) ? answer : undefined;
    }, 30_000);
    expect(body.from).toBe('database');
    expect(body.unit).toBe('°C');
    expect(body.thresholds).toEqual([{ value: 60, level: 'alarm', label: '上限' }]);
    expect(body.stepMs).toBe(5 * MIN);
    expect(body.ts).toHaveLength(288);
    expect(body.values).toHaveLength(288);
    expect(body.ts[287]! - body.ts[0]!).toBe(287 * 5 * MIN);
    // A step is null exactly when no sample fell in its 5 minutes: computed here from what was written.
    const expectedNull = body.ts.map((t) => !samples.some(([s]) => s > t - 5 * MIN && s <= t));
    const gapSteps = expectedNull.filter((x, i) => x && body.ts[i]! > gapFrom && body.ts[i]! < gapTo).length;
    expect(gapSteps).toBeGreaterThanOrEqual(22);
    body.ts.forEach((t, i) => {
      if (t > gapFrom + 5 * MIN && t < gapTo) expect(body.values[i], `step ${new Date(t).toISOString()} inside the outage`).toBeNull();
      // Steps well away from the gap and from the ends have data; each is the mean of its samples.
      if (!expectedNull[i] && t > body.ts[1]! && t < now - 5 * MIN) {
        const inStep = samples.filter(([s]) => s > t - 5 * MIN && s <= t).map(([, v]) => v);
        expect(body.values[i], `step ${new Date(t).toISOString()}`).toBeCloseTo(inStep.reduce((a, b) => a + b, 0) / inStep.length, 6);
      }
    });
    expect(body.marks.map((m) => [m.ts, m.level])).toEqual([[alarmAt, 'alarm']]);
  });

  it('serves every range, refuses an unknown one and another township’s gateway', async () => {
    for (const [range, points] of [['1h', 240], ['7d', 336], ['30d', 360]] as const) {
      const { status, body } = await history({ gateway: 'gw-a', source: 'th-1', measurement: 'temperature', field: 'temp', range });
      expect(status).toBe(200);
      expect(body.ts).toHaveLength(points);
      expect(body.values.some((v) => v !== null)).toBe(true);
    }
    expect((await history({ gateway: 'gw-a', source: 'th-1', measurement: 'temperature', field: 'temp', range: '2y' })).status).toBe(400);
    expect((await history({ gateway: 'gw-b', source: 'th-1', measurement: 'temperature', field: 'temp', range: '24h' })).status).toBe(404);
    expect((await history({ gateway: 'gw-a', source: 'th-1', measurement: 'temperature"}', field: 'temp', range: '24h' })).status).toBe(502);
  });

  it('answers /api/stats for this township from the case store', async () => {
    const res = await fetch(`${base}/api/stats?days=30`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as { cases: number; compounds: Record<string, { cases: number }>; byDay: { levels: Record<string, number> }[] };
    expect(stats.cases).toBe(1);
    expect(Object.keys(stats.compounds)).toEqual(['compound-a']);
    expect(stats.byDay.reduce((n, b) => n + (b.levels.alarm ?? 0), 0)).toBe(1);
    expect((await fetch(`${base}/api/stats?from=10&to=5`, { headers: { cookie } })).status).toBe(400);
    // The open alarm-level case makes compound-a orange; its gateway is connected.
    const risk = (await (await fetch(`${base}/api/risk`, { headers: { cookie } })).json()) as { compound: string; colour: string; reasons: string[]; gateways: { gateway: string; connected: boolean }[] }[];
    expect(risk).toEqual([{ compound: 'compound-a', colour: 'orange', reasons: ['open:alarm'], gateways: [{ gateway: 'gw-a', connected: true }] }]);
    const csv = await fetch(`${base}/api/stats.csv?days=30`, { headers: { cookie } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    expect(lines[0]!.startsWith('compound,')).toBe(true);
    expect(lines[1]!.split(',').slice(0, 5)).toEqual(['compound-a', '', 'orange', '1', '0']);
  });

  it('answers the memory window, and says so, without a database', async () => {
    const config = testConfig({ console: consoleConfig, views });
    const a = provision(config.dataDir, 'gw-a', 'town-1', 'compound-a');
    const memoryOnly = await startService(config);
    const client = await connectGateway(memoryOnly.brokerPort, 'gw-a', a.password);
    try {
      const receipts = await Receipts.watch(client, 'gw-a');
      await publishBatchReceipted(client, receipts, 'gw-a', 'm1', [`temperature,source=th-1 temp=21 ${now - 2000}`, `temperature,source=th-1 temp=22 ${now - 1000}`]);
      const memoryBase = `http://127.0.0.1:${memoryOnly.consolePort}`;
      const memoryCookie = await login(memoryBase);
      const res = await fetch(`${memoryBase}/api/history?${new URLSearchParams({ gateway: 'gw-a', source: 'th-1', measurement: 'temperature', field: 'temp', range: '24h' })}`, { headers: { cookie: memoryCookie } });
      const body = (await res.json()) as HistoryAnswer;
      expect(body.from).toBe('memory');
      expect(body.values).toEqual([21, 22]);
      expect(body.unit).toBe('°C');
    } finally {
      await client.endAsync(true);
      await memoryOnly.stop();
    }
  });
});
