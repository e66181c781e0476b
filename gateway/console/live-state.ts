// What the installer console shows per source, kept up to date from the event bus: the latest value of
// every point (with unit and quality), point faults, online/offline and the last error, and the source's
// fault counters from the stats (timeouts, CRC, exceptions), so wiring and config problems are visible.
import type { RuntimeContext } from '../runtime.js';
import type { LocalText, MeasurementValue, Quality, SourceFaultKind } from '../pipeline/types.js';

export interface PointView {
  readonly id: string;
  readonly name: LocalText | undefined;
  value: MeasurementValue | undefined;
  unit: string | undefined;
  quality: Quality | undefined;
  /** Wall-clock ms of the latest value or fault. */
  ts: number | undefined;
  fault: { code: string; text: LocalText } | undefined;
}

export interface SourceView {
  readonly id: string;
  readonly profile: string;
  readonly profileName: LocalText;
  readonly tags: Readonly<Record<string, string>>;
  online: boolean | undefined;
  lastError: { kind: SourceFaultKind; message: string; ts: number } | undefined;
  readonly points: PointView[];
}

export interface SourceSnapshot extends Omit<SourceView, 'points'> {
  readonly points: readonly PointView[];
  /** Fault counters by kind (timeout, crc, exception, …) from the gateway's stats. */
  readonly counters: Readonly<Record<string, number>>;
}

const COUNTER_KINDS: readonly SourceFaultKind[] = ['timeout', 'exception', 'crc', 'short_frame', 'connection', 'decode'];
/**
 * Polled drivers count faults under their own prefix; DL/T 645 calls a refusal an error reply (0xD1). A
 * GB/T 26875 transmission device's line trouble: damaged packets, a wrong address, silence, disconnects.
 */
const COUNTERS_BY_DRIVER: Readonly<Record<string, readonly string[]>> = {
  modbus: COUNTER_KINDS,
  dlt645: [...COUNTER_KINDS, 'error_reply'],
  gbt26875: ['bad_checksum', 'bad_length', 'bad_description', 'wrong_address', 'unknown_command', 'idle_timeout', 'disconnected', 'retransmit'],
};

export class LiveState {
  private readonly sources = new Map<string, SourceView>();
  private readonly drivers = new Map<string, string>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly context: Pick<RuntimeContext, 'sources' | 'events' | 'clock' | 'stats'>) {
    for (const source of context.sources) {
      this.drivers.set(source.config.id, source.profile.driver);
      this.sources.set(source.config.id, {
        id: source.config.id,
        profile: source.profile.id,
        profileName: source.profile.name,
        tags: source.tags,
        online: undefined,
        lastError: undefined,
        points: source.resolved.points
          .filter((p) => !p.internal)
          .map((p) => ({ id: p.id, name: p.name, value: undefined, unit: p.unit, quality: undefined, ts: undefined, fault: undefined })),
      });
    }
  }

  start(): void {
    const { events, clock } = this.context;
    this.unsubscribe.push(
      events.on('measurement', (m) => {
        const point = this.point(m.source, m.point);
        if (!point) return;
        Object.assign(point, { value: m.value, unit: m.unit, quality: m.quality, ts: m.ts, fault: undefined });
      }),
      events.on('fault', (f) => {
        const point = this.point(f.source, f.point);
        if (!point) return;
        Object.assign(point, { quality: 'bad', ts: f.ts, fault: { code: f.code, text: f.text } });
      }),
      events.on('source.status', (s) => {
        const source = this.sources.get(s.source);
        if (!source) return;
        source.online = s.online;
        if (s.lastError) source.lastError = { ...s.lastError, ts: clock.now() };
      }),
    );
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  snapshot(): SourceSnapshot[] {
    return [...this.sources.values()].map((source) => ({
      ...source,
      points: source.points.map((p) => ({ ...p })),
      counters: this.counters(source.id),
    }));
  }

  private counters(source: string): Record<string, number> {
    const driver = this.drivers.get(source) ?? 'modbus';
    const kinds = COUNTERS_BY_DRIVER[driver] ?? [];
    return Object.fromEntries(kinds.map((kind) => [kind, this.context.stats.counter(`${driver}.${kind}`, { source })]).filter(([, n]) => n !== 0));
  }

  private point(source: string, point: string): PointView | undefined {
    return this.sources.get(source)?.points.find((p) => p.id === point);
  }
}
