// The decode stage: readings become measurements with time and tags; fault sentinels become fault
// events and never measurements; decode errors are counted, not guessed.
import { describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { rawToWords, valueToRaw } from '../../../gateway/devices/encode.js';
import { Decoder } from '../../../gateway/pipeline/decoder.js';
import { EventBus } from '../../../gateway/pipeline/event-bus.js';
import type { GatewayEvents } from '../../../gateway/pipeline/events.js';
import type { Clock, Measurement, PointFault } from '../../../gateway/pipeline/types.js';
import { resolveSources } from '../../../gateway/runtime.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';

const site = parseSiteConfig(
  'decoder.yaml',
  `version: 1
gateway: { township: t1, compound: c1, id: gw-1 }
buses: [{ id: bus-a, type: tcp, host: 127.0.0.1 }]
sources:
  - { id: rcm-1, profile: acrel/aim-r100, bus: bus-a, unit: 1, tags: { building: "3", floor: "1" } }
  - { id: lvl-1, profile: generic/qdy30a, bus: bus-a, unit: 2, tags: { building: "2", room: garage } }
`,
);

function setup(clock: Clock) {
  const events = new EventBus<GatewayEvents>((_e, error) => {
    throw error;
  });
  const stats = new Stats();
  const sources = resolveSources(site);
  const decoder = new Decoder({ events, clock, log: silentLogger(), stats }, sources);
  decoder.start();
  const measurements: Measurement[] = [];
  const faults: PointFault[] = [];
  events.on('measurement', (m) => measurements.push(m));
  events.on('fault', (f) => faults.push(f));
  const point = (source: string, id: string) => sources.find((s) => s.config.id === source)!.resolved.points.find((p) => p.id === id)!;
  return { events, stats, measurements, faults, point };
}

const clock: Clock = { now: () => 1_764_000_000_000, mono: () => 5000, synced: () => true };

describe('Decoder', () => {
  it('turns a fault sentinel into a fault event, never a measurement', () => {
    const { events, measurements, faults } = setup(clock);
    events.emit('reading', { source: 'rcm-1', mono: 4000, values: new Map([['soe1_value', { kind: 'registers' as const, words: [0xe5e5] }]]) });
    expect(measurements).toHaveLength(0);
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({ source: 'rcm-1', point: 'soe1_value', code: 'sensor_short', raw: 0xe5e5, class: 'residual_current' });
    expect(faults[0]!.text.zh.length).toBeGreaterThan(0);
  });

  it('stamps wall time from the reading\'s monotonic time and carries the location tags', () => {
    const { events, measurements, point } = setup(clock);
    const current = point('rcm-1', 'loop1_current');
    events.emit('reading', { source: 'rcm-1', mono: 4000, values: new Map([['loop1_current', { kind: 'registers' as const, words: rawToWords(current, valueToRaw(current, 320)) }]]) });
    expect(measurements).toEqual([
      expect.objectContaining({ point: 'loop1_current', value: 320, unit: 'mA', ts: 1_764_000_000_000 - 1000, mono: 4000, timeSynced: true, quality: 'good' }),
    ]);
    expect(measurements[0]!.tags).toEqual({ township: 't1', compound: 'c1', gateway: 'gw-1', source: 'rcm-1', building: '3', floor: '1' });
  });

  it('uses internal points for decimals and unit, without sending them', () => {
    const { events, measurements } = setup(clock);
    events.emit('reading', {
      source: 'lvl-1',
      mono: 5000,
      values: new Map([
        ['unit_code', { kind: 'registers' as const, words: [17] }],
        ['decimals', { kind: 'registers' as const, words: [1] }],
        ['level', { kind: 'registers' as const, words: [0xfff6] }],
      ]),
    });
    expect(measurements.map((m) => [m.point, m.value, m.unit])).toEqual([['level', -1, 'cm']]);
  });

  it('counts a point it cannot decode and sends nothing made up', () => {
    const { events, measurements, stats } = setup(clock);
    events.emit('reading', { source: 'lvl-1', mono: 5000, values: new Map([['level', { kind: 'registers' as const, words: [12] }]]) });
    expect(measurements).toHaveLength(0);
    expect(stats.counter('decode.error', { source: 'lvl-1' })).toBe(1);
  });

  it('drops and counts readings from sources that are not configured', () => {
    const { events, measurements, stats } = setup(clock);
    events.emit('reading', { source: 'ghost', mono: 1, values: new Map([['x', { kind: 'registers' as const, words: [1] }]]) });
    expect(measurements).toHaveLength(0);
    expect(stats.counter('decode.unknown_source', { source: 'ghost' })).toBe(1);
  });
});
