import { describe, expect, it } from 'vitest';
import { encodeField, encodeLine, encodeMeasurement, seriesKey } from '../../../gateway/line-protocol/encode.js';
import type { Measurement } from '../../../gateway/pipeline/types.js';

const base: Measurement = {
  source: 'meter-1',
  point: 'voltage',
  class: 'power',
  value: 229.8,
  unit: 'V',
  ts: 1_763_888_888_123.4,
  mono: 1,
  timeSynced: true,
  quality: 'good',
  tags: { township: 'xinhua', compound: 'hongqi-1', gateway: 'gw-01', source: 'meter-1', building: '3', floor: '2' },
};

describe('line protocol encoder', () => {
  it('writes class, sorted known tags, the point as field and an integer ms timestamp', () => {
    expect(encodeMeasurement(base)).toBe('power,building=3,compound=hongqi-1,floor=2,gateway=gw-01,source=meter-1,township=xinhua voltage=229.8 1763888888123');
  });

  it('escapes commas, spaces and equals signs in tags and field keys, and quotes strings', () => {
    const m: Measurement = { ...base, point: 'door state', value: 'say "hi" \\ bye', tags: { ...base.tags, building: 'A, east=1', room: 'line\nbreak' } };
    expect(encodeMeasurement(m)).toBe(
      'power,building=A\\,\\ east\\=1,compound=hongqi-1,floor=2,gateway=gw-01,room=line\\ break,source=meter-1,township=xinhua door\\ state="say \\"hi\\" \\\\ bye" 1763888888123',
    );
  });

  it('writes booleans as true/false and numbers as floats, and refuses NaN naming the point', () => {
    expect(encodeField('smoke', true)).toBe('smoke=true');
    expect(encodeField('level', 3)).toBe('level=3');
    expect(() => encodeField('level', Number.NaN)).toThrow(/level/);
  });

  it('puts several points of one reading on one line', () => {
    expect(encodeLine(seriesKey(base), ['voltage=230', 'current=1.5'], 1000)).toBe(
      'power,building=3,compound=hongqi-1,floor=2,gateway=gw-01,source=meter-1,township=xinhua voltage=230,current=1.5 1000',
    );
  });

  it('escapes spaces and commas in the measurement name but not equals signs', () => {
    expect(seriesKey({ ...base, class: 'a b,c=d' as Measurement['class'], tags: {} })).toBe('a\\ b\\,c=d,source=meter-1');
  });
});
