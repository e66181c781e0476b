// The GPIO driver's logic through the in-memory GpioPort (mock by necessity: this machine has no GPIO):
// levels → readings → measurements through the Decoder with the built-in door-contact profile and a
// test-only active-low flood contact; debounce, re-read on poll, offline/online when a line cannot be opened.
import { Services } from '../../../../gateway/pipeline/services.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseSiteConfig } from '../../../../config/load-site.js';
import type { Driver } from '../../../../gateway/drivers/driver.js';
import { MemoryGpioPort } from '../../../../gateway/drivers/gpio/memory-port.js';
import { loadDriver } from '../../../../gateway/drivers/registry.js';
import { Decoder } from '../../../../gateway/pipeline/decoder.js';
import { EventBus } from '../../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../../gateway/pipeline/events.js';
import type { Measurement, Reading, SourceStatus } from '../../../../gateway/pipeline/types.js';
import { resolveSources } from '../../../../gateway/runtime.js';
import { HonestClock } from '../../../../gateway/time/honest-clock.js';
import { silentLogger } from '../../../../contract/logger.js';
import { Stats } from '../../../../contract/stats.js';
import { tempDir } from '../../../helpers/peers.js';

const PROFILES_DIR = fileURLToPath(new URL('./profiles/', import.meta.url));
const DOOR_LINE = 17;
const FLOOD_LINE = 22;
const DEBOUNCE_MS = 50;
const POLL_MS = 1000;

const dir = tempDir('gpio-driver');
const siteFile = join(dir.path, 'site.yaml');
const siteText = [
  'version: 1',
  `gateway: { township: t1, compound: c1, id: gw1, profilesDir: ${JSON.stringify(PROFILES_DIR)} }`,
  'sources:',
  `  - { id: fire-door-3, profile: generic/gpio-door-contact, poll: ${POLL_MS}ms, gpio: { lines: { contact: ${DOOR_LINE} } }, tags: { building: "3", floor: "1" } }`,
  `  - { id: flood-pump-room, profile: testvendor/flood-dry-contact, poll: ${POLL_MS}ms, gpio: { lines: { relay: ${FLOOD_LINE} } }, tags: { building: "3", room: pump room } }`,
  `drivers: { gpio: { port: memory, debounce: ${DEBOUNCE_MS}ms } }`,
].join('\n');
writeFileSync(siteFile, siteText);
const loaded = parseSiteConfig(siteFile, siteText);

describe('gpio driver with the in-memory port', () => {
  let port: MemoryGpioPort;
  let stats: Stats;
  let measurements: Measurement[];
  let readings: Reading[];
  let statuses: SourceStatus[];
  let driver: Driver;
  let decoder: Decoder;

  const latest = (source: string) => measurements.filter((m) => m.source === source).at(-1);

  beforeEach(async () => {
    vi.useFakeTimers();
    port = new MemoryGpioPort();
    port.setInput(DOOR_LINE, 0); // door closed: the NC contact pulls the line to 0
    port.setInput(FLOOD_LINE, 1); // dry: the relay is open and the pull-up reads 1
    stats = new Stats();
    measurements = [];
    readings = [];
    statuses = [];
    const events = new EventBus<GatewayEvents>((event, error) => {
      throw new Error(`listener for ${event} failed: ${String(error)}`);
    });
    events.on('measurement', (m) => measurements.push(m));
    events.on('reading', (r) => readings.push(r));
    events.on('source.status', (s) => statuses.push(s));
    const sources = resolveSources(loaded);
    const clock = new HonestClock({ synced: true });
    decoder = new Decoder({ events, clock, log: silentLogger(), stats }, sources);
    decoder.start();
    driver = (await loadDriver('gpio'))({ log: silentLogger(), stats, clock, events, site: loaded.config, sources, services: new Services(() => port) });
    driver.init();
  });

  afterEach(async () => {
    await driver.stop();
    decoder.stop();
    vi.useRealTimers();
  });

  afterAll(() => dir.remove());

  it('reads every line on start and decodes it through the profiles (activeLow, states, tags)', async () => {
    await driver.start();
    expect(latest('fire-door-3')).toMatchObject({ point: 'contact', class: 'door', value: 'closed', tags: { building: '3', floor: '1', source: 'fire-door-3' } });
    expect(latest('flood-pump-room')).toMatchObject({ point: 'flood', class: 'water_level', value: 'dry' });
    expect(readings.find((r) => r.source === 'fire-door-3')?.values.get('contact')).toEqual({ kind: 'bits', bits: [false] });
    expect(statuses).toEqual([expect.objectContaining({ source: 'fire-door-3', online: true }), expect.objectContaining({ source: 'flood-pump-room', online: true })]);
    expect(port.openLines().inputs).toEqual([DOOR_LINE, FLOOD_LINE]);
  });

  it('emits one reading per debounced edge, none for a bounce that ends where it started', async () => {
    await driver.start();
    const before = measurements.length;
    port.setInput(DOOR_LINE, 1);
    await vi.advanceTimersByTimeAsync(3);
    port.setInput(DOOR_LINE, 0);
    await vi.advanceTimersByTimeAsync(3);
    port.setInput(DOOR_LINE, 1);
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS - 1);
    expect(measurements.length).toBe(before);
    await vi.advanceTimersByTimeAsync(1);
    expect(measurements.slice(before)).toEqual([expect.objectContaining({ source: 'fire-door-3', value: 'open' })]);
    expect(stats.counter('gpio.edge', { source: 'fire-door-3', point: 'contact' })).toBe(1);

    port.setInput(DOOR_LINE, 0);
    await vi.advanceTimersByTimeAsync(2);
    port.setInput(DOOR_LINE, 1);
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS * 2);
    expect(measurements.length).toBe(before + 1);
  });

  it('maps an active-low contact: the relay pulling the line to 0 means water', async () => {
    await driver.start();
    port.setInput(FLOOD_LINE, 0);
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS);
    expect(latest('flood-pump-room')).toMatchObject({ value: 'wet' });
  });

  it('re-reads every line each poll, so a lost edge is corrected and the heartbeat is kept', async () => {
    await driver.start();
    const before = readings.length;
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(readings.slice(before).map((r) => r.source).sort()).toEqual(['fire-door-3', 'flood-pump-room']);
  });

  it('marks a source offline while its line cannot be opened and online once it can', async () => {
    const squatter = await port.output(DOOR_LINE, { initial: 0 });
    await driver.start();
    expect(statuses.find((s) => s.source === 'fire-door-3')).toMatchObject({ online: false, lastError: { kind: 'connection', message: expect.stringMatching(/line 17 \(contact\).*already in use/) } });
    expect(stats.counter('gpio.read_error', { source: 'fire-door-3', point: 'contact' })).toBe(1);
    expect(latest('flood-pump-room')).toMatchObject({ value: 'dry' });

    await squatter.close();
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(statuses.filter((s) => s.source === 'fire-door-3').at(-1)).toMatchObject({ online: true });
    expect(latest('fire-door-3')).toMatchObject({ value: 'closed' });
  });

  it('releases every line on stop and emits nothing afterwards', async () => {
    await driver.start();
    await driver.stop();
    expect(port.openLines().inputs).toEqual([]);
    const before = readings.length;
    port.setInput(DOOR_LINE, 1);
    await vi.advanceTimersByTimeAsync(POLL_MS * 2);
    expect(readings.length).toBe(before);
  });
});

describe('gpio source check', () => {
  it('names the source and line when a profile line is not mapped', () => {
    const text = siteText.replace(`gpio: { lines: { contact: ${DOOR_LINE} } }`, 'gpio: { lines: {} }');
    // gateway/drivers/gpio/plugin.ts checks this at load; init() does not check it again.
    expect(() => parseSiteConfig(siteFile, text)).toThrow(/sources\[\d+\]\.gpio: profile generic\/gpio-door-contact needs GPIO line "contact" mapped under gpio.lines/);
  });
});
