// /metrics, /healthz and /readyz on both sides (issue 12), no browser: a real gateway (Modbus TCP
// simulator → spool → uplink) sends to a real cloud-ingest writing VictoriaMetrics. Scraping shows the
// counters Stats holds moving (spool appends and receipts on the gateway, batches and written lines at
// the township), and VictoriaMetrics' own Prometheus-text importer parses what /metrics wrote.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/load-site.js';
import type { CloudIngest } from '../../cloud-ingest/service.js';
import { resolveProfile } from '../../gateway/devices/resolve.js';
import { GatewayRuntime } from '../../gateway/runtime.js';
import { silentLogger } from '../../contract/logger.js';
import { ModbusSimulator } from '../../gateway/sim/modbus-simulator.js';
import { provision, startService, testConfig } from '../cloud-ingest/fixture.js';
import { freePort, tempDir } from '../helpers/peers.js';
import { startVictoria, type Victoria } from '../helpers/victoria.js';
import { waitFor } from '../helpers/wait.js';

/** One sample's value from Prometheus text: `name{labels} value`, the labels matched as given. */
function sampleOf(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const series = line.slice(0, space);
    if (series === name || (series.startsWith(`${name}{`) && series.includes(labels))) return Number(line.slice(space + 1));
  }
  return undefined;
}

async function scrape(port: number, path = '/metrics'): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

describe('/metrics, /healthz, /readyz on the gateway and on cloud-ingest', () => {
  const dir = tempDir('metrics-smoke');
  let vm: Victoria;
  let service: CloudIngest;
  let simulator: ModbusSimulator;
  let runtime: GatewayRuntime;
  let gatewayMetricsPort = 0;

  beforeAll(async () => {
    vm = await startVictoria();
    const config = testConfig({ influx: { url: vm.url }, metrics: { host: '127.0.0.1', port: 0 } });
    const issued = provision(config.dataDir, 'gw-metrics', 'town-m', 'compound-m');
    const passwordFile = join(dir.path, 'uplink.password');
    writeFileSync(passwordFile, `${issued.password}\n`, { mode: 0o600 });
    service = await startService(config);
    const modbusPort = await freePort();
    gatewayMetricsPort = await freePort();
    const site = {
      version: 1,
      gateway: { township: 'town-m', compound: 'compound-m', id: 'gw-metrics' },
      buses: [{ id: 'tcp1', type: 'tcp', host: '127.0.0.1', port: modbusPort, timeout: '1s' }],
      sources: [{ id: 'meter-1', profile: 'eastron/sdm120', bus: 'tcp1', unit: 1, poll: '200ms', tags: { building: '1' } }],
      uplink: { url: `mqtt://127.0.0.1:${service.brokerPort}`, passwordFile, batchMaxAge: '100ms', reconnectMin: '100ms', reconnectMax: '500ms' },
      spool: { dir: join(dir.path, 'spool') },
      metrics: { port: gatewayMetricsPort },
    };
    const loaded = parseSiteConfig(join(dir.path, 'site.yaml'), JSON.stringify(site));
    simulator = new ModbusSimulator([{ unit: 1, resolved: resolveProfile(loaded.profiles.get('eastron/sdm120')!), scenario: (s) => ({ voltage: 230 + (s % 5), current: 1.5 }) }], { host: '127.0.0.1', port: modbusPort });
    await simulator.start();
    runtime = new GatewayRuntime(loaded, { log: silentLogger() });
    await runtime.start();
  }, 60_000);

  afterAll(async () => {
    await runtime?.stop();
    await simulator?.stop();
    await service?.stop();
    await vm?.stop();
    dir.remove();
  }, 30_000);

  it('the gateway: spool appends and receipts move between scrapes; ready and healthy; the text parses', async () => {
    const first = await waitFor('gateway /metrics with receipted batches', async () => {
      const scraped = await scrape(gatewayMetricsPort);
      return (sampleOf(scraped.body, 'lastmile_uplink_receipted_total') ?? 0) > 0 ? scraped : undefined;
    }, 30_000);
    expect(first.status).toBe(200);
    expect(first.type).toContain('text/plain; version=0.0.4');
    expect(first.body).toContain('# TYPE lastmile_spool_measurements_total counter');
    const measured = sampleOf(first.body, 'lastmile_spool_measurements_total', 'gateway="gw-metrics"')!;
    expect(measured).toBeGreaterThan(0);
    expect(sampleOf(first.body, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    await waitFor('more spool appends', async () => (sampleOf((await scrape(gatewayMetricsPort)).body, 'lastmile_spool_measurements_total', 'gateway="gw-metrics"') ?? 0) > measured, 20_000);

    expect(await scrape(gatewayMetricsPort, '/readyz')).toMatchObject({ status: 200 });
    expect(JSON.parse((await scrape(gatewayMetricsPort, '/healthz')).body)).toEqual({ ok: true });
    expect((await scrape(gatewayMetricsPort, '/nothing')).status).toBe(404);

    // VictoriaMetrics' importer is an independent parser of the exposition format.
    const imported = await fetch(`${vm.url}/api/v1/import/prometheus`, { method: 'POST', body: first.body });
    expect(imported.status).toBe(204);
    const series = await vm.waitForSamples('lastmile_spool_measurements_total{gateway="gw-metrics"}', 1);
    expect(series[0]!.values).toEqual([measured]);
  }, 90_000);

  it('cloud-ingest: batches and written lines move; ready; labelled with its worker', async () => {
    const port = service.metricsPort;
    expect(port).toBeGreaterThan(0);
    const first = await waitFor('cloud-ingest /metrics with written lines', async () => {
      const scraped = await scrape(port);
      return (sampleOf(scraped.body, 'lastmile_ingest_lines_written_total') ?? 0) > 0 ? scraped : undefined;
    }, 30_000);
    const batches = sampleOf(first.body, 'lastmile_ingest_batches_total', 'worker="w1"')!;
    expect(batches).toBeGreaterThan(0);
    await waitFor('more ingest batches', async () => (sampleOf((await scrape(port)).body, 'lastmile_ingest_batches_total', 'worker="w1"') ?? 0) > batches, 20_000);
    expect(await scrape(port, '/readyz')).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect((await scrape(port, '/healthz')).status).toBe(200);
    // What it keeps in memory, each against its bound (issue 19): read at the scrape, not counted.
    const sizes = (await scrape(port)).body;
    const size = (name: string) => sampleOf(sizes, `lastmile_${name}`, 'worker="w1"');
    expect(size('ingest_window_sources')).toBeGreaterThan(0);
    expect(size('ingest_window_bytes')).toBeGreaterThan(0);
    expect(size('ingest_window_bytes')).toBeLessThanOrEqual(size('ingest_window_budget_bytes')!);
    expect(size('ingest_window_budget_bytes')).toBe(service.config.recentWindow.maxBytes);
    expect(size('ingest_head_cache_heads')).toBeGreaterThan(0);
    expect(size('ingest_head_cache_bytes')).toBeGreaterThan(0);
    expect(size('ingest_dedup_ids')).toBeGreaterThanOrEqual(batches);
    expect(size('ingest_dedup_ids')).toBeLessThanOrEqual(size('ingest_dedup_capacity')!);
    expect(size('ingest_series_held')).toBeGreaterThan(0);
    expect(size('registry_gateways')).toBe(service.registry.list().length);
    expect(size('registry_verified_cached')).toBeLessThanOrEqual(size('registry_scrypt_gateways')!);
  }, 90_000);
});
