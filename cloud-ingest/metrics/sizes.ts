// The sizes of what cloud-ingest keeps in memory, as gauges on /metrics (issue 19: RSS bounded in bytes,
// the registry and the dedup set sized and reported). Each structure is bounded by its own budget; these
// say how full each is, so an operator sees which one grows with the fleet before the RSS does.
import type { Stats } from '../../contract/stats.js';
import type { Ingest } from '../ingest/ingest.js';
import type { RecentWindow, WindowLimits } from '../ingest/recent-window.js';
import type { SeriesBudget } from '../ingest/series-budget.js';
import type { GatewayRegistry } from '../registry/registry.js';

export interface SizedParts {
  readonly window: RecentWindow;
  readonly windowLimits: WindowLimits;
  readonly ingest: Ingest;
  readonly series: SeriesBudget;
  readonly registry: GatewayRegistry;
}

/** Sets the size gauges; /metrics calls it before each answer (they are read, not counted). */
export function reportSizes(stats: Stats, parts: SizedParts): void {
  stats.set('ingest.window_bytes', {}, parts.window.bytes());
  stats.set('ingest.window_budget_bytes', {}, parts.windowLimits.maxBytes);
  stats.set('ingest.window_sources', {}, parts.window.sourceCount());
  const sizes = parts.ingest.sizes();
  stats.set('ingest.head_cache_bytes', {}, sizes.headCacheBytes);
  stats.set('ingest.head_cache_heads', {}, sizes.heads);
  stats.set('ingest.dedup_ids', {}, sizes.dedupIds);
  stats.set('ingest.dedup_capacity', {}, sizes.dedupCapacity);
  stats.set('ingest.series_held', {}, parts.series.held());
  const counts = parts.registry.counts();
  stats.set('registry.gateways', {}, counts.token + counts.scrypt);
  stats.set('registry.scrypt_gateways', {}, counts.scrypt);
  stats.set('registry.verified_cached', {}, parts.registry.verifiedCached());
}
