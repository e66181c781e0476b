// Decides when the wall clock is good: polls `timedatectl show -p NTPSynchronized --value` until it says
// yes. Where there is no systemd (containers, CI) it falls back to "the wall clock is after 2025", and
// says so in the log, because that is a guess rather than a sync.
import { execFile } from 'node:child_process';
import type { Clock } from '../pipeline/types.js';
import { PLAUSIBLE_EPOCH_MS } from './honest-clock.js';
import type { Logger } from '../../contract/logger.js';
import { isSyncable } from './honest-clock.js';

export type NtpProbe = () => Promise<'yes' | 'no' | 'unavailable'>;

export const timedatectlProbe: NtpProbe = () =>
  new Promise((resolve) => {
    execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 5000 }, (error, stdout) => {
      if (error) resolve('unavailable');
      else resolve(stdout.trim() === 'yes' ? 'yes' : 'no');
    });
  });

export interface TimeSyncOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly probe?: NtpProbe;
  readonly pollMs?: number;
}

export class TimeSync {
  readonly name = 'time-sync';
  private timer: NodeJS.Timeout | undefined;
  private warnedUnavailable = false;
  private stopped = false;

  constructor(private readonly options: TimeSyncOptions) {}

  start(): void {
    if (!isSyncable(this.options.clock)) {
      this.options.log.info('time-sync: the clock decides its own sync state; not polling');
      return;
    }
    this.stopped = false;
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    const { clock, log } = this.options;
    if (this.stopped || clock.synced() || !isSyncable(clock)) return;
    const answer = await (this.options.probe ?? timedatectlProbe)();
    if (this.stopped) return;
    if (answer === 'yes') {
      clock.markSynced('ntp');
      log.info({ now: new Date(clock.now()).toISOString() }, 'time-sync: NTP reports the clock synchronized; unsynced stamps will be re-based');
      return;
    }
    if (answer === 'unavailable') {
      if (!this.warnedUnavailable) {
        this.warnedUnavailable = true;
        log.warn('time-sync: timedatectl is not available (no systemd); trusting the wall clock only once it reads after 2025-01-01');
      }
      if (clock.now() >= PLAUSIBLE_EPOCH_MS) {
        clock.markSynced('plausible-wall-clock');
        return;
      }
    }
    this.timer = setTimeout(() => void this.poll(), this.options.pollMs ?? 5000);
  }
}

/** Stage factory: polls NTP sync for clocks that can be told (HonestClock, SystemClock). */
export function timeSyncStage(context: { clock: Clock; log: Logger }): TimeSync {
  return new TimeSync({ clock: context.clock, log: context.log.child({ scope: 'time-sync' }) });
}
