// The recent window's byte budgets driven directly (issue 18: only the 30 s window flood of
// tests/hostile/line-checks.test.ts reached the evictions, too slow for the mutation run). Every figure is
// the window's own estimate, checked to the byte: an entry costs 768 bytes plus its key in UTF-16
// (gateway, a separator, source), a point 64 bytes plus its field text in UTF-16. Also the chart parser:
// booleans in every spelling, integers with either suffix, strings and escapes through the general parser.
// The eviction tests failed on 09a8182: a new source's overhead was counted twice in its entry, so each
// eviction freed more than had been added and a gateway cycling sources outgrew its budget.
import { describe, expect, it } from 'vitest';
import { checkLine } from '../../cloud-ingest/ingest/checked-line.js';
import { RecentWindow } from '../../cloud-ingest/ingest/recent-window.js';
import type { GatewayIdentity } from '../../cloud-ingest/registry/registry.js';

const now = Date.UTC(2026, 5, 1);
const g1: GatewayIdentity = { gateway: 'gw-1', township: 'town', compound: 'c1' };
const g2: GatewayIdentity = { gateway: 'gw-2', township: 'town-2', compound: 'c2' };
/** A gateway whose name has another length, so a mix-up of two gateways' figures shows. */
const long: GatewayIdentity = { gateway: 'gateway-long', township: 'town', compound: 'c3' };

const entry = (identity: GatewayIdentity, source: string) => 768 + 2 * (identity.gateway.length + 1 + source.length);
const point = (fields: string) => 64 + 2 * fields.length;
const line = (identity: GatewayIdentity, source: string, ts: number, fields: string) => checkLine(`power,source=${source} ${fields} ${now + ts}`, identity, now);
const values = (w: RecentWindow, identity: GatewayIdentity, source: string, field = 'v') => w.points({ gateway: identity.gateway, source, field })?.values;
const big = 1 << 24;

describe('recent window byte budgets', () => {
  it('counts each gateway and the whole window to the byte, through ring overwrites of other lengths', () => {
    const w = new RecentWindow({ pointsPerSeries: 3, maxBytes: big, maxBytesPerGateway: big });
    expect([w.bytes(), w.bytes('gw-1'), w.sourceCount()]).toEqual([0, 0, 0]);
    w.add(g1, [line(g1, 'm1', 1, 'v=1')]);
    const first = entry(g1, 'm1') + point('v=1');
    expect([w.bytes(), w.bytes('gw-1'), w.bytes('gateway-long'), w.sourceCount()]).toEqual([first, first, 0, 1]);
    w.add(long, [line(long, 'meter-22', 1, 'v=10,w=2')]);
    const other = entry(long, 'meter-22') + point('v=10,w=2');
    expect([w.bytes(), w.bytes('gw-1'), w.bytes('gateway-long'), w.sourceCount()]).toEqual([first + other, first, other, 2]);
    // Fill the ring of 3, then overwrite its oldest slots with longer and shorter texts.
    w.add(g1, [line(g1, 'm1', 2, 'v=2'), line(g1, 'm1', 3, 'v=300')]);
    w.add(g1, [line(g1, 'm1', 4, 'v=4444')]);
    w.add(g1, [line(g1, 'm1', 5, 'v=5')]);
    const m1 = entry(g1, 'm1') + point('v=300') + point('v=4444') + point('v=5');
    expect([w.bytes('gw-1'), w.bytes()]).toEqual([m1, m1 + other]);
    expect(w.points({ gateway: 'gw-1', source: 'm1', field: 'v' })).toEqual({
      info: { gateway: 'gw-1', source: 'm1', field: 'v', township: 'town', compound: 'c1', measurement: 'power', lastTs: now + 5, lastValue: 5 },
      ts: [now + 3, now + 4, now + 5],
      values: [300, 4444, 5],
    });
    // The ring has wrapped: its newest point sits in the middle slot (slots [4444, 5, 300]), and list()
    // must find it there, not in the last slot.
    expect(w.list((s) => s.gateway === 'gw-1')).toEqual([{ gateway: 'gw-1', source: 'm1', field: 'v', township: 'town', compound: 'c1', measurement: 'power', lastTs: now + 5, lastValue: 5 }]);
    w.add(g1, [line(g1, 'm1', 6, 'v=6')]);
    expect(values(w, g1, 'm1')).toEqual([4444, 5, 6]);
    expect(w.list((s) => s.gateway === 'gw-1').map((s) => s.lastValue)).toEqual([6]);
    expect(w.bytes('gw-1')).toBe(entry(g1, 'm1') + point('v=4444') + point('v=5') + point('v=6'));
  });

  it("past its own budget a gateway drops its own oldest points, never another gateway's, and forgets a source only once its points are the oldest", () => {
    const e = entry(g1, 'a');
    const p = point('v=1');
    const w = new RecentWindow({ pointsPerSeries: 10, maxBytes: big, maxBytesPerGateway: 2 * e + 3 * p });
    w.add(g2, [line(g2, 'x', 0, 'v=9')]);
    w.add(g1, [line(g1, 'a', 1, 'v=1')]);
    w.add(g1, [line(g1, 'b', 2, 'v=1')]);
    w.add(g1, [line(g1, 'a', 3, 'v=2')]);
    expect(w.bytes('gw-1')).toBe(2 * e + 3 * p);
    // c passes the budget: a's first point is the oldest and goes, then b's only point, and b with it.
    w.add(g1, [line(g1, 'c', 4, 'v=1')]);
    expect([values(w, g1, 'a'), values(w, g1, 'b'), values(w, g1, 'c'), values(w, g2, 'x')]).toEqual([[2], undefined, [1], [9]]);
    expect([w.bytes('gw-1'), w.bytes(), w.sourceCount()]).toEqual([2 * e + 2 * p, 2 * e + 2 * p + entry(g2, 'x') + point('v=9'), 3]);
  });

  it('keeps every source of a gateway whose sources fit one point each: the next batch replaces their points, it does not cycle the sources', () => {
    // A gateway of many meters just within its budget at one point each (bench:ingest's 1,000 meters a
    // gateway). Forgetting the least recently updated source, the rule before, forgot the next source to
    // report at every line of the second batch: the gateway's sources cycled and none kept two batches.
    const sources = Array.from({ length: 50 }, (_, i) => `m-${i + 10}`);
    const e = entry(g1, 'm-10');
    const p = point('v=1');
    const w = new RecentWindow({ pointsPerSeries: 10, maxBytes: big, maxBytesPerGateway: 50 * (e + p) + p - 1 });
    for (let batch = 1; batch <= 3; batch++) w.add(g1, sources.map((s, i) => line(g1, s, 100 * batch + i, `v=${batch}`)));
    expect(w.sourceCount()).toBe(50);
    expect(sources.map((s) => values(w, g1, s))).toEqual(sources.map(() => [3]));
    expect(w.bytes('gw-1')).toBe(50 * (e + p));
  });

  it('holds a gateway that keeps sending new sources to its budget', () => {
    const e = entry(g1, 's-100');
    const p = point('v=1');
    const w = new RecentWindow({ pointsPerSeries: 10, maxBytes: big, maxBytesPerGateway: 4 * (e + p) });
    for (let i = 100; i < 600; i++) w.add(g1, [line(g1, `s-${i}`, i, 'v=1')]);
    expect([w.sourceCount(), w.bytes('gw-1'), w.bytes()]).toEqual([4, 4 * (e + p), 4 * (e + p)]);
    expect(w.list(() => true).map((s) => s.source)).toEqual(['s-596', 's-597', 's-598', 's-599']);
  });

  it('past the overall budget forgets the oldest source of all; a gateway left with none counts zero', () => {
    const e = entry(g1, 'a');
    const p = point('v=1');
    const w = new RecentWindow({ pointsPerSeries: 10, maxBytes: 3 * (e + p), maxBytesPerGateway: big });
    w.add(g1, [line(g1, 'a', 1, 'v=1')]);
    w.add(g1, [line(g1, 'd', 2, 'v=1')]);
    w.add(g2, [line(g2, 'b', 3, 'v=1')]);
    expect(w.bytes()).toBe(3 * (e + p));
    w.add(g2, [line(g2, 'c', 4, 'v=1')]);
    // gw-1's a goes; gw-1 still has d and counts it.
    expect(values(w, g1, 'a')).toBeUndefined();
    expect([w.bytes('gw-1'), w.bytes('gw-2'), w.bytes()]).toEqual([e + p, 2 * (e + p), 3 * (e + p)]);
    w.add(g2, [line(g2, 'e', 5, 'v=1')]);
    expect(values(w, g1, 'd')).toBeUndefined();
    expect([w.bytes('gw-1'), w.bytes('gw-2'), w.bytes(), w.sourceCount()]).toEqual([0, 3 * (e + p), 3 * (e + p), 3]);
    expect(w.list((s) => s.gateway === 'gw-1')).toEqual([]);
    // gw-1 comes back from zero; gw-2's oldest source (b) makes room.
    w.add(g1, [line(g1, 'a', 6, 'v=7')]);
    expect([w.bytes('gw-1'), w.bytes('gw-2')]).toEqual([e + p, 2 * (e + p)]);
    expect(values(w, g2, 'b')).toBeUndefined();
    expect(values(w, g1, 'a')).toEqual([7]);
    expect(w.list(() => true).map((s) => `${s.gateway}/${s.source}`)).toEqual(['gw-2/c', 'gw-2/e', 'gw-1/a']);
  });

  it('past the overall budget drops the oldest points of all: every source still reporting keeps its latest points', () => {
    const e = entry(g1, 'a');
    const p = point('v=1');
    // Room for three sources of two points each.
    const w = new RecentWindow({ pointsPerSeries: 10, maxBytes: 3 * (e + 2 * p), maxBytesPerGateway: big });
    for (let t = 1; t <= 8; t++) {
      w.add(g1, [line(g1, 'a', t, `v=${t}`)]);
      w.add(g2, [line(g2, 'b', t, `v=${t}`), line(g2, 'c', t, `v=${t}`)]);
    }
    // A source forgotten as the least recently updated (the rule before) would have lost its latest value.
    expect([values(w, g1, 'a'), values(w, g2, 'b'), values(w, g2, 'c')]).toEqual([[7, 8], [7, 8], [7, 8]]);
    expect([w.bytes(), w.sourceCount()]).toEqual([3 * (e + 2 * p), 3]);
    expect(w.list(() => true).map((s) => `${s.source}=${s.lastValue}`).sort()).toEqual(['a=8', 'b=8', 'c=8']);
  });

  it('forgets a source that stopped reporting once all its points are older than everyone else\'s', () => {
    const e = entry(g1, 'a');
    const p = point('v=1');
    const w = new RecentWindow({ pointsPerSeries: 10, maxBytes: 2 * (e + 2 * p), maxBytesPerGateway: big });
    w.add(g1, [line(g1, 'a', 1, 'v=1'), line(g1, 'a', 2, 'v=2')]);
    w.add(g2, [line(g2, 'b', 3, 'v=3'), line(g2, 'b', 4, 'v=4')]);
    // b goes on, a has stopped: a's two points are the oldest and go one by one, then a itself.
    w.add(g2, [line(g2, 'b', 5, 'v=5')]);
    expect([values(w, g1, 'a'), values(w, g2, 'b')]).toEqual([[2], [3, 4, 5]]);
    w.add(g2, [line(g2, 'b', 6, 'v=6')]);
    expect(values(w, g1, 'a')).toBeUndefined();
    expect([w.bytes('gw-1'), w.sourceCount(), w.list(() => true).map((s) => s.source)]).toEqual([0, 1, ['b']]);
    // With a gone, b keeps the room its entry left: more points of b fit.
    w.add(g2, [line(g2, 'b', 7, 'v=7'), line(g2, 'b', 8, 'v=8')]);
    expect(values(w, g2, 'b')).toEqual([3, 4, 5, 6, 7, 8]);
    expect(w.bytes()).toBeLessThanOrEqual(2 * (e + 2 * p));
  });

  it('keeps its arrival queue bounded by the points it holds, whatever has passed through it', () => {
    const w = new RecentWindow({ pointsPerSeries: 10, maxBytes: big, maxBytesPerGateway: big });
    for (let t = 0; t < 50_000; t++) w.add(g1, [line(g1, `s-${t % 3}`, t, 'v=1')]);
    const queued = (w as unknown as { arrivals: { length(): number } }).arrivals.length();
    // 30 points held; every overwritten one left a stale reference, swept past 30 + 30 / 4 + 64.
    expect(queued).toBeLessThanOrEqual(30 + 7 + 64 + 1);
    expect(values(w, g1, 's-0')).toHaveLength(10);
  });

  it('never drops the point just written: the oldest point goes, the writer\'s own older one included', () => {
    const e = entry(g1, 'a');
    const p = point('v=1');
    const w = new RecentWindow({ pointsPerSeries: 10, maxBytes: big, maxBytesPerGateway: 2 * e + 2 * p });
    // Within one batch a's first point is the oldest when its second passes the budget: it goes, b stays.
    w.add(g1, [line(g1, 'a', 1, 'v=1'), line(g1, 'b', 2, 'v=1'), line(g1, 'a', 3, 'v=2')]);
    expect([values(w, g1, 'a'), values(w, g1, 'b')]).toEqual([[2], [1]]);
    expect([w.bytes('gw-1'), w.sourceCount()]).toEqual([2 * e + 2 * p, 2]);
    // Room for one source: b's only point is the oldest and goes with b; c, just written, stays.
    const tight = new RecentWindow({ pointsPerSeries: 10, maxBytes: big, maxBytesPerGateway: e + p });
    tight.add(g1, [line(g1, 'b', 1, 'v=1'), line(g1, 'c', 2, 'v=2')]);
    expect([values(tight, g1, 'b'), values(tight, g1, 'c'), tight.sourceCount()]).toEqual([undefined, [2], 1]);
  });

  it('drops the oldest points of a source that alone passes its gateway budget, in time order across the ring', () => {
    const e = entry(g1, 's');
    const s = point('v=1');
    const w = new RecentWindow({ pointsPerSeries: 3, maxBytes: big, maxBytesPerGateway: e + 3 * s });
    w.add(g1, [line(g1, 's', 1, 'v=1'), line(g1, 's', 2, 'v=2'), line(g1, 's', 3, 'v=3')]);
    w.add(g1, [line(g1, 's', 4, 'v=4')]);
    expect(w.bytes('gw-1')).toBe(e + 3 * s);
    // Slots [4, 2, 3], next 1: the long point overwrites 2 and takes more room than one short point, so 3
    // (the oldest left, in the last slot) goes; 4 and 5 stay.
    const longer = 'v=5,w=123456789';
    w.add(g1, [line(g1, 's', 5, longer)]);
    expect(w.points({ gateway: 'gw-1', source: 's', field: 'v' })).toMatchObject({ ts: [now + 4, now + 5], values: [4, 5] });
    expect(w.bytes('gw-1')).toBe(e + s + point(longer));
    expect(w.list(() => true).map((x) => [x.field, x.lastValue])).toEqual([['v', 5], ['w', 123456789]]);
    // Below its capacity again, the ring appends: 4 goes, 5 and 6 stay.
    w.add(g1, [line(g1, 's', 6, 'v=6')]);
    expect(values(w, g1, 's')).toEqual([5, 6]);
    expect(w.bytes('gw-1')).toBe(e + point(longer) + s);
  });

  it('drops the oldest points of a source that alone passes the overall budget, keeping one point at least', () => {
    const e = entry(g1, 's');
    const s = point('v=1');
    const w = new RecentWindow({ pointsPerSeries: 5, maxBytes: e + 2 * s, maxBytesPerGateway: big });
    w.add(g1, [line(g1, 's', 1, 'v=1'), line(g1, 's', 2, 'v=2'), line(g1, 's', 3, 'v=3')]);
    expect(values(w, g1, 's')).toEqual([2, 3]);
    expect(w.bytes()).toBe(e + 2 * s);
    // One point over the budget by itself: it is kept, alone.
    const huge = `v=4,note="${'n'.repeat(200)}"`;
    w.add(g1, [line(g1, 's', 4, huge)]);
    expect(values(w, g1, 's')).toEqual([4]);
    expect([w.bytes(), w.bytes('gw-1'), w.sourceCount()]).toEqual([e + point(huge), e + point(huge), 1]);
    expect(w.list(() => true).map((x) => [x.field, x.lastValue])).toEqual([['v', 4]]);
  });
});

describe('recent window charts', () => {
  it('charts booleans in every spelling and integers with either suffix', () => {
    const w = new RecentWindow({ pointsPerSeries: 4, maxBytes: big, maxBytesPerGateway: big });
    w.add(g1, [line(g1, 'm', 1, 'b1=t,b2=T,b3=true,b4=True,b5=TRUE,c1=f,c2=F,c3=false,c4=False,c5=FALSE,i=-12i,u=345u,x=1.5e1')]);
    const fields = Object.fromEntries(w.list(() => true).map((x) => [x.field, x.lastValue]));
    expect(fields).toEqual({ b1: 1, b2: 1, b3: 1, b4: 1, b5: 1, c1: 0, c2: 0, c3: 0, c4: 0, c5: 0, i: -12, u: 345, x: 15 });
  });

  it('charts no strings, and reads quoted or escaped field sections with the general parser', () => {
    const w = new RecentWindow({ pointsPerSeries: 4, maxBytes: big, maxBytesPerGateway: big });
    w.add(g1, [line(g1, 'q', 1, 'note="a,b=1",v=2'), line(g1, 'k', 1, 'my\\ v=3,w\\,x=4')]);
    expect(w.list(() => true).map((x) => `${x.source}.${x.field}=${x.lastValue}`)).toEqual(['q.v=2', 'k.my v=3', 'k.w,x=4']);
  });

  it('charts a field only where it was sent, and nothing for unknown gateways, sources and fields', () => {
    const w = new RecentWindow({ pointsPerSeries: 4, maxBytes: big, maxBytesPerGateway: big });
    w.add(g1, [line(g1, 'm', 1, 'v=1'), line(g1, 'm', 2, 'v=2,w=20'), line(g1, 'm', 3, 'v=3')]);
    expect(w.points({ gateway: 'gw-1', source: 'm', field: 'w' })).toEqual({
      info: { gateway: 'gw-1', source: 'm', field: 'w', township: 'town', compound: 'c1', measurement: 'power', lastTs: now + 2, lastValue: 20 },
      ts: [now + 2],
      values: [20],
    });
    expect(w.points({ gateway: 'gw-1', source: 'm', field: 'nope' })).toBeUndefined();
    expect(w.points({ gateway: 'gw-1', source: 'nope', field: 'v' })).toBeUndefined();
    expect(w.points({ gateway: 'nope', source: 'm', field: 'v' })).toBeUndefined();
    // list() keeps only what the filter takes (the latest line has v only).
    expect(w.list((s) => s.field === 'w')).toEqual([]);
    expect(w.list((s) => s.field === 'v').map((s) => s.lastValue)).toEqual([3]);
  });
});
