// The head cache (issue 19): a line whose head (measurement and tags) a gateway sent before skips the
// head's checks, never the fields' or the timestamp's, and gets the same result as a line checked in
// full; heads are compared by their whole text, only heads of lines that passed are kept, a gateway
// moved to another compound starts again, and the cache stays within its bounds.
import { describe, expect, it } from 'vitest';
import { checkLine, identitySuffix } from '../../cloud-ingest/ingest/checked-line.js';
import { HeadCache, MAX_HEADS_PER_GATEWAY } from '../../cloud-ingest/ingest/head-cache.js';
import { LineError } from '../../cloud-ingest/ingest/line-protocol.js';
import { seriesHash } from '../../cloud-ingest/ingest/series-budget.js';

const now = Date.UTC(2026, 5, 1, 12);
const identity = { township: 'town', compound: 'c1', gateway: 'gw-1' };
const suffix = identitySuffix(identity);
const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LineError);
    return (error as Error).message;
  }
  throw new Error('expected a LineError');
};

describe('head cache', () => {
  it('gives a line with a known head the result of a full check', () => {
    const cache = new HeadCache();
    const known = cache.forGateway(identity.gateway, suffix);
    const first = checkLine(`power,source=m1,township=evil,building=3 v=1,w=2i ${now}`, identity, now, suffix, known);
    expect(cache.size()).toBe(1);
    const line = `power,source=m1,township=evil,building=3 v=2,w=3i ${now + 1}`;
    const hit = checkLine(line, identity, now, suffix, known);
    expect(hit).toEqual(checkLine(line, identity, now, suffix));
    expect(hit).toEqual({ out: `power,source=m1,building=3${suffix} v=2,w=3i ${now + 1}`, measurement: 'power', source: 'm1', series: `power,source=m1,building=3${suffix}`, seriesHash: seriesHash(`power,source=m1,building=3${suffix}`), fieldText: 'v=2,w=3i', fieldCount: 2, ts: now + 1 });
    expect(hit.series).toBe(first.series);
    expect(cache.size()).toBe(1);
  });

  it('still checks the fields and the timestamp of a line whose head is known', () => {
    const known = new HeadCache().forGateway(identity.gateway, suffix);
    checkLine(`power,source=a v=1 ${now}`, identity, now, suffix, known);
    const refused = (line: string) => {
      const cached = refusal(() => checkLine(line, identity, now, suffix, known));
      expect(cached).toBe(refusal(() => checkLine(line, identity, now, suffix)));
      return cached;
    };
    expect(refused(`power,source=a v=1 ${now} 1`)).toBe('unexpected spaces (escape them with \\)');
    expect(refused(`power,source=a =1 ${now}`)).toBe('field 1: expected key=value');
    expect(refused(`power,source=a v=1,w ${now}`)).toBe('field 2: expected key=value');
    expect(refused(`power,source=a v=1,v=2 ${now}`)).toBe('field "v" given twice');
    expect(refused(`power,source=a v=x ${now}`)).toMatch(/^field "v": "x" is not a number/);
    expect(refused(`power,source=a v=1e300 ${now}`)).toMatch(/is beyond ±/);
    expect(refused(`power,source=a v\u0007=1 ${now}`)).toMatch(/^field 1 key: control or invisible character U\+0007/);
    expect(refused(`power,source=a v=1 ${Date.UTC(2019, 0, 1)}`)).toMatch(/is outside/);
    expect(refused(`power,source=a v=1 ${now + 2 * 86_400_000}`)).toMatch(/is outside/);
    expect(refused(`power,source=a v=1 12x`)).toMatch(/is not an integer in ms/);
    expect(refused(`power,source=a v=1 ${'9'.repeat(MAX_LINE_CHARS)}`)).toMatch(/over the 65536-byte limit/);
  });

  it('checks every head it has not seen in full text, however close to a known one', () => {
    const known = new HeadCache().forGateway(identity.gateway, suffix);
    checkLine(`power,source=a v=1 ${now}`, identity, now, suffix, known);
    expect(refusal(() => checkLine(`power,source=a\u200b v=1 ${now}`, identity, now, suffix, known))).toMatch(/U\+200B/);
    expect(refusal(() => checkLine(`power,source=a,source=a v=1 ${now}`, identity, now, suffix, known))).toBe('tag "source" given twice');
    expect(refusal(() => checkLine(`power,sourcf=a v=1 ${now}`, identity, now, suffix, known))).toMatch(/^tag key "sourcf" is not one of/);
    expect(refusal(() => checkLine(`powe,source=a v=1 ${now}`, identity, now, suffix, known))).toMatch(/is not a device class/);
    expect(checkLine(`power,source=e\u0301 v=1 ${now}`, identity, now, suffix, known).source).toBe('\u00e9');
    expect(checkLine(`power,source=e\u0301 v=2 ${now}`, identity, now, suffix, known).source).toBe('\u00e9');
  });

  it('keeps only heads of lines that passed', () => {
    const cache = new HeadCache();
    const known = cache.forGateway(identity.gateway, suffix);
    expect(refusal(() => checkLine(`power,source=a v=x ${now}`, identity, now, suffix, known))).toMatch(/is not a number/);
    expect(refusal(() => checkLine(`power,building=1 v=1 ${now}`, identity, now, suffix, known))).toBe('missing tag "source"');
    expect(refusal(() => checkLine(`power,building=1 v=1 ${now}`, identity, now, suffix, known))).toBe('missing tag "source"');
    expect(cache.size()).toBe(0);
  });

  it('starts again for a gateway whose identity tags changed', () => {
    const cache = new HeadCache();
    checkLine(`power,source=a v=1 ${now}`, identity, now, suffix, cache.forGateway(identity.gateway, suffix));
    const moved = { ...identity, compound: 'c2' };
    const movedSuffix = identitySuffix(moved);
    const c = checkLine(`power,source=a v=1 ${now}`, moved, now, movedSuffix, cache.forGateway(moved.gateway, movedSuffix));
    expect(c.series).toBe(`power,source=a${movedSuffix}`);
    expect(c.seriesHash).toBe(seriesHash(`power,source=a${movedSuffix}`));
    expect(cache.size()).toBe(1);
  });

  it('stays within its bounds: heads per gateway, and bytes, the least recent gateway forgotten first', () => {
    const per = new HeadCache();
    const known = per.forGateway(identity.gateway, suffix);
    for (let i = 0; i <= MAX_HEADS_PER_GATEWAY; i++) checkLine(`power,source=m${i} v=1 ${now}`, identity, now, suffix, known);
    expect(per.size()).toBe(1);

    const small = new HeadCache(8 * 1024);
    const a = small.forGateway('gw-a', ',township=t,compound=c,gateway=gw-a');
    for (let i = 0; i < 8; i++) a.remember(`power,source=m${i}`, { measurement: 'power', source: `m${i}`, series: `power,source=m${i},township=t,compound=c,gateway=gw-a`, seriesHash: i });
    const aBytes = small.bytes();
    expect(aBytes).toBeGreaterThan(0);
    const b = small.forGateway('gw-b', ',township=t,compound=c,gateway=gw-b');
    for (let i = 0; i < 20; i++) b.remember(`power,source=m${i}`, { measurement: 'power', source: `m${i}`, series: `power,source=m${i},township=t,compound=c,gateway=gw-b`, seriesHash: i });
    expect(small.bytes()).toBeLessThanOrEqual(8 * 1024);
    expect(b.get('power,source=m19')).toBeDefined();
    // gw-a sent least recently: it went, and a batch still holding its heads remembers nothing more.
    expect(a.get('power,source=m0')).toBeUndefined();
    const before = small.bytes();
    a.remember('power,source=late', { measurement: 'power', source: 'late', series: 'power,source=late', seriesHash: 0 });
    expect(small.bytes()).toBe(before);
    expect(small.forGateway('gw-a', ',township=t,compound=c,gateway=gw-a').get('power,source=late')).toBeUndefined();
  });
});

const MAX_LINE_CHARS = 65_536;
