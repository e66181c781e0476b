// History read back from the time-series database cloud-ingest writes, through its Prometheus query API
// (VictoriaMetrics: /api/v1/query_range). A line `temperature,source=th-1 temp=21` is stored by
// VictoriaMetrics as the metric temperature_temp{source="th-1",township=…,gateway=…}. Each chart point
// is the mean over its step (or over gapAfter, if longer): a step with no sample has no point, which the
// chart draws as a gap instead of a straight line across an outage.
import { rangeSteps, type HistoryRange } from './ranges.js';

export interface HistoryKey {
  readonly township: string;
  readonly gateway: string;
  readonly source: string;
  readonly measurement: string;
  readonly field: string;
}

export interface HistorySeries {
  readonly from: number;
  readonly to: number;
  readonly stepMs: number;
  readonly ts: number[];
  /** One per ts; null where the database had no sample (a gap). */
  readonly values: (number | null)[];
}

/** The database could not answer (down, refused the query): the console says so instead of an empty chart. */
export class HistoryError extends Error {
  override readonly name = 'HistoryError';
}

const METRIC_PART = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** PromQL label value in double quotes (ids are [A-Za-z0-9_-], escaping is for safety only). */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function historyQuery(key: HistoryKey, windowS: number): string {
  if (!METRIC_PART.test(key.measurement) || !METRIC_PART.test(key.field)) throw new HistoryError(`history: measurement "${key.measurement}" / field "${key.field}" is not a metric name`);
  const selector = `${key.measurement}_${key.field}{township=${quote(key.township)},gateway=${quote(key.gateway)},source=${quote(key.source)}}`;
  return `avg(avg_over_time(${selector}[${windowS}s]))`;
}

export class PrometheusHistory {
  constructor(
    private readonly baseUrl: string,
    private readonly options: { readonly gapAfterS: number; readonly timeoutMs: number },
  ) {}

  async series(key: HistoryKey, range: HistoryRange, end: number): Promise<HistorySeries> {
    const steps = rangeSteps(range, end);
    const windowS = Math.max(steps.stepMs / 1000, this.options.gapAfterS);
    const params = new URLSearchParams({ query: historyQuery(key, windowS), start: String(steps.start / 1000), end: String(steps.end / 1000), step: `${steps.stepMs / 1000}s` });
    const url = `${this.baseUrl.replace(/\/$/, '')}/api/v1/query_range`;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', body: params, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      throw new HistoryError(`history: ${url} did not answer: ${(error as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new HistoryError(`history: ${url} answered HTTP ${res.status}: ${text.slice(0, 300)}`);
    const body = JSON.parse(text) as { status?: string; data?: { result?: { values?: [number, string][] }[] } };
    if (body.status !== 'success') throw new HistoryError(`history: ${url} answered ${text.slice(0, 300)}`);
    const byTs = new Map<number, number>();
    for (const [t, v] of body.data?.result?.[0]?.values ?? []) {
      const value = Number(v);
      if (Number.isFinite(value)) byTs.set(Math.round(t * 1000), value);
    }
    return { from: steps.start, to: steps.end, stepMs: steps.stepMs, ts: steps.ts, values: steps.ts.map((t) => byTs.get(t) ?? null) };
  }
}
