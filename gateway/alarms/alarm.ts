// One alarm's record in the engine, and the view the console, notices and actuators read.
import type { AlarmLevel, AlarmState, LocalText, MeasurementValue, Tags } from '../pipeline/types.js';

export interface AlarmView {
  readonly alarmId: string;
  readonly source: string;
  readonly point: string | undefined;
  readonly rule: string;
  readonly level: AlarmLevel;
  readonly state: AlarmState;
  readonly latch: boolean;
  /** False for a latched alarm whose condition has cleared (it waits for reset). */
  readonly conditionActive: boolean;
  /** Silenced (button, console, township) and the silence has not run out. */
  readonly silenced: boolean;
  readonly value: MeasurementValue | undefined;
  readonly text: LocalText;
  readonly tags: Tags;
  /** Wall ms when raised (as the clock said then; check timeSynced on the events). */
  readonly raisedTs: number;
  readonly acknowledgedBy: string | undefined;
  readonly test: boolean;
}

/** Whether a siren should sound for this alarm: raised (not acknowledged) and not silenced. */
export function isSounding(alarm: Pick<AlarmView, 'state' | 'silenced'>): boolean {
  return alarm.state === 'raised' && !alarm.silenced;
}

/** Whether a visual indicator (strobe, display) should show it: anything not yet cleared. */
export function isShowing(alarm: Pick<AlarmView, 'state'>): boolean {
  return alarm.state !== 'cleared';
}
