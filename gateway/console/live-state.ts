// What the installer console shows per source, kept up to date from the event bus: the latest value of
// every point (with unit and quality), point faults, online/offline and the last error, and the source's
// fault counters from the stats (timeouts, CRC, exceptions), so wiring and config problems are visible.
// Also the alarms not yet cleared (from 'alarm' events, as the actuators see them) and what each siren
// and strobe is doing for them, so an installer sees a flood as a flood, not as "36 cm good".
import { drivingLevelOf } from '../actuators/gpio/gpio-output.js';
import { AlarmBoard } from '../alarms/board.js';
import { locationText } from '../alarms/text.js';
import type { ResolvedPoint } from '../devices/resolve.js';
import type { RuntimeContext } from '../pipeline/stage.js';
import type { AlarmLevel, AlarmState, LocalText, MeasurementValue, Quality, SourceFaultKind } from '../pipeline/types.js';
import { stateLabel } from './state-labels.js';

export interface PointView {
  readonly id: string;
  readonly name: LocalText | undefined;
  value: MeasurementValue | undefined;
  unit: string | undefined;
  quality: Quality | undefined;
  /** Wall-clock ms of the latest value or fault. */
  ts: number | undefined;
  fault: { code: string; text: LocalText } | undefined;
  /** For a point with a state table: the current state in zh-CN and en. */
  label: LocalText | undefined;
  /** A raw bit pattern (no unit, no state table): shown in hex with the bits that are set. */
  readonly raw: boolean;
  /** For a raw bit pattern: the fields other points decode from it, so the console names the bits that are set. */
  readonly fields: readonly { readonly offset: number; readonly width: number; readonly name: LocalText | undefined; readonly id: string }[];
}

export interface AlarmSnapshot {
  readonly alarmId: string;
  readonly source: string;
  readonly point: string | undefined;
  readonly level: AlarmLevel;
  readonly state: AlarmState;
  readonly silenced: boolean;
  readonly text: LocalText;
  readonly location: LocalText;
  readonly raisedTs: number;
  readonly test: boolean;
}

export interface OutputSnapshot {
  readonly id: string;
  readonly role: 'siren' | 'strobe';
  /** The alarm level it is playing, or undefined when quiet/dark. */
  readonly level: AlarmLevel | undefined;
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
  opcua: ['bad_status', 'uncertain_status', 'unsupported_value', 'connect_error', 'connect_retry', 'connection_lost', 'keepalive_failure', 'subscription_error', 'monitor_error'],
  mqtt: ['malformed', 'subscribe_refused'],
  gpio: ['read_error', 'watch_error'],
};

/** A whole register that other points of the source decode bit by bit (e.g. fault flags): show its bits. */
function isRawBitPattern(point: ResolvedPoint, all: readonly ResolvedPoint[]): boolean {
  if (point.type === 'bit' || point.type === 'bitfield' || point.unit !== undefined || point.states !== undefined) return false;
  return all.some((other) => other !== point && (other.type === 'bitfield' || other.type === 'bit') && other.address === point.address && other.function === point.function);
}

/** The bit and bitfield points read from the same register, by position. */
function bitFieldsOf(point: ResolvedPoint, all: readonly ResolvedPoint[]): PointView['fields'] {
  return all
    .filter((other) => other !== point && other.address === point.address && other.function === point.function && (other.type === 'bitfield' || other.type === 'bit'))
    .map((other) => ({ id: other.id, name: other.name, offset: other.type === 'bit' ? (other.bit ?? 0) : (other.bits?.offset ?? 0), width: other.type === 'bit' ? 1 : (other.bits?.width ?? 1) }))
    .sort((a, b) => a.offset - b.offset);
}

export class LiveState {
  private readonly sources = new Map<string, SourceView>();
  private readonly drivers = new Map<string, string>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly board = new AlarmBoard();

  constructor(private readonly context: Pick<RuntimeContext, 'sources' | 'events' | 'clock' | 'stats' | 'site'>) {
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
          .map((p) => ({ id: p.id, name: p.name, value: undefined, unit: p.unit, quality: undefined, ts: undefined, fault: undefined, label: undefined, raw: isRawBitPattern(p, source.resolved.points), fields: isRawBitPattern(p, source.resolved.points) ? bitFieldsOf(p, source.resolved.points) : [] })),
      });
    }
  }

  start(): void {
    const { events, clock } = this.context;
    this.unsubscribe.push(
      events.on('measurement', (m) => {
        const point = this.point(m.source, m.point);
        if (!point) return;
        Object.assign(point, { value: m.value, unit: m.unit, quality: m.quality, ts: m.ts, fault: undefined, label: typeof m.value === 'string' ? stateLabel(m.value) : undefined });
      }),
      events.on('alarm', (event) => {
        this.board.apply(event);
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
        // A value read before the source went silent is no longer known good (issue 20: quality stayed good).
        if (!s.online) for (const point of source.points) if (point.quality === 'good') point.quality = 'uncertain';
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

  /** Alarms not yet cleared, most urgent first. */
  alarms(): AlarmSnapshot[] {
    return this.board.list().map((a) => ({ alarmId: a.alarmId, source: a.source, point: a.point, level: a.level, state: a.state, silenced: a.silenced, text: a.text, location: locationText(a.tags), raisedTs: a.raisedTs, test: a.test }));
  }

  /** Each GPIO siren and strobe of the site, and the level it is playing now. */
  outputs(): OutputSnapshot[] {
    const current = this.board.list();
    const outputs: OutputSnapshot[] = [];
    for (const actuator of this.context.site.actuators) {
      if (actuator.type !== 'gpio' || actuator.role === 'silence_button') continue;
      outputs.push({ id: actuator.id, role: actuator.role, level: drivingLevelOf(actuator.role, new Set(actuator.levels), current) });
    }
    return outputs;
  }

  private counters(source: string): Record<string, number> {
    const driver = this.drivers.get(source) ?? 'modbus';
    const kinds = new Set(COUNTERS_BY_DRIVER[driver] ?? []);
    // Summed over any further labels (OPC UA counts a bad status per point as well as per source).
    const counts: Record<string, number> = {};
    for (const [key, n] of Object.entries(this.context.stats.snapshot())) {
      const match = /^([^{]+)\{(.*)\}$/.exec(key);
      if (!match || !match[1]!.startsWith(`${driver}.`) || !match[2]!.split(',').includes(`source=${source}`)) continue;
      const kind = match[1]!.slice(driver.length + 1);
      if (kinds.has(kind) && n !== 0) counts[kind] = (counts[kind] ?? 0) + n;
    }
    return counts;
  }

  private point(source: string, point: string): PointView | undefined {
    return this.sources.get(source)?.points.find((p) => p.id === point);
  }
}
