// The system clock, honest about sync. A Raspberry Pi has no RTC: until time is known good, the
// wall clock may say 1970 or last shutdown. `synced()` is decided by a TimeSync policy (uplink/time).
import { performance } from 'node:perf_hooks';
import type { Clock } from '../pipeline/types.js';

/** Earliest wall time we believe: anything before this is an unsynced RTC-less boot. */
export const PLAUSIBLE_EPOCH_MS = Date.UTC(2025, 0, 1);

export class SystemClock implements Clock {
  private isSynced: boolean;

  constructor(initiallySynced = Date.now() >= PLAUSIBLE_EPOCH_MS) {
    this.isSynced = initiallySynced;
  }

  now(): number {
    return Date.now();
  }

  mono(): number {
    return performance.now();
  }

  synced(): boolean {
    return this.isSynced;
  }

  /** Called when NTP (timedatectl) or the township platform confirms the time. */
  markSynced(): void {
    this.isSynced = true;
  }
}
