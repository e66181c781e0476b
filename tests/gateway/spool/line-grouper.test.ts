// LineGrouper: the points of one reading become one line, and lines of one series never share a
// millisecond (InfluxDB keeps one sample per series and timestamp; two readings stamped in the same
// millisecond would overwrite each other there).
import { describe, expect, it } from 'vitest';
import type { Measurement } from '../../../gateway/pipeline/types.js';
import { seriesKey } from '../../../gateway/line-protocol/encode.js';
import { LineGrouper, type GroupedLine } from '../../../gateway/spool/line-grouper.js';

const T0 = Date.UTC(2026, 11, 2, 8, 0, 0);

function measurement(source: string, point: string, value: number, ts: number, mono: number, timeSynced = true): Measurement {
  return { source, point, class: 'power', value, unit: 'V', ts, mono, timeSynced, quality: 'good', tags: { township: 't', compound: 'c', gateway: 'g', source } };
}

describe('LineGrouper', () => {
  it('groups one reading onto one line and gives a series distinct milliseconds', () => {
    const lines: GroupedLine[] = [];
    const grouper = new LineGrouper('boot-1', (l) => lines.push(l));
    // Three readings of meter-1 within one millisecond, one of meter-2 in the same millisecond.
    grouper.add(measurement('meter-1', 'voltage', 230.1, T0 + 0.2, 10.2));
    grouper.add(measurement('meter-1', 'current', 1.5, T0 + 0.2, 10.2));
    grouper.add(measurement('meter-1', 'voltage', 230.2, T0 + 0.4, 10.4));
    grouper.add(measurement('meter-1', 'voltage', 230.3, T0 + 0.45, 10.45));
    grouper.add(measurement('meter-2', 'voltage', 229.9, T0 + 0.3, 10.3));
    grouper.flush();
    const stamps = (source: string) => lines.filter((l) => l.key.includes(`source=${source}`)).map((l) => [l.stamp.ts, l.fields.join(',')]);
    expect(stamps('meter-1')).toEqual([
      [T0, 'voltage=230.1,current=1.5'],
      [T0 + 1, 'voltage=230.2'],
      [T0 + 2, 'voltage=230.3'],
    ]);
    expect(stamps('meter-2')).toEqual([[T0, 'voltage=229.9']]);
    // A later reading keeps its own time once it is past the bumped ones.
    grouper.add(measurement('meter-1', 'voltage', 230.4, T0 + 50, 60));
    grouper.flush();
    expect(lines.at(-1)!.stamp.ts).toBe(T0 + 50);
  });

  it("keeps a device's own time exactly, so a resend of the same reading folds in the database", () => {
    const lines: GroupedLine[] = [];
    const grouper = new LineGrouper('boot-1', (l) => lines.push(l));
    const first = { ...measurement('meter-1', 'voltage', 230.1, T0, 10), deviceTime: true as const };
    grouper.add(first);
    grouper.flush();
    grouper.add({ ...first, mono: 12 }); // the same reading again (a QoS 1 resend), a moment later
    grouper.flush();
    expect(lines.map((l) => l.stamp.ts)).toEqual([T0, T0]);
  });

  it('leaves stamps taken before the clock was synced alone (they are placed when sent)', () => {
    const lines: GroupedLine[] = [];
    const grouper = new LineGrouper('boot-1', (l) => lines.push(l));
    grouper.add(measurement('meter-1', 'voltage', 1, 1000.2, 5.2, false));
    grouper.add(measurement('meter-1', 'voltage', 2, 1000.3, 5.3, false));
    grouper.flush();
    expect(lines.map((l) => l.stamp.ts)).toEqual([1000.2, 1000.3]);
  });

  it('writes a tick\'s lines out by itself after the tick, once, and again for the next tick', async () => {
    const lines: GroupedLine[] = [];
    const grouper = new LineGrouper('boot-1', (l) => lines.push(l));
    grouper.add(measurement('meter-1', 'voltage', 230.1, T0, 10));
    grouper.add(measurement('meter-1', 'current', 1.5, T0, 10));
    expect(lines).toEqual([]);
    await Promise.resolve();
    expect(lines.map((l) => l.fields.join(','))).toEqual(['voltage=230.1,current=1.5']);
    grouper.add(measurement('meter-1', 'voltage', 230.2, T0 + 100, 110));
    await Promise.resolve();
    expect(lines.map((l) => [l.stamp.ts, l.fields.join(','), l.measurements])).toEqual([
      [T0, 'voltage=230.1,current=1.5', 2],
      [T0 + 100, 'voltage=230.2', 1],
    ]);
  });

  it('a point repeated within one stamp keeps its place and its last value', () => {
    const lines: GroupedLine[] = [];
    const grouper = new LineGrouper('boot-1', (l) => lines.push(l));
    grouper.add(measurement('meter-1', 'voltage', 230.1, T0, 10));
    grouper.add(measurement('meter-1', 'current', 1.5, T0, 10));
    grouper.add(measurement('meter-1', 'voltage', 231, T0, 10));
    grouper.add(measurement('meter-1', 'current', 1.6, T0, 10));
    grouper.add(measurement('meter-1', 'voltage_l1', 229, T0, 10)); // a name that starts like another is another point
    grouper.flush();
    expect(lines.map((l) => l.fields.join(','))).toEqual(['voltage=231,current=1.6,voltage_l1=229']);
  });

  it('remembers the last millisecond of at most 20,000 series, then starts again', () => {
    const lines: GroupedLine[] = [];
    const grouper = new LineGrouper('boot-1', (l) => lines.push(l));
    const stampOf = (source: string, ts: number) => {
      grouper.add(measurement(source, 'v', 1, ts, 10));
      grouper.flush();
      return lines.at(-1)!.stamp.ts;
    };
    expect(stampOf('x', T0)).toBe(T0);
    expect(stampOf('x', T0)).toBe(T0 + 1); // remembered: bumped
    for (let i = 0; i < 19_999; i++) grouper.add(measurement(`s${i}`, 'v', 1, T0, 10));
    grouper.flush(); // 20,000 series remembered, x among them
    expect(stampOf('x', T0)).toBe(T0 + 2);
    expect(stampOf('new-series', T0)).toBe(T0); // the 20,001st: the memory starts again
    expect(stampOf('x', T0)).toBe(T0); // forgotten with the rest
  });

  it('a frozen tag set shared by sources and device classes still gives each source and class its own series', () => {
    const lines: GroupedLine[] = [];
    const grouper = new LineGrouper('boot-1', (l) => lines.push(l));
    const tags = Object.freeze({ township: 't', compound: 'c', gateway: 'g', building: '3' });
    const other = Object.freeze({ township: 't', compound: 'c', gateway: 'g', building: '4' });
    const cases: [string, Measurement['class'], Readonly<Record<string, string>>][] = [
      ['meter-1', 'power', tags],
      ['meter-2', 'power', tags],
      ['meter-1', 'water_level', tags],
      ['meter-1', 'power', other],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [i, [source, cls, t]] of cases.entries()) grouper.add({ ...measurement(source, 'v', i, T0 + 10 * round, 10 + round), class: cls, tags: t });
      grouper.flush();
    }
    const want = cases.map(([source, cls, t]) => seriesKey({ source, class: cls, tags: t }));
    expect(new Set(want).size).toBe(4);
    expect(lines.map((l) => l.key)).toEqual([...want, ...want]);
  });

  it('tags that are not frozen are read afresh for every measurement', () => {
    const lines: GroupedLine[] = [];
    const grouper = new LineGrouper('boot-1', (l) => lines.push(l));
    const m = measurement('meter-1', 'v', 1, T0, 10);
    const tags: Record<string, string> = { ...m.tags, building: '1' };
    grouper.add({ ...m, tags });
    grouper.flush();
    tags.building = '2';
    grouper.add({ ...m, ts: T0 + 10, tags });
    grouper.flush();
    expect(lines.map((l) => l.key)).toEqual([seriesKey({ ...m, tags: { ...tags, building: '1' } }), seriesKey({ ...m, tags })]);
    expect(lines[0]!.key).not.toBe(lines[1]!.key);
  });

  it('two readings with the same wall time but their own monotonic stamps are two lines, a millisecond apart', () => {
    const lines: GroupedLine[] = [];
    const grouper = new LineGrouper('boot-1', (l) => lines.push(l));
    grouper.add(measurement('meter-1', 'voltage', 230.1, T0, 10));
    grouper.add(measurement('meter-1', 'voltage', 230.2, T0, 11)); // a second reading, stamped in the same wall ms
    grouper.add(measurement('meter-1', 'current', 1.5, T0, 11));
    grouper.flush();
    expect(lines.map((l) => [l.stamp.ts, l.stamp.mono, l.fields.join(',')])).toEqual([
      [T0, 10, 'voltage=230.1'],
      [T0 + 1, 11, 'voltage=230.2,current=1.5'],
    ]);
  });
});
