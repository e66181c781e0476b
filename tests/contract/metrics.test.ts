// The Prometheus text writer and the probe endpoints (contract/metrics.ts): names and label values
// escaped as the exposition format says, one TYPE line per family, and /readyz following its probes.
import { afterEach, describe, expect, it } from 'vitest';
import { metricName, prometheusText, startMetricsServer, type MetricsServer } from '../../contract/metrics.js';
import { Stats } from '../../contract/stats.js';

describe('prometheusText', () => {
  it('writes counters with _total, gauges as they are, labels escaped, one TYPE per family', () => {
    const stats = new Stats();
    stats.inc('modbus.timeout', { source: 'meter-1' });
    stats.inc('modbus.timeout', { source: 'meter-1' });
    stats.inc('modbus.timeout', { source: 'say "hi"\\\nnext' });
    stats.set('local_broker.clients', {}, 3);
    const text = prometheusText(stats, 'lastmile_', { gateway: 'gw-1' });
    const lines = text.split('\n');
    expect(lines.filter((l) => l === '# TYPE lastmile_modbus_timeout_total counter')).toHaveLength(1);
    expect(lines).toContain('lastmile_modbus_timeout_total{gateway="gw-1",source="meter-1"} 2');
    expect(lines).toContain('lastmile_modbus_timeout_total{gateway="gw-1",source="say \\"hi\\"\\\\\\nnext"} 1');
    expect(lines).toContain('# TYPE lastmile_local_broker_clients gauge');
    expect(lines).toContain('lastmile_local_broker_clients{gateway="gw-1"} 3');
    expect(text.endsWith('\n')).toBe(true);
    // Every sample line is `name{...} value` or `name value` with a legal name.
    for (const line of lines.filter((l) => l !== '' && !l.startsWith('#'))) expect(line).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*(\{.*\})? [-+0-9.eE]+$|NaN$|Inf$/);
  });

  it('keeps a name used as counter and as gauge apart, and cleans names', () => {
    const stats = new Stats();
    stats.inc('x_total');
    stats.set('x_total', {}, 5);
    const text = prometheusText(stats, 'p_');
    expect(text).toContain('# TYPE p_x_total counter\np_x_total 1');
    expect(text).toContain('# TYPE p_x_total_gauge gauge\np_x_total_gauge 5');
    expect(metricName('lastmile_', 'gbt26875.bad-frame')).toBe('lastmile_gbt26875_bad_frame');
  });

  it('entries keep labels apart from the name (the snapshot keys cannot be split back)', () => {
    const stats = new Stats();
    stats.inc('a', { k: 'v=1,w=2' });
    expect(stats.entries()).toEqual([{ kind: 'counter', name: 'a', labels: { k: 'v=1,w=2' }, value: 1 }]);
    expect(stats.snapshot()).toEqual({ 'a{k=v=1,w=2}': 1 });
  });
});

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => server?.close());

  it('/readyz answers 503 with the reasons until its probes pass; /healthz follows its own', async () => {
    let ready = false;
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, stats: new Stats(), health: [() => undefined], ready: [() => (ready ? undefined : 'gateway starting')] });
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${server!.port}${path}`);
      return { status: response.status, body: (await response.json()) as unknown };
    };
    expect(await get('/readyz')).toEqual({ status: 503, body: { ok: false, reasons: ['gateway starting'] } });
    expect(await get('/healthz')).toEqual({ status: 200, body: { ok: true } });
    ready = true;
    expect(await get('/readyz')).toEqual({ status: 200, body: { ok: true } });
    const post = await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('runs collect before each /metrics answer, so gauges that are read show their value at the scrape', async () => {
    const stats = new Stats();
    let held = 0;
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, stats, health: [], ready: [], collect: () => stats.set('window_bytes', {}, (held += 100)) });
    const scrape = async () => (await fetch(`http://127.0.0.1:${server!.port}/metrics`)).text();
    expect(await scrape()).toContain('\nlastmile_window_bytes 100\n');
    const second = await scrape();
    expect(second).toContain('\nlastmile_window_bytes 200\n');
    // The process's memory beside it, named as Prometheus' Node.js client names it.
    for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes']) expect(second).toMatch(new RegExp(`\\n${name} [0-9]+\\n`));
    // Probes do not collect.
    await fetch(`http://127.0.0.1:${server.port}/readyz`);
    expect(held).toBe(200);
  });

  it('names the address it could not bind', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, stats: new Stats(), health: [], ready: [] });
    await expect(startMetricsServer({ host: '127.0.0.1', port: server.port, stats: new Stats(), health: [], ready: [] })).rejects.toThrow(`metrics listener on 127.0.0.1:${server.port}`);
  });
});
