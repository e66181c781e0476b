// The Modbus driver's load-time point checks (gateway/drivers/modbus/plugin.ts checkPoint), each at its
// edge, with the profile's line (issue 18: these survived mutation untested): a wire address, a read
// function here or in defaults, a bit type for functions 1 and 2, a point that ends at register 0xFFFF
// but not one past it, and a point no wider than the device reads at once, for registers and for bits.
import { describe, expect, it } from 'vitest';
import { YamlSource } from '../../../../contract/load-yaml.js';
import { profile as profileSchema } from '../../../../config/profile.js';
import { profileIssues } from '../../../../gateway/devices/profile-index.js';

const HEAD = `id: test/meter
vendor: Test
model: Meter
name: { zh: 电表, en: Meter }
class: power
references: [https://example.com/manual]
heartbeat: { every: 1m }
driver: modbus
`;

function issuesOf(body: string): string[] {
  const source = new YamlSource('devices/test/meter.yaml', HEAD + body);
  return profileIssues(source, profileSchema.parse(source.value()), undefined).map((i) => `${i.line} ${i.path.join('.')}: ${i.message}`);
}

describe('Modbus point checks', () => {
  it('passes points that fit, up to the last register and the read limits exactly', () => {
    expect(
      issuesOf(`modbus: { maxRegistersPerRead: 2, maxBitsPerRead: 1 }
points:
  - { id: a, function: 3, type: u16, address: 65535 }
  - { id: b, function: 4, type: u32, address: 65534 }
  - { id: c, function: 1, type: bit, address: 65535 }
  - { id: d, function: 2, type: bit, address: 0 }
`),
    ).toEqual([]);
  });

  it('takes the function from defaults, and needs one somewhere', () => {
    expect(issuesOf(`defaults: { function: 3 }\npoints:\n  - { id: a, address: 1 }\n`)).toEqual([]);
    expect(issuesOf(`points:\n  - { id: a, address: 1 }\n`)).toEqual(['10 points.0: a Modbus point needs a "function" (1, 2, 3 or 4) here or in defaults']);
  });

  it('needs a wire address', () => {
    expect(issuesOf(`points:\n  - { id: a, function: 3 }\n`)).toEqual(['10 points.0: a Modbus point needs a wire "address"']);
  });

  it('reads single bits with functions 1 and 2 only as type bit, the default type included', () => {
    expect(
      issuesOf(`points:
  - { id: a, function: 1, type: u16, address: 0 }
  - { id: b, function: 2, address: 1 }
  - { id: c, function: 3, type: bit, address: 2 }
`),
    ).toEqual(['10 points.0.type: function 1 reads single bits; use type "bit"', '11 points.1.type: function 2 reads single bits; use type "bit"']);
  });

  it('refuses a point that runs past register 0xFFFF', () => {
    expect(
      issuesOf(`points:
  - { id: a, function: 3, type: float32, address: 65535 }
  - { id: b, function: 3, type: i32, address: 65534 }
`),
    ).toEqual(['10 points.0.address: point runs past register 0xFFFF']);
  });

  it('refuses a point wider than the device reads at once', () => {
    expect(
      issuesOf(`modbus: { maxRegistersPerRead: 1 }
points:
  - { id: a, function: 4, type: u32, address: 0 }
  - { id: b, function: 4, type: u16, address: 2 }
  - { id: c, function: 1, type: bit, address: 0 }
`),
    ).toEqual(['11 points.0.type: needs 2 registers but the device reads at most 1']);
  });
});
