// A JSON device's own time (profile `timestamp`) becomes the measurement time only while the gateway
// clock is synced and the value is believable; otherwise the gateway stamps the reading itself.
import { describe, expect, it } from 'vitest';
import { deviceTime } from '../../../gateway/devices/device-time.js';
import type { RawValue } from '../../../gateway/pipeline/types.js';

const NOW = Date.UTC(2026, 11, 2, 8, 0, 0);
const json = (value: unknown): ReadonlyMap<string, RawValue> => new Map([['seq', { kind: 'json', value }]]);

describe('deviceTime', () => {
  it('reads epoch ms, epoch s and ISO 8601 at a dotted path', () => {
    expect(deviceTime({ json: 'ts', format: 'epoch_ms' }, json({ ts: NOW - 1500 }), NOW)).toEqual({ kind: 'time', ts: NOW - 1500 });
    expect(deviceTime({ json: 'event.t', format: 'epoch_s' }, json({ event: { t: (NOW - 2000) / 1000 } }), NOW)).toEqual({ kind: 'time', ts: NOW - 2000 });
    expect(deviceTime({ json: 'time', format: 'iso8601' }, json({ time: '2026-12-02T07:59:00.250Z' }), NOW)).toEqual({ kind: 'time', ts: NOW - 59_750 });
  });

  it('refuses a missing, malformed or unbelievable time (a device with a flat RTC battery)', () => {
    expect(deviceTime({ json: 'ts', format: 'epoch_ms' }, json({ seq: 1 }), NOW)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('missing') });
    expect(deviceTime({ json: 'ts', format: 'epoch_ms' }, json({ ts: 'soon' }), NOW)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('epoch_ms') });
    expect(deviceTime({ json: 'ts', format: 'epoch_ms' }, json({ ts: 0 }), NOW)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('too far') });
    expect(deviceTime({ json: 'ts', format: 'epoch_ms' }, json({ ts: NOW + 6 * 60_000 }), NOW)).toMatchObject({ kind: 'rejected' });
    expect(deviceTime({ json: 'ts', format: 'epoch_ms' }, json({ ts: NOW - 25 * 3_600_000 }), NOW)).toMatchObject({ kind: 'rejected' });
    expect(deviceTime({ json: 'time', format: 'iso8601' }, json({ time: 'Tuesday' }), NOW)).toMatchObject({ kind: 'rejected' });
  });

  it('says absent for a reading that is not JSON (polled registers)', () => {
    expect(deviceTime({ json: 'ts', format: 'epoch_ms' }, new Map([['v', { kind: 'registers', words: [1] } as RawValue]]), NOW)).toEqual({ kind: 'absent' });
  });

  it('believes a time from a day before to five minutes after the gateway clock, both ends included', () => {
    const at = (ts: number) => deviceTime({ json: 'ts', format: 'epoch_ms' }, json({ ts }), NOW).kind;
    expect(at(NOW - 24 * 3_600_000)).toBe('time');
    expect(at(NOW - 24 * 3_600_000 - 1)).toBe('rejected');
    expect(at(NOW + 5 * 60_000)).toBe('time');
    expect(at(NOW + 5 * 60_000 + 1)).toBe('rejected');
  });

  it('takes epoch numbers written as decimal strings, and nothing else as a number', () => {
    const epochS = (t: unknown) => deviceTime({ json: 't', format: 'epoch_s' }, json({ t }), NOW);
    expect(epochS(String(NOW / 1000))).toEqual({ kind: 'time', ts: NOW });
    expect(epochS(`${NOW / 1000 - 1}.5`)).toEqual({ kind: 'time', ts: NOW - 500 });
    expect(epochS(`${NOW / 1000 - 1}.25`)).toEqual({ kind: 'time', ts: NOW - 750 });
    for (const bad of [`${NOW / 1000}x`, `x${NOW / 1000}`, `${NOW / 1000}.`, `-${NOW / 1000}`, `${NOW / 1000}.5s`, '1e9', true, null, { t: 1 }]) {
      expect(epochS(bad), JSON.stringify(bad)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('is not epoch_s') });
    }
  });

  it('wants ISO 8601 as a string that starts with the date', () => {
    const iso = (time: unknown) => deviceTime({ json: 'time', format: 'iso8601' }, json({ time }), NOW);
    expect(iso('2026-12-02T08:00:00Z')).toEqual({ kind: 'time', ts: NOW });
    // Date.parse would read these; a device time must say its date first.
    expect(iso('on 2026-12-02T08:00:00Z')).toMatchObject({ kind: 'rejected' });
    expect(iso('12/02/2026 08:00')).toMatchObject({ kind: 'rejected' });
    expect(iso(NOW)).toMatchObject({ kind: 'rejected', reason: `time field "time" is not iso8601: ${NOW}` });
    expect(iso('2026-12-02Tnonsense')).toMatchObject({ kind: 'rejected' });
  });

  it('quotes at most 40 characters of a bad time field', () => {
    const result = deviceTime({ json: 'ts', format: 'epoch_ms' }, json({ ts: 'x'.repeat(100) }), NOW);
    expect(result).toEqual({ kind: 'rejected', reason: `time field "ts" is not epoch_ms: "${'x'.repeat(39)}` });
  });

  it('reads the time from the JSON value wherever it sits among the reading\'s values', () => {
    const values = new Map<string, RawValue>([
      ['v', { kind: 'registers', words: [1] }],
      ['seq', { kind: 'json', value: { ts: NOW - 10 } }],
    ]);
    expect(deviceTime({ json: 'ts', format: 'epoch_ms' }, values, NOW)).toEqual({ kind: 'time', ts: NOW - 10 });
  });
});
