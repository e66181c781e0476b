// The history ranges the console offers and the step of each: about 300 points a chart, whatever the span.
export const HISTORY_RANGES = {
  '1h': { spanMs: 3_600_000, stepMs: 15_000 },
  '24h': { spanMs: 86_400_000, stepMs: 300_000 },
  '7d': { spanMs: 7 * 86_400_000, stepMs: 1_800_000 },
  '30d': { spanMs: 30 * 86_400_000, stepMs: 7_200_000 },
} as const;

export type HistoryRange = keyof typeof HISTORY_RANGES;

export function isHistoryRange(value: unknown): value is HistoryRange {
  return typeof value === 'string' && Object.hasOwn(HISTORY_RANGES, value);
}

/**
 * Chart times for a range ending at `end`: aligned to the step (so two charts of one range line up), the
 * last step at or just after `end`, so the newest samples are in the chart.
 */
export function rangeSteps(range: HistoryRange, end: number): { start: number; end: number; stepMs: number; ts: number[] } {
  const { spanMs, stepMs } = HISTORY_RANGES[range];
  const last = Math.ceil(end / stepMs) * stepMs;
  const start = last - spanMs + stepMs;
  const ts: number[] = [];
  for (let t = start; t <= last; t += stepMs) ts.push(t);
  return { start, end: last, stepMs, ts };
}
