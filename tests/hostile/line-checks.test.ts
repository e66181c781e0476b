// Hostile lines against the ingest checks (issue 13 items 1, 9, 12, 15, 17): the ReDoS line, values the
// database cannot store faithfully, look-alike and control-character labels, oversize lines, and the
// byte and series budgets. Pure: no broker, no database (the corpus test runs the real thing).
import { describe, expect, it } from 'vitest';
import { checkLine } from '../../cloud-ingest/ingest/checked-line.js';
import { LineError, MAX_LINE_BYTES, parseFieldValue, parseLine } from '../../cloud-ingest/ingest/line-protocol.js';
import { RecentWindow } from '../../cloud-ingest/ingest/recent-window.js';
import { SeriesBudget } from '../../cloud-ingest/ingest/series-budget.js';
import { checkBatch } from '../../cloud-ingest/ingest/telemetry.js';
import { LINE_TAGS } from '../../gateway/line-protocol/encode.js';
import { LINE_TAG_KEYS } from '../../cloud-ingest/ingest/line-protocol.js';

const identity = { gateway: 'gw-1', township: 'town', compound: 'c1' };
const now = Date.UTC(2026, 5, 1);

/** Both paths: the fast one (no escapes) and the general one (a quoted string field forces it). */
function bothPaths(fields: string, tags = ''): (() => unknown)[] {
  return [() => checkLine(`power,source=m1${tags} ${fields} ${now}`, identity, now), () => checkLine(`power,source=m1${tags} ${fields},note="x" ${now}`, identity, now)];
}

describe('the ReDoS line (item 1)', () => {
  // The old check was a backtracking regex, run twice: quadratic in the digit run. 60,000 digits then `x`
  // took seconds per line; twenty of them would exceed the test's timeout by far. Linear, they take ms.
  it('rejects many digits ending in x, twenty times over, on both paths, within the test timeout', { timeout: 20_000 }, () => {
    const digits = '1'.repeat(MAX_LINE_BYTES - 200);
    for (let i = 0; i < 10; i++) {
      for (const check of bothPaths(`v=${digits}x`)) expect(check).toThrow(/is not a number/);
    }
    for (const text of [`${digits}.${digits.slice(0, 100)}x`, `${digits}e${digits.slice(0, 100)}x`, `.${digits}x`]) expect(() => parseFieldValue(text, 'v')).toThrow(LineError);
  });
});

describe('values the database cannot store faithfully (item 12)', () => {
  it.each([
    ['1e309 (Infinity)', 'v=1e309', /not a finite number/],
    ['-1e309', 'v=-1e309', /not a finite number/],
    ['1e308 (finite, but zeroes its neighbours in VictoriaMetrics)', 'v=1e308', /beyond ±1000000000000000/],
    ['an integer beyond int64', 'v=9223372036854775808i', /64-bit range/],
    ['a negative integer beyond int64', 'v=-9223372036854775809i', /64-bit range/],
    ['a long run of digits as an integer', `v=${'9'.repeat(5000)}i`, /64-bit range/],
    ['a negative unsigned', 'v=-1u', /negative/],
    ['NaN', 'v=NaN', /not a number/],
    ['Inf', 'v=Inf', /not a number/],
    ['a bare sign', 'v=-', /not a number/],
    ['an exponent without digits', 'v=1e', /not a number/],
    ['a field given twice', 'v=1,v=2', /given twice/],
    ['a control character in a field key', 'v\u0001=1', /U\+0001/],
  ])('rejects %s', (_name, fields, reason) => {
    for (const check of bothPaths(fields)) expect(check).toThrow(reason);
  });

  it('accepts the edges that are fine, and an int64 within range beyond ±1e15 is refused for magnitude, not range', () => {
    const ok: [string, unknown][] = [['1e15', 1e15], ['-1000000000000000i', -1e15], ['230.1', 230.1], ['5.', 5], ['.5', 0.5], ['+3', 3], ['0u', 0], ['t', true], ['FALSE', false], ['"a \\"b\\" \\\\"', 'a "b" \\']];
    for (const [text, value] of ok) expect(parseFieldValue(text, 'v')).toEqual(value);
    expect(() => parseFieldValue('9223372036854775807i', 'v')).toThrow(/beyond ±/);
  });
});

describe('labels (items 15, 9)', () => {
  it.each([
    ['a look-alike identity key (capital T)', ',Township=town', /tag key "Township" is not one of/],
    ['a look-alike identity key (trailing tab)', ',township\t=town', /tag key/],
    ['a look-alike identity key (Greek omicron)', ',t\u03bfwnship=town', /tag key/],
    ['a key outside the contract', ',owner=me', /tag key "owner"/],
    ['a control character in a value', ',building=3\u0007', /U\+0007/],
    ['a bidi override in a value', ',building=\u202e3', /U\+202E/],
    ['a zero-width space in a value', ',room=1\u200b', /U\+200B/],
    ['a tag given twice', ',building=1,building=2', /given twice/],
    ['a 300-char value', `,room=${'r'.repeat(300)}`, /over 256/],
  ])('rejects %s', (_name, tags, reason) => {
    for (const check of bothPaths('v=1', tags)) expect(check).toThrow(reason);
  });

  it('stores labels in NFC on both paths, and keeps identity tags only from the registry', () => {
    const decomposed = '3\u53f7\u697c\u0041\u030a'; // 3号楼 + A + combining ring
    for (const check of bothPaths('v=1', `,building=${decomposed},township=evil`)) {
      const c = check() as { out: string };
      expect(c.out).toContain(',building=3号楼\u00c5');
      expect(c.out).not.toContain('evil');
      expect(c.out).toContain(',township=town,compound=c1,gateway=gw-1');
    }
  });

  it('takes its tag keys from the gateway encoder (plus point)', () => {
    expect([...LINE_TAG_KEYS].sort()).toEqual([...LINE_TAGS, 'point'].sort());
  });
});

describe('sizes and budgets (items 3, 9, 17)', () => {
  it('rejects a line over the limit with its line number; the lines around it pass', async () => {
    const big = `power,source=m1 v=1,note="${'x'.repeat(300 * 1024)}" ${now}`;
    const batch = await checkBatch(identity, [`power,source=m1 v=1 ${now}`, big, `power,source=m1 v=2 ${now + 1}`].join('\n'), now);
    expect(batch.lines).toHaveLength(2);
    expect(batch.rejected).toEqual([{ line: 2, reason: expect.stringMatching(/over the 65536-byte limit/) }]);
    expect(() => parseLine(big, now)).toThrow(/byte limit/);
    // Multi-byte characters count as bytes, not chars.
    expect(() => checkLine(`power,source=m1 v=1,note="${'号'.repeat(30_000)}" ${now}`, identity, now)).toThrow(/byte limit/);
  });

  it('checks a batch of newlines and one of bad lines without keeping a reason per line', async () => {
    const empty = await checkBatch(identity, '\n'.repeat(4_000_000), now);
    expect(empty.lines).toHaveLength(0);
    expect(empty.rejected).toEqual([{ line: 200_001, reason: 'batch has more than 200000 lines; the rest is ignored' }]);
    const bad = await checkBatch(identity, 'x\n'.repeat(20_000), now);
    expect(bad.rejectedCount).toBe(20_000);
    expect(bad.rejected).toHaveLength(100);
  });

  it('yields to the event loop while checking a big batch', async () => {
    const text = Array.from({ length: 200_000 }, (_, i) => `power,source=m${i % 100} v=${i} ${now}`).join('\n');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const batch = await checkBatch(identity, text, now);
    clearInterval(timer);
    expect(batch.lines).toHaveLength(200_000);
    expect(ticks).toBeGreaterThan(0);
  });

  it('refuses new series past the gateway budget and past the township budget, never known ones', async () => {
    let clock = 0;
    const budget = new SeriesBudget({ maxPerGateway: 3, maxPerTownship: 5, rotateMs: 1000 }, () => clock);
    const lines = (gw: string, sources: string[]) => sources.map((s) => `power,source=${s} v=1 ${now}`).join('\n');
    const a = await checkBatch(identity, lines('gw-1', ['a', 'b', 'c', 'd', 'a']), now, budget);
    expect(a.lines).toHaveLength(4);
    expect(a.rejected).toEqual([{ line: 4, reason: expect.stringMatching(/series budget of gateway gw-1 is used up \(3 series\)/) }]);
    expect(a.seriesRefused).toBe(1);
    const other = { ...identity, gateway: 'gw-2' };
    const b = await checkBatch(other, lines('gw-2', ['a', 'b', 'c']), now, budget);
    expect(b.rejected).toEqual([{ line: 3, reason: expect.stringMatching(/series budget of township town/) }]);
    const elsewhere = await checkBatch({ ...identity, gateway: 'gw-3', township: 'town-2' }, lines('gw-3', ['a', 'b', 'c']), now, budget);
    expect(elsewhere.rejectedCount).toBe(0);
    // Unseen for two periods: forgotten.
    clock = 1000;
    await checkBatch(identity, lines('gw-1', ['a']), now, budget);
    clock = 2000;
    expect((await checkBatch(identity, lines('gw-1', ['x', 'y']), now, budget)).rejectedCount).toBe(0);
    expect(budget.count('gw-1')).toBe(3);
  });

  it('holds the recent window to its byte budgets; one gateway\'s flood never evicts another gateway', () => {
    const w = new RecentWindow({ pointsPerSeries: 50, maxBytes: 4 * 1024 * 1024, maxBytesPerGateway: 256 * 1024 });
    const line = (source: string, i: number, fields: string) => checkLine(`power,source=${source} ${fields} ${now + i}`, identity, now);
    const honest = { ...identity, gateway: 'honest', township: 'town-2' };
    w.add(honest, [checkLine(`power,source=meter v=230.1 ${now}`, honest, now)]);
    const long = `v=1,note="${'n'.repeat(60_000)}"`;
    for (let i = 0; i < 200; i++) w.add(identity, [line(`flood-${i}`, i, long), line('s', i, long)]);
    expect(w.bytes('gw-1')).toBeLessThanOrEqual(256 * 1024);
    expect(w.bytes()).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(w.points({ gateway: 'honest', source: 'meter', field: 'v' })?.values).toEqual([230.1]);
  });
});
