// Night-time electricity (the Nantong case: power used at night in a building that should be closed):
// per meter, the energy used in the night window (views.nightEnergy, 00:00–05:00 local by default) of the
// last night against the median of its own previous nights; flagged when above `factor` × that baseline
// and at least minKwh. Read from the time-series database with one instant query per night,
// increase(<energy counter>[window]) at the window's end. The gateway's `window` rule alarms on a fixed
// threshold at night (e.g. active power ≥ 0.5 kW); this compares each meter with itself.
import { HistoryError } from './prometheus.js';

export interface NightEnergyOptions {
  readonly measurement: string;
  readonly field: string;
  /** Local hh:mm; a window with to <= from crosses midnight. */
  readonly from: string;
  readonly to: string;
  readonly nights: number;
  readonly factor: number;
  readonly minKwh: number;
  readonly utcOffsetMinutes: number;
  readonly timeoutMs: number;
}

export interface MeterNights {
  readonly compound: string;
  readonly gateway: string;
  readonly source: string;
  /** Energy per night, newest first (index 0 = last night); null where the database had no data. */
  readonly nights: (number | null)[];
  readonly baseline: number | undefined;
  readonly lastNight: number | null;
  readonly flagged: boolean;
}

const MIN = 60_000;
const DAY = 86_400_000;
const METRIC_PART = /^[A-Za-z_][A-Za-z0-9_]*$/;

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** End times (ms) of the last `count` night windows that ended at or before `now`, newest first. */
export function nightEnds(now: number, to: string, utcOffsetMinutes: number, count: number): number[] {
  const offset = utcOffsetMinutes * MIN;
  const localMidnight = Math.floor((now + offset) / DAY) * DAY - offset;
  let end = localMidnight + minutesOf(to) * MIN;
  if (end > now) end -= DAY;
  return Array.from({ length: count }, (_, k) => end - k * DAY);
}

function median(values: number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function nightEnergy(baseUrl: string, township: string, o: NightEnergyOptions, now: number): Promise<MeterNights[]> {
  if (!METRIC_PART.test(o.measurement) || !METRIC_PART.test(o.field)) throw new HistoryError(`nightEnergy: "${o.measurement}_${o.field}" is not a metric name`);
  const lengthMin = (minutesOf(o.to) - minutesOf(o.from) + 24 * 60) % (24 * 60) || 24 * 60;
  const query = `increase(${o.measurement}_${o.field}{township=${JSON.stringify(township)}}[${lengthMin}m])`;
  const ends = nightEnds(now, o.to, o.utcOffsetMinutes, o.nights + 1);
  const meters = new Map<string, { compound: string; gateway: string; source: string; nights: (number | null)[] }>();
  const url = `${baseUrl.replace(/\/$/, '')}/api/v1/query`;
  for (const [k, end] of ends.entries()) {
    let body: { status?: string; data?: { result?: { metric: Record<string, string>; value: [number, string] }[] } };
    try {
      const res = await fetch(url, { method: 'POST', body: new URLSearchParams({ query, time: String(end / 1000) }), signal: AbortSignal.timeout(o.timeoutMs) });
      body = (await res.json()) as typeof body;
      if (!res.ok || body.status !== 'success') throw new Error(`HTTP ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
    } catch (error) {
      throw new HistoryError(`nightEnergy: ${url} failed: ${(error as Error).message}`);
    }
    for (const r of body.data?.result ?? []) {
      const gateway = r.metric.gateway ?? '';
      const source = r.metric.source ?? '';
      const key = `${gateway}\u0000${source}`;
      const m = meters.get(key) ?? { compound: r.metric.compound ?? '', gateway, source, nights: ends.map(() => null) };
      const value = Number(r.value[1]);
      m.nights[k] = Number.isFinite(value) ? value : null;
      meters.set(key, m);
    }
  }
  return [...meters.values()]
    .map((m) => {
      const baseline = median(m.nights.slice(1).filter((v): v is number => v !== null));
      const lastNight = m.nights[0] ?? null;
      const flagged = lastNight !== null && baseline !== undefined && lastNight >= o.minKwh && lastNight > o.factor * baseline;
      return { ...m, baseline, lastNight, flagged };
    })
    .sort((a, b) => Number(b.flagged) - Number(a.flagged) || a.compound.localeCompare(b.compound) || a.source.localeCompare(b.source));
}
