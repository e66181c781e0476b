// A DL/T 645 profile is checked when it loads: every point names its DI and format, and its scale is the
// format's decimals, so a profile cannot silently disagree with the standard's notation.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProfileIndex } from '../../../../gateway/devices/profile-index.js';
import { tempDir } from '../../../helpers/peers.js';

const dir = tempDir('dlt645-profiles');
afterAll(() => dir.remove());

function load(points: string): string {
  const vendorDir = join(dir.path, 'test');
  mkdirSync(vendorDir, { recursive: true });
  writeFileSync(
    join(vendorDir, 'meter.yaml'),
    `id: test/meter\nvendor: Test\nmodel: M\nname: { zh: 表, en: Meter }\nclass: power\ndriver: dlt645\nreferences: [https://github.com/WKJay/DLT645]\nheartbeat: { every: 5m }\npoints:\n${points}`,
  );
  try {
    ProfileIndex.load([dir.path]);
    return 'loaded';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('DL/T 645 profile checks', () => {
  it('accepts a point whose scale matches its format', () => {
    expect(load('  - { id: voltage, dlt645: { di: "02010100", format: XXX.X }, scale: 0.1, unit: V, range: { min: 0, max: 400 } }\n')).toBe('loaded');
  });
  it('rejects a scale that disagrees with the format, naming the file and the point', () => {
    const message = load('  - { id: voltage, dlt645: { di: "02010100", format: XXX.X }, scale: 0.01, unit: V, range: { min: 0, max: 400 } }\n');
    expect(message).toContain('meter.yaml');
    expect(message).toContain('format XXX.X has 1 decimal(s), so scale must be 0.1 (got 0.01)');
  });
  it('rejects a point without its DI, and a DI written as a 1997 two-byte code', () => {
    expect(load('  - { id: voltage, scale: 0.1, unit: V, range: { min: 0, max: 400 } }\n')).toContain('a DL/T 645 point needs "dlt645: { di, format }"');
    expect(load('  - { id: energy, dlt645: { di: "9010", format: XXXXXX.XX }, scale: 0.01, unit: kWh, range: { min: 0 } }\n')).toContain('expected 8 lowercase hex digits');
  });
  it('names the point and its line for each check of the DI item\'s shape', () => {
    // Line 10 is the first point of the profile written by load().
    expect(load('  - { id: voltage, scale: 0.1, unit: V, range: { min: 0, max: 400 } }\n')).toMatch(/meter\.yaml:10:\d+ points\[0\]: a DL\/T 645 point needs/);
    expect(load('  - { id: voltage, dlt645: { di: "02010100", format: XXX.X }, scale: 0.01, unit: V, range: { min: 0, max: 400 } }\n')).toMatch(/meter\.yaml:10:\d+ points\[0\]\.scale: format XXX\.X/);
    const binary = load('  - { id: status, dlt645: { di: "04000501", format: XXX.X, binary: true, signed: true }, scale: 1, range: { undocumented: a status word } }\n');
    expect(binary).toMatch(/points\[0\]\.dlt645: a binary word has no decimals; write its format as XXXX/);
    expect(binary).toMatch(/points\[0\]\.dlt645: a binary word is not signed/);
    expect(load('  - { id: status, dlt645: { di: "04000501", format: XXXX, binary: true }, scale: 1, range: { undocumented: a status word } }\n')).toBe('loaded');
  });
  it('takes numbers of up to 6 bytes (12 digits), not 7', () => {
    expect(load('  - { id: energy, dlt645: { di: "00010000", format: XXXXXXXXXX.XX }, scale: 0.01, unit: kWh, range: { min: 0 } }\n')).toBe('loaded');
    expect(load('  - { id: energy, dlt645: { di: "00010000", format: XXXXXXXXXXXX.XX }, scale: 0.01, unit: kWh, range: { min: 0 } }\n')).toContain(
      'format XXXXXXXXXXXX.XX is 7 bytes; numbers of more than 12 digits lose precision',
    );
  });
});
