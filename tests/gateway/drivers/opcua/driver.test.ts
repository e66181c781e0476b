// The OPC UA driver against a real node-opcua server in this process: subscription readings become
// measurements through the Decoder, bad status codes become faults, an unknown NodeId is a named fault,
// and readings resume after the server is shut down and started again on the same port.
import { Services } from '../../../../gateway/pipeline/services.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../../config/load-site.js';
import type { Driver } from '../../../../gateway/drivers/driver.js';
import { loadDriver } from '../../../../gateway/drivers/registry.js';
import { Decoder } from '../../../../gateway/pipeline/decoder.js';
import { EventBus } from '../../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../../gateway/pipeline/events.js';
import type { Measurement, PointFault, SourceStatus } from '../../../../gateway/pipeline/types.js';
import { resolveSources } from '../../../../gateway/runtime.js';
import { HonestClock } from '../../../../gateway/time/honest-clock.js';
import { createLogger, silentLogger } from '../../../../contract/logger.js';
import { Stats } from '../../../../contract/stats.js';
import { freePort, tempDir } from '../../../helpers/peers.js';
import { FLOAT_NODE, LEVEL_NODE, TestOpcuaServer } from './opcua-test-server.js';
import { waitFor } from '../../../helpers/wait.js';

const PROFILES_DIR = fileURLToPath(new URL('./profiles/', import.meta.url));

const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000) => waitFor(what, probe, timeoutMs);

describe('opcua driver against a node-opcua server', () => {
  const dir = tempDir('opcua');
  const previousXdg = process.env.XDG_CONFIG_HOME;
  const stats = new Stats();
  const events = new EventBus<GatewayEvents>((event, error) => {
    throw new Error(`listener for ${event} failed: ${String(error)}`);
  });
  const measurements: Measurement[] = [];
  const faults: PointFault[] = [];
  const statuses: SourceStatus[] = [];
  let server: TestOpcuaServer;
  let driver: Driver;
  let decoder: Decoder;

  beforeAll(async () => {
    // node-opcua falls back to $XDG_CONFIG_HOME for anything not given a folder; keep it in the temp dir too.
    process.env.XDG_CONFIG_HOME = join(dir.path, 'xdg');
    mkdirSync(process.env.XDG_CONFIG_HOME, { recursive: true });
    server = new TestOpcuaServer(await freePort(), join(dir.path, 'server-pki'));
    await server.start(123);

    const siteFile = join(dir.path, 'site.yaml');
    const site = [
      'version: 1',
      `gateway: { township: t1, compound: c1, id: gw1, profilesDir: ${JSON.stringify(PROFILES_DIR)} }`,
      'sources:',
      '  - id: pump-1',
      '    profile: testvendor/pump-station',
      `    opcua: { endpoint: ${JSON.stringify(server.endpoint)}, publishingInterval: 100ms, nodes: { level: ${JSON.stringify(LEVEL_NODE)}, high_float: ${JSON.stringify(FLOAT_NODE)} } }`,
      '    tags: { building: "3", room: pump room }',
      '  - id: pump-2',
      '    profile: testvendor/pump-station',
      `    opcua: { endpoint: ${JSON.stringify(server.endpoint)}, publishingInterval: 100ms, nodes: { level: "ns=1;s=Sump.NoSuchNode", high_float: ${JSON.stringify(FLOAT_NODE)} } }`,
      '    tags: { building: "4" }',
      // An unsecured channel, as on an isolated plant network; secure-channel.test.ts runs the secure default.
      `drivers: { opcua: { securityMode: None, securityPolicy: None, pkiDir: ${JSON.stringify(join(dir.path, 'client-pki'))}, maxRetryDelay: 1s } }`,
    ].join('\n');
    writeFileSync(siteFile, site);
    const loaded = parseSiteConfig(siteFile, site);
    const sources = resolveSources(loaded);
    const clock = new HonestClock({ synced: true });
    const log = process.env.LASTMILE_TEST_LOG ? createLogger({ level: 'debug' }) : silentLogger();
    events.on('measurement', (m) => measurements.push(m));
    events.on('fault', (f) => faults.push(f));
    events.on('source.status', (s) => statuses.push(s));
    decoder = new Decoder({ events, clock, log, stats }, sources);
    decoder.start();
    const factory = await loadDriver('opcua');
    driver = factory({ log, stats, clock, events, site: loaded.config, sources, services: new Services() });
    driver.init();
    await driver.start();
  });

  afterAll(async () => {
    await driver?.stop();
    decoder?.stop();
    await server?.stop();
    if (previousXdg === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = previousXdg;
    dir.remove();
  });

  const levelOf = (source: string, value: number) => () =>
    measurements.find((m) => m.source === source && m.point === 'level' && m.value === value);

  it('turns data changes into measurements through the profile (scale, unit, states, tags)', async () => {
    const first = await until('the initial level of pump-1', levelOf('pump-1', 1.23));
    expect(first).toMatchObject({ class: 'water_level', unit: 'm', quality: 'good', tags: { source: 'pump-1', building: '3', room: 'pump room', compound: 'c1' } });
    expect(statuses).toContainEqual(expect.objectContaining({ source: 'pump-1', online: true }));

    server.setLevel(187);
    await until('the changed level', levelOf('pump-1', 1.87));
    server.setFloat(true);
    await until('the float switch state', () => measurements.find((m) => m.source === 'pump-1' && m.point === 'high_float' && m.value === 'high'));
  });

  it('makes a bad status code a counted fault, never a value', async () => {
    const before = measurements.length;
    server.setLevel(999, true);
    const fault = await until('a bad-status fault', () => faults.find((f) => f.source === 'pump-1' && f.code === 'opcua_bad_status'));
    expect(fault).toMatchObject({ point: 'level', raw: 'BadSensorFailure', class: 'water_level', tags: { building: '3' } });
    expect(stats.counter('opcua.bad_status', { source: 'pump-1', point: 'level' })).toBeGreaterThan(0);
    expect(measurements.slice(before).some((m) => m.value === 9.99)).toBe(false);
    server.setLevel(150);
    await until('the level after the sensor recovered', levelOf('pump-1', 1.5));
  });

  it('names a NodeId the server does not know, and still reads the other points of that source', async () => {
    const fault = await until('the unknown-node fault', () => faults.find((f) => f.source === 'pump-2' && f.code === 'opcua_node_error'));
    expect(fault.point).toBe('level');
    expect(String(fault.raw)).toMatch(/BadNodeIdUnknown/);
    expect(stats.counter('opcua.monitor_error', { source: 'pump-2', point: 'level' })).toBe(1);
    await until('pump-2 float switch', () => measurements.find((m) => m.source === 'pump-2' && m.point === 'high_float'));
  });

  it('goes offline when the server stops and resumes readings after it restarts on the same port', async () => {
    await server.stop();
    await until('pump-1 offline', () => statuses.find((s) => s.source === 'pump-1' && !s.online));
    const offline = statuses.find((s) => s.source === 'pump-1' && !s.online)!;
    expect(offline.lastError?.kind).toBe('connection');

    await server.start(222);
    await until('the level from the restarted server', levelOf('pump-1', 2.22), 20_000);
    const lastStatus = await until('pump-1 online again', () => {
      const last = statuses.filter((s) => s.source === 'pump-1').at(-1);
      return last?.online ? last : undefined;
    });
    expect(lastStatus.online).toBe(true);
    server.setLevel(240);
    await until('a change after the restart', levelOf('pump-1', 2.4));
  }, 30_000);
});
