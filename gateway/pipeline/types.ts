// The pipeline vocabulary (see ../shared/DESIGN.md):
//   driver → reading → measurement → rule → alarm;  measurement → spool → uplink.
// These types are the contract between stages; drivers, rules, actuators and the uplink plug in
// by listening to and emitting these on the event bus, never by calling each other. What also crosses
// the wire to the township (classes, levels, alarm events, commands) is in contract/vocabulary.ts.
import type { ErrorCode } from '../../contract/errors.js';
import type { DeviceClass, LocalText, MeasurementValue, Quality, Tags } from '../../contract/vocabulary.js';

export { ALARM_LEVELS, alarmLevelRank, DEVICE_CLASSES } from '../../contract/vocabulary.js';
export type { AlarmEvent, AlarmLevel, AlarmState, AlarmTransition, DeviceClass, GatewayCommand, LocalText, MeasurementValue, Quality, Tags } from '../../contract/vocabulary.js';

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

/** Why a source stopped answering, counted per kind so installers can tell wiring from config. */
export type SourceFaultKind = 'timeout' | 'exception' | 'crc' | 'short_frame' | 'connection' | 'decode';

/** Each fault kind's code in the error catalog (contract/errors.ts): what the installer reads, what to retry. */
export const SOURCE_FAULT_CODES = {
  timeout: 'SOURCE_TIMEOUT',
  exception: 'SOURCE_EXCEPTION',
  crc: 'SOURCE_CRC',
  short_frame: 'SOURCE_SHORT_FRAME',
  connection: 'SOURCE_CONNECTION',
  decode: 'SOURCE_DECODE',
} as const satisfies Record<SourceFaultKind, ErrorCode>;

/** A source's last error, with its catalog code. */
export interface SourceFault {
  readonly kind: SourceFaultKind;
  readonly code: ErrorCode;
  readonly message: string;
}

export function sourceFault(kind: SourceFaultKind, message: string): SourceFault {
  return { kind, code: SOURCE_FAULT_CODES[kind], message };
}

export interface SourceStatus {
  readonly source: string;
  readonly online: boolean;
  readonly mono: number;
  /** Last error while offline, named so an installer can act on it. */
  readonly lastError?: SourceFault;
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

