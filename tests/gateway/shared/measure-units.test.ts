// The units registry: conversions within a dimension, water head between pressure and length, and
// refusals for unknown or unlike units (never a silent pass-through).
import { describe, expect, it } from 'vitest';
import { convert, convertible, isKnownUnit, plausibleRange } from '../../../gateway/shared/measure-units.js';

describe('measure units', () => {
  it('converts within a dimension', () => {
    expect(convert(1.37, 'm', 'cm')).toBe(137);
    expect(convert(250, 'mm', 'cm')).toBe(25);
    expect(convert(300, 'mA', 'A')).toBe(0.3);
    expect(convert(1.144, 'kW', 'W')).toBe(1144);
    expect(convert(2001, 'kWh', 'Wh')).toBe(2_001_000);
  });

  it('converts a pressure to a head of water and back (9.80665 kPa = 1 m)', () => {
    expect(convert(1.37, 'mH₂O', 'cm')).toBe(137);
    expect(convert(9.80665, 'kPa', 'm')).toBe(1);
    expect(convert(1, 'm', 'kPa')).toBe(9.80665);
    expect(convert(1370, 'mmH₂O', 'cm')).toBe(137);
  });

  it('refuses unknown and unlike units', () => {
    expect(convert(1.37, 'code_7', 'cm')).toBeUndefined();
    expect(convert(230, 'V', 'cm')).toBeUndefined();
    expect(convert(1, 'cm', 'nope')).toBeUndefined();
    expect(convertible('°C', '%RH')).toBe(false);
    expect(convertible('kPa', 'cm')).toBe(true);
    expect(isKnownUnit('code_7')).toBe(false);
  });

  it('gives plausible ranges per unit through the dimension (230 V yes, -4.17e-8 V no)', () => {
    const volts = plausibleRange('V')!;
    expect(230).toBeGreaterThanOrEqual(volts[0]);
    expect(-4.17e-8).toBeLessThan(volts[0]);
    expect(plausibleRange('cm')).toEqual([-100, 20_000]);
    expect(plausibleRange('code_7')).toBeUndefined();
  });
});
