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
});
