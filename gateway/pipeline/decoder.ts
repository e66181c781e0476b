// The decode stage: reading → measurement (or fault). Looks up the source's resolved profile,
// decodes every point the reading carries, stamps time and tags, and emits on the bus.
import { decodeAll } from '../devices/decode.js';
import { deviceTime } from '../devices/device-time.js';
import type { ResolvedPoint } from '../devices/resolve.js';
import type { ResolvedSource } from '../drivers/driver.js';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import type { EventBus } from './event-bus.js';
import type { GatewayEvents } from './events.js';
import type { Clock, Measurement, Reading } from './types.js';

export class Decoder {
  /** Each source with its points by id, made once: a map per reading was a share of the allocation at saturation. */
  private readonly sources: ReadonlyMap<string, { readonly source: ResolvedSource; readonly pointsById: ReadonlyMap<string, ResolvedPoint> }>;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly context: { events: EventBus<GatewayEvents>; clock: Clock; log: Logger; stats: Stats },
    sources: readonly ResolvedSource[],
  ) {
    this.sources = new Map(sources.map((s) => [s.config.id, { source: s, pointsById: new Map(s.resolved.points.map((p) => [p.id, p])) }]));
  }

  start(): void {
    this.unsubscribe = this.context.events.on('reading', (reading) => this.decode(reading));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  decode(reading: Reading): void {
    const { events, clock, log, stats } = this.context;
    const known = this.sources.get(reading.source);
    if (!known) {
      stats.inc('decode.unknown_source', { source: reading.source });
      log.warn({ source: reading.source }, 'reading from a source that is not configured; dropped');
      return;
    }
    const { source, pointsById: byId } = known;
    // Wall time derived from the reading's monotonic stamp, so queueing inside the gateway does not skew
    // it; or the device's own time, where its profile names one and it can be believed (device-time.ts).
    let ts = clock.now() - (clock.mono() - reading.mono);
    let fromDevice = false;
    const timeSynced = clock.synced();
    const spec = source.profile.timestamp;
    if (spec && timeSynced) {
      const told = deviceTime(spec, reading.values, ts);
      if (told.kind === 'time') {
        ts = told.ts;
        fromDevice = true;
      } else if (told.kind === 'rejected') {
        stats.inc('decode.device_time_rejected', { source: reading.source });
        log.debug({ source: reading.source, reason: told.reason }, 'device time not used; the gateway stamps the reading');
      }
    }
    for (const [pointId, result] of decodeAll(source.resolved.points, reading.values)) {
      const point = byId.get(pointId)!;
      if (result.kind === 'error') {
        stats.inc('decode.error', { source: reading.source });
        log.warn({ source: reading.source, point: pointId, error: result.message }, 'point could not be decoded');
        continue;
      }
      if (result.kind === 'fault') {
        stats.inc('decode.fault', { source: reading.source });
        events.emit('fault', {
          source: reading.source,
          point: pointId,
          class: point.class,
          code: result.code,
          raw: result.raw,
          text: result.text,
          mono: reading.mono,
          ts,
          tags: source.tags,
        });
        continue;
      }
      if (point.internal) continue;
      const measurement: Measurement = {
        source: reading.source,
        point: pointId,
        class: point.class,
        value: result.value,
        unit: result.unit,
        ts,
        mono: reading.mono,
        timeSynced,
        quality: 'good',
        tags: source.tags,
      };
      events.emit('measurement', fromDevice ? { ...measurement, deviceTime: true } : measurement);
    }
  }
}
