// Every profile under devices/ has golden cases, and every case decodes as expected.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWithSchema } from '../../contract/load-yaml.js';
import { decodeAll } from '../../gateway/devices/decode.js';
import { BUILTIN_PROFILES_DIR, listProfileFiles, ProfileIndex } from '../../gateway/devices/profile-index.js';
import { RegisterImage } from '../../gateway/devices/register-image.js';
import { resolveProfile, type ResolvedProfile } from '../../gateway/devices/resolve.js';
import type { RawValue } from '../../gateway/pipeline/types.js';
import { planItems, valuesFromReplies } from '../../gateway/drivers/dlt645/plan.js';
import { framesIn } from '../../gateway/drivers/dlt645/receiver.js';
import { convert } from '../../gateway/shared/measure-units.js';
import { goldenCaseFile, type GoldenCase } from '../helpers/golden-cases.js';

const index = ProfileIndex.load();

function rawValues(resolved: ResolvedProfile, testCase: GoldenCase): Map<string, RawValue> {
  const image = new RegisterImage();
  for (const [fn, blocks] of Object.entries(testCase.registers ?? {})) {
    for (const [address, words] of Object.entries(blocks)) image.setWords(Number(fn) as 3 | 4, Number(address), words);
  }
  for (const [fn, blocks] of Object.entries(testCase.bits ?? {})) {
    for (const [address, bits] of Object.entries(blocks)) image.setBits(Number(fn) as 1 | 2, Number(address), bits);
  }
  const values = image.valuesFor(resolved.points);
  if (testCase.frames !== undefined) {
    const { frames, bad } = framesIn(Buffer.from(testCase.frames.join('').replace(/ /g, ''), 'hex'));
    if (bad.length > 0) throw new Error(`case "${testCase.name}": bad frame at byte ${bad[0]!.offset}: ${bad[0]!.detail}`);
    for (const [id, raw] of valuesFromReplies(planItems(resolved.profile, resolved.points), frames)) values.set(id, raw);
  }
  for (const point of resolved.points) {
    if (testCase.payload !== undefined && point.json !== undefined) values.set(point.id, { kind: 'json', value: testCase.payload });
    const level = point.line === undefined ? undefined : testCase.lines?.[point.line];
    if (level !== undefined) values.set(point.id, { kind: 'bits', bits: [level === 1] });
  }
  return values;
}

describe('device profiles', () => {
  const files = listProfileFiles(BUILTIN_PROFILES_DIR);

  it('has at least 8 real profiles, each loaded and valid', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    expect(index.ids()).toHaveLength(files.length);
  });

  for (const file of files) {
    const id = relative(BUILTIN_PROFILES_DIR, file).replace(/\.yaml$/, '');
    const casesFile = file.replace(/\.yaml$/, '.cases.yaml');

    describe(id, () => {
      it('has golden cases', () => {
        expect(existsSync(casesFile), `${casesFile} is missing`).toBe(true);
      });
      if (!existsSync(casesFile)) return;
      const parsed = parseWithSchema(casesFile, readFileSync(casesFile, 'utf8'), goldenCaseFile);
      if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.file}:${i.line} ${i.path.join('.')}: ${i.message}`).join('\n'));
      const profile = index.get(id)!;
      it('cases name their profile', () => expect(parsed.value.profile).toBe(id));

      // Modbus registers and MQTT JSON numbers; the DL/T 645 and GB/T 26875 profiles decode through their own codecs.
      if (profile.driver === 'modbus' || profile.driver === 'mqtt') {
        it('every numeric point has its documented range, or says the reference gives none', () => {
          const missing = profile.points
            .filter((p) => p.states === undefined && !['bit', 'bitfield'].includes(p.type ?? profile.defaults.type ?? 'u16'))
            .filter((p) => (p.range ?? profile.defaults.range) === undefined)
            .map((p) => p.id);
          expect(missing).toEqual([]);
        });
      }

      for (const testCase of parsed.value.cases) {
        it(`golden: ${testCase.name}`, () => {
          const resolved = resolveProfile(profile, testCase.variant, testCase.decode);
          const results = decodeAll(resolved.points, rawValues(resolved, testCase));
          for (const [pointId, want] of Object.entries(testCase.expect)) {
            expect(resolved.points.some((p) => p.id === pointId), `case names unknown point ${pointId}`).toBe(true);
            const got = results.get(pointId);
            if ('absent' in want) expect(got).toBeUndefined();
            else if ('fault' in want) expect(got).toMatchObject({ kind: 'fault', code: want.fault });
            else if ('error' in want) {
              expect(got?.kind).toBe('error');
              expect(got?.kind === 'error' ? got.message : '').toContain(want.error);
            } else {
              expect(got, `no result for ${pointId}`).toMatchObject({ kind: 'value', value: want.value });
              if (want.unit !== undefined) expect(got).toMatchObject({ unit: want.unit });
              if (want.as !== undefined && got?.kind === 'value') {
                expect(convert(got.value as number, got.unit ?? '', want.as.unit), `${pointId} in ${want.as.unit}`).toBe(want.as.value);
              }
            }
          }
        });
      }
    });
  }
});
