// Data quality now (issue 16): the share of gateways and sensors online (gateways by their connection,
// event-only sources by their heartbeat contract, see console/views.ts), silent sensors, and from the
// recent window, stuck values (one number repeated over the whole window) and values outside the field's
// plausible range (views.fields[].range). A snapshot of the present, not a history.
import type { GatewayView } from '../console/views.js';

export interface WindowSeries {
  readonly gateway: string;
  readonly compound: string;
  readonly source: string;
  readonly measurement: string;
  readonly field: string;
  readonly values: readonly number[];
}

export interface QualityOptions {
  /** A series with at least this many points, all equal, is stuck. */
  readonly stuckMinPoints: number;
  /** Plausible range of a field (measurement-specific first), if configured. */
  range(measurement: string, field: string): { min?: number | undefined; max?: number | undefined } | undefined;
}

export interface DataQuality {
  readonly gateways: { total: number; online: number; rate: number | undefined };
  readonly sources: { total: number; online: number; rate: number | undefined };
  readonly silent: { gateway: string; compound: string; source: string; lastSeen: number | undefined; lastError?: string | undefined }[];
  readonly stuck: { gateway: string; compound: string; source: string; field: string; value: number; points: number }[];
  readonly outOfRange: { gateway: string; compound: string; source: string; field: string; count: number; points: number }[];
}

const rate = (n: number, total: number) => (total === 0 ? undefined : n / total);

export function dataQuality(gateways: readonly GatewayView[], series: readonly WindowSeries[], o: QualityOptions): DataQuality {
  const sources = gateways.flatMap((g) => g.sources.map((s) => ({ ...s, gateway: g.gateway, compound: g.compound })));
  const online = sources.filter((s) => s.online).length;
  const connected = gateways.filter((g) => g.connected).length;
  return {
    gateways: { total: gateways.length, online: connected, rate: rate(connected, gateways.length) },
    sources: { total: sources.length, online, rate: rate(online, sources.length) },
    silent: sources.filter((s) => !s.online).map((s) => ({ gateway: s.gateway, compound: s.compound, source: s.source, lastSeen: s.lastSeen, lastError: s.lastError })),
    stuck: series
      .filter((s) => s.values.length >= o.stuckMinPoints && s.values.every((v) => v === s.values[0]))
      .map((s) => ({ gateway: s.gateway, compound: s.compound, source: s.source, field: s.field, value: s.values[0]!, points: s.values.length })),
    outOfRange: series.flatMap((s) => {
      const r = o.range(s.measurement, s.field);
      if (!r) return [];
      const count = s.values.filter((v) => (r.min !== undefined && v < r.min) || (r.max !== undefined && v > r.max)).length;
      return count > 0 ? [{ gateway: s.gateway, compound: s.compound, source: s.source, field: s.field, count, points: s.values.length }] : [];
    }),
  };
}
