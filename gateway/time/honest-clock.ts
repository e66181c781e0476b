// Honest time for an RTC-less box. mono() is CLOCK_MONOTONIC (ms since boot, the same in every process
// of one boot), so a stamp taken before a crash can still be re-based after a restart in the same boot.
// `epoch` names that monotonic time base (the kernel's boot id); stamps from another epoch cannot be re-based.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Clock } from '../pipeline/types.js';

/** Earliest wall time we believe: anything before this is an RTC-less boot that has not synced yet. */
export const PLAUSIBLE_EPOCH_MS = Date.UTC(2025, 0, 1);

export interface SyncableClock extends Clock {
  /** Called when NTP (timedatectl) or the township platform confirms the wall clock. */
  markSynced(via?: string): void;
}

export interface HonestClockOptions {
  /** Wall clock ms (tests pass a fake). */
  readonly wall?: () => number;
  /** Monotonic ms (tests pass a fake). */
  readonly mono?: () => number;
  /** Name of the monotonic time base; defaults to the kernel boot id. */
  readonly epoch?: string;
  readonly synced?: boolean;
}

export function bootMonoMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/** The kernel's boot id (changes every boot); a per-process id where the kernel does not offer one. */
export function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replace(/-/g, '');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return `p${randomUUID().replace(/-/g, '')}`;
  }
}

export class HonestClock implements SyncableClock {
  readonly epoch: string;
  private readonly wall: () => number;
  private readonly monotonic: () => number;
  private isSynced: boolean;
  private syncedVia: string | undefined;
  private readonly listeners = new Set<(via: string) => void>();

  constructor(options: HonestClockOptions = {}) {
    this.wall = options.wall ?? Date.now;
    this.monotonic = options.mono ?? bootMonoMs;
    this.epoch = options.epoch ?? readBootId();
    this.isSynced = options.synced ?? false;
  }

  now(): number {
    return this.wall();
  }

  mono(): number {
    return this.monotonic();
  }

  synced(): boolean {
    return this.isSynced;
  }

  /** How the clock became good ('ntp', 'township', ...), for the health page. */
  via(): string | undefined {
    return this.syncedVia;
  }

  markSynced(via = 'unknown'): void {
    if (this.isSynced) return;
    this.isSynced = true;
    this.syncedVia = via;
    for (const listener of [...this.listeners]) listener(via);
  }

  /** Subscribes to the moment the clock becomes good; returns the unsubscribe function. */
  onSynced(listener: (via: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const PROCESS_EPOCH = `p${randomUUID().replace(/-/g, '')}`;

/** The monotonic time base of any Clock: HonestClock names its own; others are per process (performance.now()). */
export function monoEpochOf(clock: Clock): string {
  return clock instanceof HonestClock ? clock.epoch : PROCESS_EPOCH;
}

export function isSyncable(clock: Clock): clock is SyncableClock {
  return typeof (clock as Partial<SyncableClock>).markSynced === 'function';
}
