// probe and doctor against a pymodbus TCP slave, for every decode kind a profile uses: decimalsFrom and
// unitFrom (QDY30A), bit fields and sentinels (AIM-R100), ranges, and a word order the profile does not
// expect. probe's suggestion is checked as YAML against the real source schema; doctor must fail what
// probe calls implausible (an SDM120 read ABCD while it sends CDAB: voltage -4.17e-8 V, issue 14).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { source as sourceSchema } from '../../../config/sections/sources.js';
import { probeCommand } from '../../../gateway/cli/probe.js';
import { runDoctor } from '../../../gateway/installer/doctor.js';
import { float32Words, startPymodbusTcp } from '../../helpers/pymodbus.js';
import { tempDir, type Peer } from '../../helpers/peers.js';

const dir = tempDir('probe-doctor');
let slave: Peer;

function cdab(value: number): [number, number] {
  const [hi, lo] = float32Words(value);
  return [lo, hi];
}

function capture() {
  let out = '';
  let err = '';
  return { io: { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } }, out: () => out, err: () => err };
}

async function probe(unit: number, fn: 3 | 4, address: number, count: number, profile: string, extra: string[] = []) {
  const c = capture();
  const code = await probeCommand(['--host', '127.0.0.1', '--tcp-port', String(slave.port), '--unit', String(unit), '--fc', String(fn), '--address', String(address), '--count', String(count), '--profile', profile, ...extra], c.io);
  expect(code, c.err()).toBe(0);
  return c.out();
}

beforeAll(async () => {
  slave = await startPymodbusTcp({
    1: { ir: [[0, float32Words(230.7)]] }, // SDM120, ABCD as the profile says
    2: { ir: [[0, cdab(230.7)]] }, // SDM120 sending CDAB
    4: { hr: [[2, [17, 1, 123]]] }, // QDY30A: cm, 1 decimal, 12.3 cm
    5: { hr: [[2, [7, 2, 137]]] }, // QDY30A with unit code 7 (not in its table)
    6: { hr: [[8, [6]], [0x000b, [0x1080]], [0x004a, [0xe5e5, 5001, 120]]] }, // AIM-R100: loop 1 broken line, sentinel, out of range
  });
}, 30_000);

afterAll(async () => {
  await slave?.stop();
  dir.remove();
});

describe('lastmile probe decodes every decode kind', () => {
  it('suggests the exact YAML for a CDAB meter, and that YAML is a valid source decode block', async () => {
    const out = await probe(2, 4, 0, 2, 'eastron/sdm120');
    expect(out).toContain('voltage (电压 Voltage) @ 0x0000 float32 ABCD → -4.174e-8 V ✗ implausible');
    const line = out.split('\n').find((l) => l.trim().startsWith('decode:'));
    expect(line?.trim()).toBe('decode: { defaults: { wordOrder: little } }');
    const parsed = parseYaml(line!) as { decode: unknown };
    const site = sourceSchema.safeParse({ id: 'meter-2', profile: 'eastron/sdm120', bus: 'b1', unit: 2, tags: { building: '1' }, decode: parsed.decode });
    expect(site.success, JSON.stringify(site.error?.issues)).toBe(true);
    expect(site.data?.decode?.defaults).toEqual({ wordOrder: 'little' });
    expect(out).not.toMatch(/wordOrder\/byteOrder\/address|地址\/字序/);
  }, 20_000);

  it('says nothing to change for a meter that matches the profile', async () => {
    const out = await probe(1, 4, 0, 2, 'eastron/sdm120');
    expect(out).toContain('voltage (电压 Voltage) @ 0x0000 float32 ABCD → 230.7 V ★ plausible');
    expect(out).toContain('matches the profile (point voltage)');
    expect(out).not.toContain('decode:');
  }, 20_000);

  it('reads the decimals and unit code of a QDY30A level and calls 12.3 cm plausible', async () => {
    const out = await probe(4, 3, 4, 1, 'generic/qdy30a');
    expect(out).toMatch(/level \(液位 Level\) @ 0x0004 i16 ABCD \(.*decimals.*unit_code\) → 12\.3 cm ★ plausible/);
  }, 20_000);

  it('shows unit code 7 as the fault unknown_unit, and the same register as mH₂O with the pressure-table variant', async () => {
    expect(await probe(5, 3, 4, 1, 'generic/qdy30a')).toContain('fault unknown_unit: unknown unit code 7');
    expect(await probe(5, 3, 4, 1, 'generic/qdy30a', ['--variant', 'pressure-table'])).toContain('→ 1.37 mH₂O ★ plausible');
  }, 20_000);

  it('decodes AIM-R100 bit fields, sentinels and ranges', async () => {
    const flags = await probe(6, 3, 0x000b, 1, 'acrel/aim-r100');
    expect(flags).toContain('meter_type (仪表类型 Meter type)');
    expect(flags).toContain('→ residual_current_monitor');
    expect(flags).toContain('loop1_fault');
    expect(flags).toContain('fault broken_line: Transformer broken line');
    const currents = await probe(6, 3, 0x004a, 3, 'acrel/aim-r100');
    expect(currents).toContain('loop1_current (回路1剩余电流 Loop 1 residual current) @ 0x004a u16 ABCD → fault sensor_short');
    expect(currents).toMatch(/loop2_current .* → fault out_of_range: reading 5001 mA outside the range 0…5000 mA/);
    expect(currents).toMatch(/loop3_current .* → 120 mA ★ plausible/);
  }, 20_000);
});

describe('lastmile doctor judges readings with probe\'s check', () => {
  function writeConfig(sources: string): string {
    const file = join(dir.path, `site-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      `version: 1
gateway: { township: t1, compound: c1, id: gw-doctor }
buses:
  - { id: sim, type: tcp, host: 127.0.0.1, port: ${slave.port}, timeout: 500ms }
sources:
${sources}
spool: { dir: ${join(dir.path, 'spool')}, maxBytes: 1MB }
`,
    );
    return file;
  }
  const sourceCheck = async (file: string, id: string) => {
    const results = await runDoctor(file, { ntpProbe: () => Promise.resolve('unavailable') });
    return results.find((r) => r.title.en.startsWith(`Source ${id} `))!;
  };

  it('fails voltage -4.17e-8 V (wrong word order) and passes it once the suggested decode is set', async () => {
    const wrong = await sourceCheck(writeConfig('  - { id: meter-2, profile: eastron/sdm120, bus: sim, unit: 2, tags: { building: "1" } }'), 'meter-2');
    expect(wrong.status).toBe('fail');
    expect(wrong.detail.en).toContain('voltage = -4.174e-8 V ✗ implausible');
    expect(wrong.detail.zh).toContain('不合理');
    const fixed = await sourceCheck(writeConfig('  - { id: meter-2, profile: eastron/sdm120, bus: sim, unit: 2, tags: { building: "1" }, decode: { defaults: { wordOrder: little } } }'), 'meter-2');
    expect(fixed.status).toBe('pass');
    expect(fixed.detail.en).toContain('voltage = 230.7 V ★ plausible');
  }, 20_000);

  it('passes a correctly wired QDY30A (decimals and unit read too) and fails an unknown unit code', async () => {
    const file = writeConfig(`  - { id: level-ok, profile: generic/qdy30a, bus: sim, unit: 4, tags: { building: "1" } }
  - { id: level-code7, profile: generic/qdy30a, bus: sim, unit: 5, tags: { building: "1" } }`);
    const results = await runDoctor(file, { ntpProbe: () => Promise.resolve('unavailable') });
    const byId = (id: string) => results.find((r) => r.title.en.startsWith(`Source ${id} `))!;
    expect(byId('level-ok')).toMatchObject({ status: 'pass' });
    expect(byId('level-ok').detail.en).toContain('level = 12.3 cm');
    expect(byId('level-code7')).toMatchObject({ status: 'fail' });
    expect(byId('level-code7').detail.en).toContain('fault unknown_unit: unknown unit code 7');
    // The same transmitter with the unit table it really speaks (one unit id per bus, so a config of its own).
    const mh2o = await sourceCheck(writeConfig('  - { id: level-mh2o, profile: generic/qdy30a, variant: pressure-table, bus: sim, unit: 5, tags: { building: "1" } }'), 'level-mh2o');
    expect(mh2o).toMatchObject({ status: 'pass' });
    expect(mh2o.detail.en).toContain('level = 1.37 mH₂O');
  }, 30_000);
});
