// Quantiles for the benchmarks, by one stated method: nearest rank, the value at rank ceil(q·n) of the n
// samples sorted ascending (1-based). So "p99" of 30 samples is the largest (rank 30), never an
// interpolation and never the second-largest by rounding down. Every figure is printed with its n, so a
// reader can see how far a tail quantile rests on few samples.

/** The nearest-rank q-quantile (0 < q ≤ 1) of `values`; throws on no samples rather than printing a guess. */
export function nearestRank(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of no samples');
  if (!(q > 0 && q <= 1)) throw new Error(`quantile ${q} is outside (0, 1]`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(q * sorted.length) - 1]!;
}

export interface Quantiles {
  readonly method: 'nearest-rank (ceil q·n)';
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** p50, p99 and max with the sample count beside them, rounded to `digits` decimals. */
export function quantiles(values: readonly number[], digits = 3): Quantiles {
  const round = (x: number) => Number(x.toFixed(digits));
  return { method: 'nearest-rank (ceil q·n)', n: values.length, p50: round(nearestRank(values, 0.5)), p99: round(nearestRank(values, 0.99)), max: round(nearestRank(values, 1)) };
}
