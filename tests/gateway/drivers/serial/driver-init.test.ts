// The serial driver's registration, its plugin's checks, init() (no I/O) and the node-fields mapping profiles rely on.
import { Services } from '../../../../gateway/pipeline/services.js';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { siteConfig } from '../../../../config/site.js';
import { ProfileIndex } from '../../../../gateway/devices/profile-index.js';
import { decodePoint } from '../../../../gateway/devices/decode.js';
import type { ResolvedSource } from '../../../../gateway/drivers/driver.js';
import { loadDriver } from '../../../../gateway/drivers/registry.js';
import { createSerialDriver } from '../../../../gateway/drivers/serial/driver.js';
import { serialPlugin } from '../../../../gateway/drivers/serial/plugin.js';
import { dataFields, eventFields, hasField, heartbeatFields } from '../../../../gateway/drivers/serial/fields.js';
import { partialFrameTimeoutFor, serialLinkTiming } from '../../../../gateway/drivers/serial/options.js';
import { EventBus } from '../../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../../gateway/pipeline/events.js';
import { resolveSources } from '../../../../gateway/runtime.js';
import { HonestClock } from '../../../../gateway/time/honest-clock.js';
import { silentLogger } from '../../../../contract/logger.js';
import { Stats } from '../../../../contract/stats.js';
import { YamlSource } from '../../../../contract/load-yaml.js';

const PROFILES = fileURLToPath(new URL('./profiles/', import.meta.url));
const config = siteConfig.parse({
  version: 1,
  gateway: { township: 't1', compound: 'c1', id: 'gw-1' },
  buses: [
    { id: 'nodes', type: 'serial-node', port: '/dev/null-nodes' },
    { id: 'rs485', type: 'rtu', port: '/dev/null-rtu', baud: 9600, parity: 'none', stopBits: 1 },
  ],
  sources: [{ id: 'smoke-1', profile: 'lastmile/smoke-node', bus: 'nodes', node: 7, tags: { building: '1' } }],
});
const [smoke] = resolveSources({ file: 'driver-init.test', config, profiles: ProfileIndex.load([PROFILES]) }) as [ResolvedSource];

function initWith(source: ResolvedSource): () => void {
  const context = { log: silentLogger(), stats: new Stats(), clock: new HonestClock({ synced: true }), events: new EventBus<GatewayEvents>(() => undefined), site: config, sources: [source], services: new Services() };
  return () => createSerialDriver(context).init();
}

describe('serial driver registration and init()', () => {
  it('is registered as "serial"', async () => {
    expect(await loadDriver('serial')).toBe(createSerialDriver);
  });

  it('accepts a node source on a serial-node bus', () => {
    expect(initWith(smoke)).not.toThrow();
  });

  it('leaves the bus, node and json checks to the plugin, which names the source and the path', () => {
    const reports: string[] = [];
    const check = (src: typeof smoke.config, profile = smoke.profile) =>
      serialPlugin.checkSource({
        source: src,
        profile,
        buses: new Map(config.buses.map((bus) => [bus.id, bus])),
        writtenBusIds: undefined,
        at: (...rest) => ['sources', 0, ...rest],
        report: (path, message) => reports.push(`${path.join('.')}: ${message}`),
        claim: () => undefined,
      });
    check({ ...smoke.config, bus: 'rs485' });
    check({ ...smoke.config, node: undefined });
    expect(reports).toEqual(['sources.0.bus: profile lastmile/smoke-node speaks serial but bus "rs485" is rtu', 'sources.0: a serial source needs "node"']);
    // init() no longer repeats them: a source the loader would refuse is not refused again here.
    expect(initWith({ ...smoke, bus: config.buses[1] })).not.toThrow();
  });

  it('names the points that lack a json path (profile check)', () => {
    const profile = { ...smoke.profile, points: smoke.profile.points.map((p) => (p.id === 'battery' ? { ...p, json: undefined } : p)) };
    const index = profile.points.findIndex((p) => p.id === 'battery');
    const yaml = new YamlSource('smoke-node.yaml', 'id: x\n');
    const issues = serialPlugin.checkPoint!({ yaml, profile, index });
    expect(issues.map((issue) => issue.message)).toEqual(['a serial-node point needs a "json" field path']);
  });

  it('derives the partial-frame deadline from the baud rate', () => {
    expect(partialFrameTimeoutFor(115_200)).toBe(50);
    expect(partialFrameTimeoutFor(9600)).toBe(517);
    expect(serialLinkTiming({})).toMatchObject({ ackTimeoutMs: 300, maxRetries: 3, silentAfterBeats: 3, reopenDelayMs: 2000, partialFrameTimeoutMs: undefined });
    expect(() => serialLinkTiming({ ackTimeout: 'soon' })).toThrow();
  });
});

describe('node fields that profiles name with json paths', () => {
  const point = (id: string) => smoke.resolved.points.find((p) => p.id === id)!;

  it('maps DATA, EVENT and HEARTBEAT onto data.<index>, event.<name> and heartbeat.*', () => {
    const data = dataFields([{ index: 0, type: 'u16', value: 250 }]);
    expect(hasField(data, 'data.0')).toBe(true);
    expect(hasField(data, 'data.1')).toBe(false);
    expect(decodePoint(point('obscuration'), { kind: 'json', value: data }, () => undefined)).toEqual({ kind: 'value', value: 2.5, unit: '%/m' });

    const event = eventFields({ code: 1, active: false, entries: [{ index: 1, type: 'i16', value: -15 }] });
    expect(event).toEqual({ event: { smoke: false }, data: { 1: -15 } });
    expect(decodePoint(point('smoke'), { kind: 'json', value: event }, () => undefined)).toEqual({ kind: 'value', value: 'clear', unit: undefined });
    expect(eventFields({ code: 200, active: true, entries: [] })).toEqual({ event: { code_200: true } });

    expect(heartbeatFields({ uptimeS: 5, batteryMv: 2950 })).toEqual({ heartbeat: { uptime_s: 5, battery_mv: 2950 } });
  });

  it('does not treat inherited object keys as node fields', () => {
    expect(hasField(dataFields([]), 'data.constructor')).toBe(false);
    expect(hasField(dataFields([]), 'toString')).toBe(false);
  });
});
