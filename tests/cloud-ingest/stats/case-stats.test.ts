// Statistics from a seeded case store (issue 16): cases raised and taken through the workflow on a real
// SQLite workflow database with a fake clock, then counted by cloud-ingest/stats; every figure below is
// worked out by hand from the seed (times in seconds after each case opened), not by the code under test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPolicy } from '../../../cloud-ingest/alarms/policy.js';
import { CaseStore } from '../../../cloud-ingest/alarms/store.js';
import { TEST_RULE } from '../../../cloud-ingest/alarms/test-alarms.js';
import type { StepRequest } from '../../../cloud-ingest/alarms/types.js';
import { openDatabase } from '../../../cloud-ingest/db/open.js';
import type { Db } from '../../../cloud-ingest/db/db.js';
import { caseStats, nearestRank, type StatsOptions } from '../../../cloud-ingest/stats/case-stats.js';
import { casesOpenedSince } from '../../../cloud-ingest/stats/load.js';
import { csvCell, toCsv } from '../../../cloud-ingest/stats/csv.js';
import { dataQuality } from '../../../cloud-ingest/stats/quality.js';
import { riskColour, riskInputs, riskSection } from '../../../cloud-ingest/stats/risk.js';
import { silentLogger } from '../../../contract/logger.js';
import { tempDir } from '../../helpers/peers.js';
import { alarmEvent } from '../fixture.js';

const S = 1000;
const H = 3_600_000;
const D = 86_400_000;
// Monday 1 June 2026, 00:00 in China (UTC+8).
const T0 = Date.UTC(2026, 4, 31, 16);
const A = { gateway: 'gw-a', township: 'town', compound: 'compound-a' };
const B = { gateway: 'gw-b', township: 'town', compound: 'compound-b' };

describe('case statistics on a seeded case store', () => {
  const dir = tempDir('stats');
  let db: Db;
  let store: CaseStore;
  let clock = T0;

  /** Opens a case at `at` and takes the steps, each `s` seconds after opening. */
  const seed = async (identity: typeof A, at: number, event: Parameters<typeof alarmEvent>[0], steps: [number, StepRequest][]) => {
    clock = at;
    const opened = await store.addEvent(identity, alarmEvent({ ...event, ts: at }), at);
    for (const [s, request] of steps) {
      clock = at + s * S;
      const now = (await store.get(opened!.caseId))!;
      if (now.closedAt === undefined) await store.step(now.caseId, request, 'li', now.version);
    }
    return (await store.get(opened!.caseId))!;
  };

  beforeAll(async () => {
    db = await openDatabase({ poolSize: 1 }, dir.path, silentLogger(), () => clock);
    store = new CaseStore(db, buildPolicy({}, 300), { now: () => clock });
    const fire = (n: number) => ({ eventId: `f${n}`, alarmId: `smoke-1/s${n}`, source: 'smoke-1', level: 'fire' as const, rule: 'profile:smoke' });
    // c1, day 1: real fire; confirmed 60 s, dispatched 120 s, handled 600 s, closed 900 s.
    await seed(A, T0 + 1 * H, fire(1), [[60, { step: 'confirmed', confirmation: 'real', method: 'phone' }], [120, { step: 'dispatched', to: 'wang' }], [600, { step: 'handled', note: '已处置' }], [900, { step: 'closed', cause: 'real_handled' }]]);
    // c2–c4, days 2–4: the same smoke detector, false alarms confirmed at 30 / 90 / 45 s, closed at 300 / 200 / 100 s.
    for (const [n, day, confirmS, closeS] of [[2, 1, 30, 300], [3, 2, 90, 200], [4, 3, 45, 100]] as const) {
      const c = await seed(A, T0 + day * D + H, fire(n), [[confirmS, { step: 'confirmed', confirmation: 'false_alarm', method: 'video' }], [closeS, { step: 'closed', cause: 'false_alarm', note: '厨房油烟' }]]);
      expect(c.closedAt).toBe(T0 + day * D + H + closeS * S);
      expect(c.cause).toBe('false_alarm');
    }
    // c5, day 2: residual current in compound B (no confirmation for level alarm); dispatched 300 s, closed 1200 s.
    await seed(B, T0 + 1 * D + 2 * H, { eventId: 'r1', alarmId: 'rcm-1/loop1', source: 'rcm-1', level: 'alarm', rule: 'profile:rcm' }, [[300, { step: 'dispatched', to: 'wang' }], [900, { step: 'handled', note: '更换插排' }], [1200, { step: 'closed', cause: 'real_handled' }]]);
    // c6, day 9 (second week): still open, escalated as overdue.
    const c6 = await seed(B, T0 + 8 * D + 3 * H, { eventId: 'r2', alarmId: 'rcm-1/loop2', source: 'rcm-1', level: 'alarm', rule: 'profile:rcm' }, []);
    clock = T0 + 8 * D + 4 * H;
    expect(await store.escalate(c6, 'leader', undefined)).toBe(true);
    // A siren test in compound A: counted apart, in no figure.
    await seed(A, T0 + 2 * D + 5 * H, { eventId: 't1', alarmId: 'siren/test', source: 'siren', level: 'fire', rule: TEST_RULE }, []);
  });

  afterAll(async () => {
    store?.close();
    await db?.close();
    dir.remove();
  });

  const options = (to: number): StatsOptions => ({ from: T0, to, utcOffsetMinutes: 480, falseAlarmRate: 0.3, falseAlarmMinClosed: 3, repeatMin: 3, repeatWindowMs: 7 * D });
  const stats = async (to: number) => caseStats(await casesOpenedSince(db, 'town', Math.min(T0, to - 7 * D), to), options(to));

  it('nearest-rank percentiles', () => {
    expect(nearestRank([30, 45, 60, 90], 0.5)).toBe(45);
    expect(nearestRank([30, 45, 60, 90], 0.9)).toBe(90);
    expect(nearestRank([7], 0.9)).toBe(7);
    expect(nearestRank([], 0.5)).toBeUndefined();
  });

  it('counts the township: by day and week, times, overdue, closure rate, false alarms', async () => {
    const s = await stats(T0 + 10 * D);
    expect(s.cases).toBe(6);
    expect(s.testCases).toBe(1);
    expect(s.byDay.map((b) => [b.start, b.cases, b.levels.fire, b.levels.alarm, b.classes.real_handled, b.classes.false_alarm, b.classes.open])).toEqual([
      ['2026-06-01', 1, 1, 0, 1, 0, 0],
      ['2026-06-02', 2, 1, 1, 1, 1, 0],
      ['2026-06-03', 1, 1, 0, 0, 1, 0],
      ['2026-06-04', 1, 1, 0, 0, 1, 0],
      ['2026-06-09', 1, 0, 1, 0, 0, 1],
    ]);
    expect(s.byWeek.map((b) => [b.start, b.cases, b.levels.fire, b.levels.alarm, b.classes.false_alarm, b.classes.open])).toEqual([
      ['2026-06-01', 5, 4, 1, 3, 0],
      ['2026-06-08', 1, 0, 1, 0, 1],
    ]);
    // Confirmed at 60, 30, 90, 45 s → sorted 30 45 60 90: median (rank 2) 45 s, p90 (rank 4) 90 s.
    expect(s.toConfirm).toEqual({ n: 4, median: 45 * S, p90: 90 * S });
    // Dispatched at 120 and 300 s: median (rank 1) 120 s, p90 (rank 2) 300 s.
    expect(s.toDispatch).toEqual({ n: 2, median: 120 * S, p90: 300 * S });
    // Closed at 900, 300, 200, 100, 1200 s → 100 200 300 900 1200: median (rank 3) 300 s, p90 (rank 5) 1200 s.
    expect(s.toClose).toEqual({ n: 5, median: 300 * S, p90: 1200 * S });
    expect([s.overdue, s.overdueOpen]).toEqual([1, 1]);
    expect(s.closed).toBe(5);
    expect(s.closureRate).toBeCloseTo(5 / 6, 12);
    // smoke-1: 4 closed, 3 false alarms = 0.75 ≥ 0.3 with ≥ 3 closed → flagged; rcm-1: 1 closed, none false.
    expect(s.falseAlarmsByDevice).toEqual([
      { compound: 'compound-a', gateway: 'gw-a', source: 'smoke-1', closed: 4, falseAlarms: 3, rate: 0.75, flagged: true },
      { compound: 'compound-b', gateway: 'gw-b', source: 'rcm-1', closed: 1, falseAlarms: 0, rate: 0, flagged: false },
    ]);
    expect(s.falseAlarmsByCompound).toEqual([
      { compound: 'compound-a', closed: 4, falseAlarms: 3, rate: 0.75, flagged: true },
      { compound: 'compound-b', closed: 1, falseAlarms: 0, rate: 0, flagged: false },
    ]);
    // The 7 days before day 11 hold only c4 of smoke-1 (and c6 of rcm-1): no repeat hazard.
    expect(s.repeatHazards).toEqual([]);
  });

  it('counts each compound on its own', async () => {
    const s = await stats(T0 + 10 * D);
    expect(Object.keys(s.compounds)).toEqual(['compound-a', 'compound-b']);
    const a = s.compounds['compound-a']!;
    expect([a.cases, a.testCases, a.closed, a.closureRate, a.overdue]).toEqual([4, 1, 4, 1, 0]);
    // 100 200 300 900: median (rank 2) 200 s, p90 (rank 4) 900 s.
    expect(a.toClose).toEqual({ n: 4, median: 200 * S, p90: 900 * S });
    const b = s.compounds['compound-b']!;
    expect([b.cases, b.closed, b.closureRate, b.overdue, b.overdueOpen]).toEqual([2, 1, 0.5, 1, 1]);
    expect(b.toDispatch).toEqual({ n: 1, median: 300 * S, p90: 300 * S });
  });

  it('finds the repeat hazard: the same detector and rule four times within 7 days', async () => {
    const s = await stats(T0 + 7 * D);
    expect(s.repeatHazards).toEqual([{ compound: 'compound-a', gateway: 'gw-a', source: 'smoke-1', rule: 'profile:smoke', cases: 4, first: T0 + H, last: T0 + 3 * D + H }]);
    expect(s.compounds['compound-b']!.repeatHazards).toEqual([]);
  });

  it('colours each compound by the default risk rules, with the reasons', async () => {
    const rules = riskSection.parse(undefined);
    const s = await stats(T0 + 7 * D);
    const open = await store.listOpen('town');
    const a = riskInputs(open.filter((c) => c.compound === 'compound-a'), s.compounds['compound-a'], 0);
    // compound-a: nothing open, but the smoke detector repeats (4 cases in 7 days) and cries wolf → orange.
    expect(riskColour(rules, a)).toEqual({ colour: 'orange', reasons: ['repeat:1'] });
    // compound-b: c6 is open at level alarm and overdue → red (overdue), before orange (open alarm).
    const b = riskInputs(open.filter((c) => c.compound === 'compound-b'), s.compounds['compound-b'], 0);
    expect(riskColour(rules, b)).toEqual({ colour: 'red', reasons: ['overdue:1'] });
    const quiet = { openLevels: new Set<string>(), overdueOpen: 0, repeatHazards: 0, flaggedDevices: 0, gatewaysOffline: 0 };
    expect(riskColour(rules, quiet).colour).toBe('green');
    expect(riskColour(rules, { ...quiet, gatewaysOffline: 1 })).toEqual({ colour: 'yellow', reasons: ['offline:1'] });
    expect(riskColour(rules, { ...quiet, flaggedDevices: 2, openLevels: new Set(['fire']) })).toEqual({ colour: 'red', reasons: ['open:fire'] });
    // Rules are config: a township that wants a flagged device orange says so.
    const custom = riskSection.parse({ red: { openLevels: ['fire'] }, orange: { flaggedDevices: 1 }, yellow: {} });
    expect(riskColour(custom, { ...quiet, flaggedDevices: 1 })).toEqual({ colour: 'orange', reasons: ['false_alarms:1'] });
  });

  it('writes CSV a spreadsheet cannot run: BOM, quotes, formulas defused', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell(undefined)).toBe('');
    expect(toCsv(['小区', 'n'], [['红旗巷', 1]])).toBe('\ufeff小区,n\r\n红旗巷,1\r\n');
  });

  it('measures data quality now: online shares, silent, stuck and out-of-range', () => {
    const gw = (gateway: string, connected: boolean, sources: { source: string; online: boolean }[]) => ({ gateway, compound: 'c', connected, lastSeen: 1, offlineForMs: undefined, spool: undefined, sources: sources.map((x) => ({ ...x, lastSeen: 1 })) });
    const series = (source: string, values: number[]) => ({ gateway: 'g1', compound: 'c', source, measurement: 'temperature', field: 'temp', values });
    const q = dataQuality(
      [gw('g1', true, [{ source: 'th-1', online: true }, { source: 'th-2', online: false }, { source: 'th-3', online: true }]), gw('g2', false, [{ source: 'x', online: false }])],
      [series('th-1', Array(12).fill(21.5) as number[]), series('th-3', [20, 21, 99, 22, -45, 23, 20, 21, 22, 23]), series('th-4', Array(9).fill(5) as number[])],
      { stuckMinPoints: 10, range: () => ({ min: -40, max: 85 }) },
    );
    // 1 of 2 gateways, 2 of 4 sensors online; th-2 and x silent; th-1 stuck at 21.5 (12 points; th-4 has only 9);
    // th-3 has 99 and -45 outside −40…85.
    expect(q.gateways).toEqual({ total: 2, online: 1, rate: 0.5 });
    expect(q.sources).toEqual({ total: 4, online: 2, rate: 0.5 });
    expect(q.silent.map((x) => x.source)).toEqual(['th-2', 'x']);
    expect(q.stuck).toEqual([{ gateway: 'g1', compound: 'c', source: 'th-1', field: 'temp', value: 21.5, points: 12 }]);
    expect(q.outOfRange).toEqual([{ gateway: 'g1', compound: 'c', source: 'th-3', field: 'temp', count: 2, points: 10 }]);
  });
});
