// What zod cannot see in a device profile, refused at load with the profile's file:line and path
// (profileIssues), and how ProfileIndex.load reads folders: nested vendor folders, .cases.yaml left
// out, the first folder winning for an id, a profile with a problem kept out, every problem of every
// file reported together in file and line order.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, YamlSource } from '../../../contract/load-yaml.js';
import { profile as profileSchema } from '../../../config/profile.js';
import { listProfileFiles, ProfileIndex, profileIssues } from '../../../gateway/devices/profile-index.js';
import { tempDir } from '../../helpers/peers.js';

const HEAD = `vendor: Test
model: Meter
name: { zh: 电表, en: Meter }
class: power
driver: modbus
references: [https://example.com/manual]
heartbeat: { every: 1m }
defaults: { function: 3 }
`;

/** Issues as `line path: message`; `expectedId` null checks a profile without a file path. */
function issuesOf(yaml: string, expectedId: string | null = 'test/meter'): string[] {
  const source = new YamlSource('devices/test/meter.yaml', yaml);
  return profileIssues(source, profileSchema.parse(source.value()), expectedId ?? undefined).map((i) => `${i.line} ${i.path.join('.')}: ${i.message}`);
}

const VOLTAGE = '  - { id: voltage, address: 0, type: u16, scale: 0.1, unit: V, range: { min: 0, max: 300 } }\n';

describe('profile checks', () => {
  it('accepts a clean profile, a rule without a point (the whole source going stale) included', () => {
    expect(issuesOf(`id: test/meter\n${HEAD}points:\n${VOLTAGE}alarms:\n  - { id: silent, kind: stale, after: 10m, level: warning, text: { zh: 无数据, en: Silent } }\n`)).toEqual([]);
  });

  it('wants the id to be the file path', () => {
    expect(issuesOf(`id: test/other\n${HEAD}points:\n${VOLTAGE}`)).toEqual(['1 id: id "test/other" must match the file path "test/meter"']);
    // Without a path (a profile checked on its own) any id will do.
    expect(issuesOf(`id: test/other\n${HEAD}points:\n${VOLTAGE}`, null)).toEqual([]);
  });

  it('names a decimals or unit point that is not there, and a duplicate point id', () => {
    expect(
      issuesOf(`id: test/meter\n${HEAD}points:
${VOLTAGE}  - { id: level, address: 1, type: u16, decimalsFrom: places, range: { min: 0, max: 10 } }
  - { id: depth, address: 2, type: u16, unitFrom: { point: code, map: { "1": m } }, range: { min: 0, max: 10, unit: m } }
  - { id: voltage, address: 3, type: u16, unit: V, range: { min: 0, max: 300 } }
`),
    ).toEqual([
      '14 points.3.id: duplicate point id "voltage"',
      '12 points.1.decimalsFrom: no point "places" in this profile',
      '13 points.2.unitFrom: no point "code" in this profile',
    ]);
  });

  it('wants bits on a bitfield, within one register', () => {
    expect(
      issuesOf(`id: test/meter\n${HEAD}points:
  - { id: mode, address: 0, type: bitfield, range: { min: 0, max: 3 } }
  - { id: wide, address: 1, type: bitfield, bits: { offset: 8, width: 9 }, range: { min: 0, max: 3 } }
  - { id: fits, address: 2, type: bitfield, bits: { offset: 8, width: 8 }, range: { min: 0, max: 3 } }
`),
    ).toEqual(['11 points.0: type bitfield needs "bits: {offset, width}"', '12 points.1.bits: bits must fit in one 16-bit register']);
    // The default type can make a point a bitfield too.
    expect(issuesOf(`id: test/meter\n${HEAD.replace('defaults: { function: 3 }', 'defaults: { function: 3, type: bitfield }')}points:\n  - { id: mode, address: 0, range: { min: 0, max: 3 } }\n`)).toEqual([
      '11 points.0: type bitfield needs "bits: {offset, width}"',
    ]);
  });

  it('names a variant that changes a point the profile does not have', () => {
    expect(
      issuesOf(`id: test/meter\n${HEAD}variants:
  old:
    description: older firmware
    points: { voltage: { scale: 1 }, current: { scale: 0.01 } }
points:\n${VOLTAGE}`),
    ).toEqual(['13 variants.old.points.current: variant changes unknown point "current"']);
  });

  it('names a duplicate rule id and a rule on a point the profile does not have', () => {
    expect(
      issuesOf(`id: test/meter\n${HEAD}points:\n${VOLTAGE}alarms:
  - { id: high, kind: threshold, point: voltage, above: 250, level: warning, text: { zh: 过压, en: Over voltage } }
  - { id: high, kind: threshold, point: voltage, above: 260, level: alarm, text: { zh: 过压, en: Over voltage } }
  - { id: low, kind: threshold, point: current, below: 1, level: warning, text: { zh: 欠流, en: Low current } }
`),
    ).toEqual(['14 alarms.1.id: duplicate rule id "high"', '15 alarms.2.point: no point "current" in this profile']);
  });

  it('wants a range in a unit the values convert to, in every variant, each problem said once', () => {
    expect(
      issuesOf(`id: test/meter\n${HEAD}variants:
  kpa:
    description: reports kPa
    points: { level: { unit: kPa } }
points:
  - { id: level, address: 0, type: u16, unit: cm, range: { min: 0, max: 500, unit: V } }
  - { id: coded, address: 1, type: u16, unitFrom: { point: code, map: { "1": m, "2": cm } }, range: { min: 0, max: 5 } }
  - { id: code, address: 2, type: u16, internal: true, range: { min: 1, max: 2 } }
  - { id: plain, address: 3, type: u16, unit: cm, range: { min: 0, max: 500 } }
  - { id: counted, address: 4, type: u16, range: { min: 0, max: 500, unit: cm } }
`),
    ).toEqual([
      '15 points.0.range: the range is in V, which cm does not convert to',
      '16 points.1.range: a point whose unit comes from a unit-code register needs "unit" on its range',
      '15 points.0.range: the range is in V, which kPa does not convert to (variant kpa)',
      '16 points.1.range: a point whose unit comes from a unit-code register needs "unit" on its range (variant kpa)',
    ]);
    // A unit-code point whose every unit converts to the range's unit is fine; one that does not is named,
    // once, though two codes map to it.
    expect(
      issuesOf(`id: test/meter\n${HEAD}points:
  - { id: coded, address: 0, type: u16, unitFrom: { point: code, map: { "1": m, "2": V, "3": V } }, range: { min: 0, max: 5, unit: cm } }
  - { id: code, address: 1, type: u16, internal: true, range: { min: 1, max: 2 } }
`),
    ).toEqual(['11 points.0.range: the range is in cm, which V does not convert to']);
  });

  it('wants a rule\'s unit to be one its point\'s values convert to, in every variant', () => {
    const issues = issuesOf(`id: test/meter\n${HEAD}variants:
  kpa:
    description: reports kPa
    points: { level: { unit: kPa } }
points:
  - { id: level, address: 0, type: u16, unit: cm, range: { min: 0, max: 500 } }
alarms:
  - { id: high, kind: threshold, point: level, unit: V, above: 10, level: warning, text: { zh: 高, en: High } }
`);
    expect(issues).toEqual([
      '17 alarms.0.unit: point "level" can report cm, which does not convert to the rule\'s V',
      '17 alarms.0.unit: point "level" can report kPa, which does not convert to the rule\'s V (variant kpa)',
    ]);
  });
});

const dirs: { remove: () => void }[] = [];
afterAll(() => dirs.forEach((dir) => dir.remove()));

function folder(prefix: string): { path: string } {
  const dir = tempDir(prefix);
  dirs.push(dir);
  return dir;
}

function writeProfile(dir: { path: string }, path: string, yaml: string): void {
  mkdirSync(join(dir.path, path, '..'), { recursive: true });
  writeFileSync(join(dir.path, path), yaml);
}

describe('ProfileIndex.load', () => {
  it('reads nested folders in name order, leaves out cases files, and the first folder wins an id', () => {
    const site = folder('profiles-site');
    const builtIn = folder('profiles-builtin');
    writeProfile(site, 'test/meter.yaml', `id: test/meter\n${HEAD.replace('model: Meter', 'model: Site copy')}points:\n${VOLTAGE}`);
    writeProfile(builtIn, 'test/meter.yaml', `id: test/meter\n${HEAD}points:\n${VOLTAGE}`);
    writeProfile(builtIn, 'test/meter.cases.yaml', 'not a profile: [');
    writeProfile(builtIn, 'b/zz.yaml', `id: b/zz\n${HEAD}points:\n${VOLTAGE}`);
    writeProfile(builtIn, 'a/aa.yaml', `id: a/aa\n${HEAD}points:\n${VOLTAGE}`);
    writeProfile(builtIn, 'a/notes.txt', 'not yaml');
    expect(listProfileFiles(builtIn.path).map((f) => f.slice(builtIn.path.length + 1))).toEqual(['a/aa.yaml', 'b/zz.yaml', 'test/meter.yaml']);
    const index = ProfileIndex.load([site.path, builtIn.path]);
    expect(index.ids()).toEqual(['a/aa', 'b/zz', 'test/meter']);
    expect(index.get('test/meter')!.model).toBe('Site copy');
    expect(index.get('test/none')).toBeUndefined();
  });

  it('reports every problem of every file together, in file order', () => {
    const dir = folder('profiles-bad');
    writeProfile(dir, 'test/meter.yaml', `id: test/wrong\n${HEAD}points:\n${VOLTAGE}`);
    writeProfile(dir, 'test/second.yaml', `id: test/second\n${HEAD}points:\n${VOLTAGE}  - { id: voltage, address: 1, type: u16, range: { min: 0, max: 1 } }\n`);
    writeProfile(dir, 'test/good.yaml', `id: test/good\n${HEAD}points:\n${VOLTAGE}`);
    let error: unknown;
    try {
      ProfileIndex.load([dir.path]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    expect(text).toContain('id "test/wrong" must match the file path "test/meter"');
    expect(text).toContain('duplicate point id "voltage"');
    expect(text.indexOf('meter.yaml')).toBeLessThan(text.indexOf('second.yaml'));
  });
});
