// Statistics of a township's alarm cases (issue 16), for the township and per compound: cases by level
// and by class (closing cause, or still open) per day and per ISO week; median and p90 time to confirm,
// dispatch and close; late cases (a step overdue); the closure rate (结案率 = closed / cases); false-alarm
// rates per device and per compound, flagged past a threshold; repeat hazards (the same source and rule in
// ≥ N cases within 7 days). Pure: the cases come from the case store (see load.ts). Test cases (isTest)
// are counted apart and left out of every figure. Days are local days (UTC+8 by default: China has no DST).
import { ALARM_LEVELS } from '../../contract/vocabulary.js';
import type { AlarmCase, CloseCause } from '../alarms/types.js';

export interface StatsOptions {
  /** Cases opened in [from, to) are counted. */
  readonly from: number;
  readonly to: number;
  readonly utcOffsetMinutes: number;
  /** A device or compound is flagged when its false alarms / closed cases reach this (with minClosed closed). */
  readonly falseAlarmRate: number;
  readonly falseAlarmMinClosed: number;
  /** A repeat hazard: the same source and rule in at least this many cases within repeatWindowMs before `to`. */
  readonly repeatMin: number;
  readonly repeatWindowMs: number;
}



export type CaseClass = CloseCause | 'open';
const CLASSES: readonly CaseClass[] = ['real_handled', 'false_alarm', 'device_fault', 'test', 'open'];

export interface Bucket {
  /** Local date (YYYY-MM-DD): the day, or the Monday of the ISO week. */
  readonly start: string;
  readonly cases: number;
  readonly levels: Record<string, number>;
  readonly classes: Record<string, number>;
}

/** Durations in ms; median and p90 by nearest rank (a value that really occurred), undefined without cases. */
export interface Durations {
  readonly n: number;
  readonly median: number | undefined;
  readonly p90: number | undefined;
}

export interface FalseAlarmRate {
  readonly gateway?: string;
  readonly source?: string;
  readonly compound: string;
  readonly closed: number;
  readonly falseAlarms: number;
  readonly rate: number;
  readonly flagged: boolean;
}

export interface RepeatHazard {
  readonly compound: string;
  readonly gateway: string;
  readonly source: string;
  readonly rule: string;
  readonly cases: number;
  readonly first: number;
  readonly last: number;
}

export interface CaseStats {
  readonly cases: number;
  readonly testCases: number;
  readonly byDay: Bucket[];
  readonly byWeek: Bucket[];
  readonly toConfirm: Durations;
  readonly toDispatch: Durations;
  readonly toClose: Durations;
  /** Cases with a step that was late (超时), and of those, how many are still open. */
  readonly overdue: number;
  readonly overdueOpen: number;
  readonly closed: number;
  /** 结案率: closed / cases (undefined without cases). */
  readonly closureRate: number | undefined;
  readonly falseAlarmsByDevice: FalseAlarmRate[];
  readonly falseAlarmsByCompound: FalseAlarmRate[];
  readonly repeatHazards: RepeatHazard[];
}

export interface TownshipStats extends CaseStats {
  readonly from: number;
  readonly to: number;
  readonly compounds: Record<string, CaseStats>;
}

/** Nearest-rank percentile of sorted values: the smallest value with at least p of the values at or below it. */
export function nearestRank(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

function durations(values: number[]): Durations {
  const sorted = values.sort((a, b) => a - b);
  return { n: sorted.length, median: nearestRank(sorted, 0.5), p90: nearestRank(sorted, 0.9) };
}

function localDay(ts: number, offsetMinutes: number): string {
  return new Date(ts + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

function isoWeekStart(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const monday = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() - monday * 86_400_000).toISOString().slice(0, 10);
}

function buckets(cases: readonly AlarmCase[], key: (c: AlarmCase) => string): Bucket[] {
  const map = new Map<string, { cases: number; levels: Record<string, number>; classes: Record<string, number> }>();
  for (const c of cases) {
    const k = key(c);
    let b = map.get(k);
    if (!b) map.set(k, (b = { cases: 0, levels: Object.fromEntries(ALARM_LEVELS.map((l) => [l, 0])), classes: Object.fromEntries(CLASSES.map((x) => [x, 0])) }));
    b.cases++;
    b.levels[c.level] = (b.levels[c.level] ?? 0) + 1;
    const cls: CaseClass = c.closedAt !== undefined && c.cause ? c.cause : 'open';
    b.classes[cls] = (b.classes[cls] ?? 0) + 1;
  }
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([start, b]) => ({ start, ...b }));
}

const firstStep = (c: AlarmCase, step: 'confirmed' | 'dispatched') => c.steps.find((s) => s.step === step)?.at;

function rates<K extends string>(cases: readonly AlarmCase[], key: (c: AlarmCase) => K, describe: (c: AlarmCase) => Omit<FalseAlarmRate, 'closed' | 'falseAlarms' | 'rate' | 'flagged'>, o: StatsOptions): FalseAlarmRate[] {
  const map = new Map<K, { about: ReturnType<typeof describe>; closed: number; falseAlarms: number }>();
  for (const c of cases) {
    if (c.closedAt === undefined) continue;
    const k = key(c);
    const entry = map.get(k) ?? { about: describe(c), closed: 0, falseAlarms: 0 };
    entry.closed++;
    if (c.cause === 'false_alarm') entry.falseAlarms++;
    map.set(k, entry);
  }
  return [...map.values()]
    .map((e) => {
      const rate = e.falseAlarms / e.closed;
      return { ...e.about, closed: e.closed, falseAlarms: e.falseAlarms, rate, flagged: e.closed >= o.falseAlarmMinClosed && rate >= o.falseAlarmRate };
    })
    .sort((a, b) => Number(b.flagged) - Number(a.flagged) || b.rate - a.rate || b.closed - a.closed);
}

function repeats(cases: readonly AlarmCase[], o: StatsOptions): RepeatHazard[] {
  const since = o.to - o.repeatWindowMs;
  const map = new Map<string, RepeatHazard>();
  for (const c of cases) {
    if (c.openedAt < since || c.openedAt >= o.to) continue;
    // A case counts once per rule it raised (a case groups one source's alarms).
    for (const rule of new Set(c.alarms.map((a) => a.rule))) {
      const k = `${c.gateway}\u0000${c.source}\u0000${rule}`;
      const had = map.get(k);
      map.set(k, had ? { ...had, cases: had.cases + 1, first: Math.min(had.first, c.openedAt), last: Math.max(had.last, c.openedAt) } : { compound: c.compound, gateway: c.gateway, source: c.source, rule, cases: 1, first: c.openedAt, last: c.openedAt });
    }
  }
  return [...map.values()].filter((r) => r.cases >= o.repeatMin).sort((a, b) => b.cases - a.cases || b.last - a.last);
}

/** Figures for one set of cases: `inRange` are those opened in [from, to); `recent` feeds the repeat window. */
function figures(all: readonly AlarmCase[], o: StatsOptions): CaseStats {
  const real = all.filter((c) => !c.isTest);
  const inRange = real.filter((c) => c.openedAt >= o.from && c.openedAt < o.to);
  const closed = inRange.filter((c) => c.closedAt !== undefined);
  const overdue = inRange.filter((c) => c.overdue);
  const day = (c: AlarmCase) => localDay(c.openedAt, o.utcOffsetMinutes);
  return {
    cases: inRange.length,
    testCases: all.filter((c) => c.isTest && c.openedAt >= o.from && c.openedAt < o.to).length,
    byDay: buckets(inRange, day),
    byWeek: buckets(inRange, (c) => isoWeekStart(day(c))),
    toConfirm: durations(inRange.map((c) => firstStep(c, 'confirmed')).flatMap((at, i) => (at === undefined ? [] : [at - inRange[i]!.openedAt]))),
    toDispatch: durations(inRange.map((c) => firstStep(c, 'dispatched')).flatMap((at, i) => (at === undefined ? [] : [at - inRange[i]!.openedAt]))),
    toClose: durations(closed.map((c) => c.closedAt! - c.openedAt)),
    overdue: overdue.length,
    overdueOpen: overdue.filter((c) => c.closedAt === undefined).length,
    closed: closed.length,
    closureRate: inRange.length === 0 ? undefined : closed.length / inRange.length,
    falseAlarmsByDevice: rates(inRange, (c) => `${c.gateway}\u0000${c.source}`, (c) => ({ compound: c.compound, gateway: c.gateway, source: c.source }), o),
    falseAlarmsByCompound: rates(inRange, (c) => c.compound, (c) => ({ compound: c.compound }), o),
    repeatHazards: repeats(real, o),
  };
}

/** The township's figures and each compound's, from cases opened since min(from, to - repeat window). */
export function caseStats(cases: readonly AlarmCase[], options: StatsOptions): TownshipStats {
  const compounds: Record<string, CaseStats> = {};
  for (const compound of [...new Set(cases.map((c) => c.compound))].sort()) compounds[compound] = figures(cases.filter((c) => c.compound === compound), options);
  return { from: options.from, to: options.to, ...figures(cases, options), compounds };
}
