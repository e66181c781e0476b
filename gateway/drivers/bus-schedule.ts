// The scheduling of one half-duplex bus, shared by polled serial protocols: one source at a time, alarm-class
// sources first and then the most overdue, per-source poll intervals, and the Modbus driver's back-off
// (modbus/bus-poller.ts: offline after OFFLINE_AFTER_FAILURES failed polls, retried at a doubling interval
// up to MAX_BACKOFF_MS, alarm-class sources never beyond max(poll, 5 s), back online at the first answer).
// The protocol supplies one poll of one source; this decides which source goes next and what its outcome
// means. Used by dlt645; the Modbus poller keeps its own loop for now (same retryDelay, same constants; its
// "alarm-class sources retried ahead of a failing meter" rule is not here, as meter buses carry no alarms).
import { setTimeout as sleep } from 'node:timers/promises';
import { type SourceFaultKind, sourceFault } from '../pipeline/types.js';
import { OFFLINE_AFTER_FAILURES, retryDelay } from './modbus/bus-poller.js';
import type { DriverContext } from './driver.js';

export interface ScheduledSource {
  readonly id: string;
  readonly pollMs: number;
  /** Alarm-class sources go before meters whenever both are due. */
  readonly urgent: boolean;
}

/** What one poll of one source came to: something answered, or nothing did (with why). */
export type PollOutcome = { answered: true } | { answered: false; kind: SourceFaultKind; message: string };

interface Slot<T> {
  readonly item: T;
  nextDue: number;
  failures: number;
  online: boolean | undefined;
}

export class BusSchedule<T extends ScheduledSource> {
  private readonly slots: Slot<T>[];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake = new AbortController();

  constructor(
    private readonly context: Pick<DriverContext, 'clock' | 'log' | 'stats' | 'events'>,
    items: readonly T[],
    private readonly poll: (item: T) => Promise<PollOutcome>,
    /** Stats prefix for poller bugs, e.g. "dlt645" → dlt645.poller_error. */
    private readonly protocol: string,
    /** Runs between polls when nothing is due before it (time sync broadcasts); never while a poll is in flight. */
    private readonly idleWork: () => Promise<void> = async () => undefined,
  ) {
    this.slots = items.map((item) => ({ item, nextDue: 0, failures: 0, online: undefined }));
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  get isRunning(): boolean {
    return this.running;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake.abort();
    await this.loop;
  }

  /** Whether the source is online (undefined before its first poll). */
  online(id: string): boolean | undefined {
    return this.slots.find((s) => s.item.id === id)?.online;
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.idleWork();
      if (!this.running) return;
      const now = this.context.clock.mono();
      const due = this.slots.filter((s) => s.nextDue <= now);
      if (due.length === 0) {
        const next = Math.min(...this.slots.map((s) => s.nextDue));
        await this.pause(Math.min(Math.max(next - now, 1), 1000));
        continue;
      }
      // Re-decided after every source, so an alarm source that falls due while a meter is read goes next.
      due.sort((a, b) => Number(b.item.urgent) - Number(a.item.urgent) || a.nextDue - b.nextDue);
      const slot = due[0]!;
      let outcome: PollOutcome;
      try {
        outcome = await this.poll(slot.item);
      } catch (error) {
        // A bug here must not end polling of the whole bus: count it, name the source, try again next interval.
        this.context.stats.inc(`${this.protocol}.poller_error`, { source: slot.item.id });
        this.context.log.error({ source: slot.item.id, err: error }, 'polling a source failed unexpectedly');
        slot.nextDue = this.context.clock.mono() + slot.item.pollMs;
        continue;
      }
      if (!this.running) return;
      const mono = this.context.clock.mono();
      if (outcome.answered) this.answered(slot, mono);
      else this.failed(slot, outcome, mono);
    }
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.wake.signal });
    } catch (_aborted) {
      this.wake = new AbortController();
    }
  }

  private failed(slot: Slot<T>, outcome: Extract<PollOutcome, { answered: false }>, mono: number): void {
    slot.failures++;
    slot.nextDue = mono + retryDelay(slot.item.pollMs, slot.failures, slot.item.urgent);
    if (slot.failures < OFFLINE_AFTER_FAILURES || slot.online === false) return;
    slot.online = false;
    const lastError = sourceFault(outcome.kind, outcome.message);
    this.context.log.warn({ source: slot.item.id, ...lastError }, 'source offline');
    this.context.events.emit('source.status', { source: slot.item.id, online: false, mono, lastError });
  }

  private answered(slot: Slot<T>, mono: number): void {
    slot.failures = 0;
    // Anchored to the due time so intervals do not drift by the poll's own duration.
    const next = slot.nextDue + slot.item.pollMs;
    slot.nextDue = next > mono ? next : mono + slot.item.pollMs;
    if (slot.online === true) return;
    slot.online = true;
    this.context.log.info({ source: slot.item.id }, 'source online');
    this.context.events.emit('source.status', { source: slot.item.id, online: true, mono });
  }
}
