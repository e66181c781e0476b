// The pipeline vocabulary (see ../shared/DESIGN.md):
//   driver → reading → measurement → rule → alarm;  measurement → spool → uplink.
// These types are the contract between stages; drivers, rules, actuators and the uplink plug in
// by listening to and emitting these on the event bus, never by calling each other.

export const DEVICE_CLASSES = ['smoke', 'water_level', 'power', 'residual_current', 'temperature', 'door', 'gateway'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

/** good: decoded from a fresh answer; uncertain: stale, clamped or pre-clock-sync; bad: device reported a fault. */
export type Quality = 'good' | 'uncertain' | 'bad';

/** Location and identity tags carried by every measurement (line-protocol tags). */
export type Tags = Readonly<Record<string, string>>;

/** A raw value as a driver saw it, before the profile gives it meaning. */
export type RawValue =
  | { kind: 'registers'; words: readonly number[] } // 16-bit words, wire order
  | { kind: 'bits'; bits: readonly boolean[] } // coils / discrete inputs / GPIO level
  | { kind: 'json'; value: unknown }; // one field picked out of an MQTT/serial payload

/** One poll (or one push) from one source: the raw values of the points it carried. */
export interface Reading {
  readonly source: string;
  /** Monotonic milliseconds (performance.now()-based) when the answer arrived. */
  readonly mono: number;
  readonly values: ReadonlyMap<string, RawValue>;
}

export type MeasurementValue = number | boolean | string;

export interface Measurement {
  readonly source: string;
  readonly point: string;
  readonly class: DeviceClass;
  readonly value: MeasurementValue;
  readonly unit: string | undefined;
  /** Wall-clock milliseconds since the epoch; only meaningful when timeSynced is true. */
  readonly ts: number;
  /** Monotonic milliseconds, used to re-base ts once the clock is known good. */
  readonly mono: number;
  readonly timeSynced: boolean;
  readonly quality: Quality;
  readonly tags: Tags;
  /** Set when ts is the device's own time (profile `timestamp`): kept exactly, so a resend folds in the database. */
  readonly deviceTime?: true;
}

/** A point whose device said "I cannot measure" (a fault sentinel, a fault bit, out of range). Never a reading. */
export interface PointFault {
  readonly source: string;
  readonly point: string;
  readonly class: DeviceClass;
  /** Stable machine code from the profile, e.g. sensor_short, broken_line. */
  readonly code: string;
  readonly raw: number | string;
  readonly text: LocalText;
  readonly mono: number;
  readonly ts: number;
  readonly tags: Tags;
}

/** Texts shown to residents, installers and township staff: zh-CN first, en beside it. */
export interface LocalText {
  readonly zh: string;
  readonly en: string;
}

/** Why a source stopped answering, counted per kind so installers can tell wiring from config. */
export type SourceFaultKind = 'timeout' | 'exception' | 'crc' | 'short_frame' | 'connection' | 'decode';

export interface SourceStatus {
  readonly source: string;
  readonly online: boolean;
  readonly mono: number;
  /** Last error while offline, named so an installer can act on it. */
  readonly lastError?: { kind: SourceFaultKind; message: string };
}

/** Wall clock plus monotonic clock, with honesty about whether the wall clock can be trusted yet. */
export interface Clock {
  /** Wall-clock ms since the epoch. */
  now(): number;
  /** Monotonic ms; never jumps. */
  mono(): number;
  /** True once the wall clock is known good (NTP/platform sync). */
  synced(): boolean;
}

/** Alarm levels, most urgent first: fire > alarm > fault > warning > offline. */
export const ALARM_LEVELS = ['fire', 'alarm', 'fault', 'warning', 'offline'] as const;
export type AlarmLevel = (typeof ALARM_LEVELS)[number];

/** Rank for ordering: lower is more urgent. */
export function alarmLevelRank(level: AlarmLevel): number {
  return ALARM_LEVELS.indexOf(level);
}

export type AlarmState = 'raised' | 'acknowledged' | 'cleared';

/** What happened to an alarm; every transition is one event with its own id, for the spool's alarm lane. */
export type AlarmTransition = 'raise' | 'escalate' | 'acknowledge' | 'silence' | 'unsilence' | 'clear' | 'reset';

export interface AlarmEvent {
  /** Unique per transition; cloud-ingest drops repeats. */
  readonly eventId: string;
  /** Stable per condition (source/point/rule), so a board can follow one alarm through its states. */
  readonly alarmId: string;
  readonly transition: AlarmTransition;
  readonly state: AlarmState;
  readonly level: AlarmLevel;
  readonly source: string;
  readonly point: string | undefined;
  readonly rule: string;
  readonly value: MeasurementValue | undefined;
  readonly text: LocalText;
  readonly tags: Tags;
  readonly ts: number;
  readonly mono: number;
  readonly timeSynced: boolean;
  /** Who acknowledged, silenced or reset (local button, township user), where a person did. */
  readonly by: string | undefined;
}

/** A command to the gateway: from the township (uplink), the installer console or a local button. */
export type GatewayCommand =
  | { readonly kind: 'acknowledge'; readonly alarmId: string; readonly by: string }
  | { readonly kind: 'silence'; readonly alarmId: string | undefined; readonly by: string; readonly forMs: number }
  | { readonly kind: 'reset'; readonly alarmId: string; readonly by: string }
  | { readonly kind: 'test_alarm'; readonly by: string; readonly level: AlarmLevel; readonly forMs: number }
  | { readonly kind: 'request_health'; readonly by: string }
  | { readonly kind: 'request_config'; readonly by: string };
