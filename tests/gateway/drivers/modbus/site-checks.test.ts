// The Modbus driver's site checks (plugin.ts checkSource), with the site file's line: a source needs a unit
// id, one unit id per bus, and a bus that speaks Modbus.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../contract/load-yaml.js';
import { parseSiteConfig } from '../../../../config/load-site.js';

function problems(sources: string): string {
  try {
    parseSiteConfig(
      'site.yaml',
      `version: 1
gateway: { township: t1, compound: c1, id: gw-1 }
buses:
  - { id: bus-a, type: tcp, host: 127.0.0.1 }
  - { id: bus-b, type: tcp, host: 127.0.0.2 }
sources:
${sources}`,
    );
    return 'ok';
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}

describe('Modbus source checks', () => {
  it('passes sources with their own unit ids, the same id on another bus included', () => {
    expect(problems(`  - { id: m1, profile: eastron/sdm120, bus: bus-a, unit: 1, tags: { building: "1" } }
  - { id: m2, profile: eastron/sdm120, bus: bus-a, unit: 2, tags: { building: "1" } }
  - { id: m3, profile: eastron/sdm120, bus: bus-b, unit: 1, tags: { building: "1" } }
`)).toBe('ok');
  });

  it('wants a unit id, named at its source\'s line', () => {
    expect(problems(`  - { id: m1, profile: eastron/sdm120, bus: bus-a, unit: 1, tags: { building: "1" } }
  - { id: m2, profile: eastron/sdm120, bus: bus-a, tags: { building: "1" } }
`)).toMatch(/site\.yaml:8:\d+ sources\[1\]: a modbus source needs "unit"/);
  });

  it('refuses a unit id already used on the bus, naming the source that has it', () => {
    expect(problems(`  - { id: m1, profile: eastron/sdm120, bus: bus-a, unit: 1, tags: { building: "1" } }
  - { id: m2, profile: eastron/sdm120, bus: bus-a, unit: 1, tags: { building: "1" } }
`)).toMatch(/site\.yaml:8:\d+ sources\[1\]\.unit: unit 1 on bus "bus-a" is already used by source "m1"/);
  });

  it('names an unknown bus once, without asking for the unit of a source it cannot place', () => {
    const text = problems(`  - { id: m1, profile: eastron/sdm120, bus: bus-z, tags: { building: "1" } }
`);
    expect(text).toMatch(/site\.yaml:7:\d+ sources\[0\]\.bus: unknown bus "bus-z"; defined: bus-a, bus-b/);
    expect(text).not.toContain('needs "unit"');
  });
});
