// A state-table key the point's raw values can never take is refused with the key and the profile's
// file:line (issue 20), and every shipped profile passes the check.
import { describe, expect, it } from 'vitest';
import { YamlSource } from '../../../contract/load-yaml.js';
import { profile as profileSchema } from '../../../config/profile.js';
import { ProfileIndex, profileIssues } from '../../../gateway/devices/profile-index.js';
import { stateKeyProblems as stateKeyProblemsOf } from '../../../gateway/devices/state-keys.js';

function issuesOf(yaml: string): string[] {
  const source = new YamlSource('devices/test/door.yaml', yaml);
  return profileIssues(source, profileSchema.parse(source.value()), undefined).map((i) => `${i.line} ${i.path.join('.')}: ${i.message}`);
}

const HEAD = `id: test/door
vendor: Test
model: Door
name: { zh: 门, en: Door }
class: door
references: [https://example.com/manual]
heartbeat: { every: 1m }
`;

describe('state keys that can never match', () => {
  it('refuses true/false keys on a Modbus bit, a key past a bitfield width, a word on a u16, and a float32 table', () => {
    const issues = issuesOf(`${HEAD}driver: modbus
defaults: { function: 3 }
points:
  - { id: contact, function: 1, type: bit, address: 0, states: { "false": closed, "true": open } }
  - { id: mode, address: 1, type: bitfield, bits: { offset: 0, width: 2 }, states: { "0": a, "3": b, "4": c } }
  - { id: status, address: 2, type: u16, states: { "1": ok, "on": on } }
  - { id: level, address: 3, type: float32, states: { "1": x } }
`);
    expect(issues).toEqual([
      '11 points.0.states: state key "false" can never match: the raw value is a whole number 0–1',
      '11 points.0.states: state key "true" can never match: the raw value is a whole number 0–1',
      '12 points.1.states: state key "4" can never match: the raw value is a whole number 0–3',
      '13 points.2.states: state key "on" can never match: the raw value is a whole number 0–65535',
      '14 points.3.states: a state table needs an integer type; float32 values are not codes',
    ]);
  });

  it('accepts any key where values are numbers, booleans or strings (OPC UA, JSON payloads)', () => {
    expect(issuesOf(`${HEAD}driver: opcua
points:
  - { id: contact, states: { "false": closed, "true": open } }
`)).toEqual([]);
  });

  it('every shipped profile passes', () => {
    expect(() => ProfileIndex.load()).not.toThrow();
  });

  it('judges keys as whole numbers: a sign, digits and nothing around them', () => {
    const issues = issuesOf(`${HEAD}driver: modbus
defaults: { function: 3 }
points:
  - { id: status, address: 0, type: i16, states: { "-1": fault, "10": ok, "a1": x, "1a": y, " 2": z } }
`);
    expect(issues).toEqual([
      '11 points.0.states: state key "a1" can never match: the raw value is a whole number -32768–32767',
      '11 points.0.states: state key "1a" can never match: the raw value is a whole number -32768–32767',
      '11 points.0.states: state key " 2" can never match: the raw value is a whole number -32768–32767',
    ]);
  });

  it('a GPIO line is 0 or 1; a JSON-carried value may be anything, whatever the driver', () => {
    expect(issuesOf(`${HEAD}driver: gpio
points:
  - { id: contact, line: contact, states: { "0": closed, "1": open, "2": ajar } }
`)).toEqual(['10 points.0.states: state key "2" can never match: the raw value is a whole number 0–1']);
    expect(issuesOf(`${HEAD}driver: modbus
defaults: { function: 3 }
points:
  - { id: mode, address: 0, type: u16, states: { "-1": y, "0": z, "65535": w, "70000": x } }
`)).toEqual([
      // Integer-like keys come first in a JavaScript object, "-1" is not one.
      '11 points.0.states: state key "70000" can never match: the raw value is a whole number 0–65535',
      '11 points.0.states: state key "-1" can never match: the raw value is a whole number 0–65535',
    ]);
    // The same table on a point read from a JSON payload is not judged (the value may be a string).
    expect(stateKeyProblemsOf({ driver: 'modbus', defaults: {} }, { states: { on: 'on', '70000': 'x' }, type: 'u16', bits: undefined, json: 'state' })).toEqual([]);
  });
});
