// resolveProfile layers a point's decode fields: profile defaults ← variant defaults ← the point ← the
// variant's point ← the site's decode defaults ← the site's point, and fills what none gives.
import { describe, expect, it } from 'vitest';
import { YamlSource } from '../../../contract/load-yaml.js';
import { profile as profileSchema, type Profile } from '../../../config/profile.js';
import { resolveProfile, wireWidth } from '../../../gateway/devices/resolve.js';

function profileOf(yaml: string): Profile {
  return profileSchema.parse(new YamlSource('devices/test/meter.yaml', yaml).value());
}

const METER = profileOf(`id: test/meter
vendor: Test
model: Meter
name: { zh: 电表, en: Meter }
class: power
driver: modbus
references: [https://example.com/manual]
heartbeat: { every: 1m }
defaults: { function: 4, scale: 0.1 }
variants:
  v2:
    description: newer firmware
    defaults: { wordOrder: little }
    points:
      energy: { address: 0x20, scale: 0.01 }
      door: { activeLow: true, states: { "0": shut, "1": open } }
points:
  - { id: voltage, address: 0, unit: V, range: { min: 0, max: 300 } }
  - { id: energy, address: 0x10, type: u32, unit: kWh, range: { min: 0 } }
  - { id: door, function: 2, type: bit, address: 3, class: door, range: { undocumented: a contact } }
  - { id: ratio, address: 4, type: float32, byteOrder: little, range: { min: 0, max: 1 } }
`);

describe('resolveProfile', () => {
  it('fills what no layer gives: big-endian words and bytes, scale and offset from the defaults, not active low', () => {
    const [voltage, energy, door, ratio] = resolveProfile(METER).points;
    expect(voltage).toMatchObject({ function: 4, type: 'u16', byteOrder: 'big', wordOrder: 'big', scale: 0.1, offset: 0, width: 1, activeLow: false, class: 'power' });
    expect(energy).toMatchObject({ address: 0x10, type: 'u32', wordOrder: 'big', scale: 0.1, width: 2 });
    expect(door).toMatchObject({ function: 2, type: 'bit', width: 1, activeLow: false, class: 'door', states: undefined, range: undefined });
    expect(ratio).toMatchObject({ type: 'float32', byteOrder: 'little', wordOrder: 'big', width: 2 });
  });

  it('lets a variant change defaults and points, and the site change both again', () => {
    const [voltage, energy, door] = resolveProfile(METER, 'v2').points;
    expect(voltage!.wordOrder).toBe('little');
    expect(energy).toMatchObject({ address: 0x20, scale: 0.01, wordOrder: 'little' });
    expect(door).toMatchObject({ activeLow: true, states: { '0': 'shut', '1': 'open' } });
    const site = resolveProfile(METER, 'v2', { defaults: { scale: 1 }, points: { energy: { scale: 0.001, byteOrder: 'little' } } }).points;
    expect(site[0]!.scale).toBe(1);
    expect(site[1]).toMatchObject({ scale: 0.001, byteOrder: 'little', offset: 0, address: 0x20 });
  });

  it('refuses a variant the profile does not have, naming the ones it has', () => {
    expect(() => resolveProfile(METER, 'v3')).toThrow('profile test/meter has no variant "v3" (it has: v2)');
    const plain = { ...METER, variants: {} };
    expect(() => resolveProfile(plain, 'v2')).toThrow('profile test/meter has no variant "v2" (it has: none)');
  });
});

describe('wireWidth', () => {
  it('is one bit for coils and inputs, two registers for 32-bit types, one register otherwise', () => {
    for (const type of ['u16', 'i16', 'u32', 'i32', 'float32', 'bit', 'bitfield'] as const) {
      expect(wireWidth(type, 1)).toBe(1);
      expect(wireWidth(type, 2)).toBe(1);
      for (const fn of [3, 4] as const) expect(wireWidth(type, fn), `${type} fn ${fn}`).toBe(type === 'u32' || type === 'i32' || type === 'float32' ? 2 : 1);
    }
  });
});
