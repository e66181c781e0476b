// Where a spooled stamp goes in time when it is sent. Nothing is ever sent with a 1970 time:
// - stamped with a synced clock → as stamped;
// - stamped unsynced in this monotonic epoch, clock synced now → re-based from the monotonic clock;
// - clock still unsynced → held (telemetry), or sent flagged if the wall time is plausible (alarms);
// - from another epoch (a reboot before sync) → sent flagged if plausible; else alarms are sent at
//   "now" flagged once the clock is good, and telemetry cannot be placed (dropped and counted).
import type { Clock } from '../pipeline/types.js';
import { PLAUSIBLE_EPOCH_MS } from './honest-clock.js';

export interface TimeStamp {
  /** Wall ms at stamping (an estimate when not synced). */
  readonly ts: number;
  readonly mono: number;
  readonly synced: boolean;
  /** The monotonic time base the stamp was taken in (monoEpochOf). */
  readonly epoch: string;
}

export type Placement =
  | { readonly kind: 'exact'; readonly ts: number }
  | { readonly kind: 'rebased'; readonly ts: number }
  /** Sent with timeSynced false / time_quality=unsynced: the best time there is, plainly marked. */
  | { readonly kind: 'flagged'; readonly ts: number }
  | { readonly kind: 'hold' }
  | { readonly kind: 'unplaceable' };

export function placeStamp(stamp: TimeStamp, clock: Clock, epoch: string, lane: 'alarm' | 'telemetry'): Placement {
  const plausible = stamp.ts >= PLAUSIBLE_EPOCH_MS;
  if (stamp.synced && plausible) return { kind: 'exact', ts: Math.round(stamp.ts) };
  if (stamp.epoch === epoch) {
    if (clock.synced()) return { kind: 'rebased', ts: Math.round(clock.now() - (clock.mono() - stamp.mono)) };
    return lane === 'alarm' && plausible ? { kind: 'flagged', ts: Math.round(stamp.ts) } : { kind: 'hold' };
  }
  if (plausible) return { kind: 'flagged', ts: Math.round(stamp.ts) };
  if (!clock.synced()) return { kind: 'hold' };
  return lane === 'alarm' ? { kind: 'flagged', ts: Math.round(clock.now()) } : { kind: 'unplaceable' };
}
