// Drains the spool to the township: alarm lane first, then telemetry in batches. A lane's cursor moves
// only over messages cloud-ingest has *receipted* (written in its database), in order; a broker's PUBACK
// frees nothing, since a broker can restart, lose a subscription or drop from a full queue. Each lane has
// at most maxInflight messages unreceipted at once (alarms have their own window, so they never wait
// behind telemetry), so a slow or dead township backs data up on disk, in the spool, never in memory or
// in a broker's queue. Unreceipted messages are published again, with the
// same ids, after a reconnect or when no receipt came within the receipt timeout (cloud-ingest drops
// repeated ids and receipts them again).
import type { MqttClient } from 'mqtt';
import { parseTopic, topics, type ReceiptItem } from '../../contract/wire.js';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import type { Lane } from '../spool/lane.js';
import type { Spool } from '../spool/spool.js';
import { batchId, buildAlarmMessage, buildTelemetryBatch, gzipLines, type TimeContext } from './batch.js';

export interface SenderOptions {
  readonly gateway: string;
  readonly spool: Spool;
  readonly client: MqttClient;
  readonly time: TimeContext;
  readonly batchMaxRecords: number;
  readonly batchMaxAgeMs: number;
  readonly maxInflight: number;
  /** How long a published message waits for its receipt before it is published again (doubles while none come). */
  readonly receiptTimeoutMs: number;
  readonly log: Logger;
  readonly stats: Stats;
}

/** One published message waiting for its receipt (or a settled record waiting for those before it). */
interface Inflight {
  readonly first: number;
  readonly end: number;
  /** The id the receipt names (batch id or event id); undefined for records settled without sending. */
  readonly id: string | undefined;
  readonly topic: string;
  readonly payload: string | Buffer;
  /** Published on the current connection and not yet republish-due. */
  sent: boolean;
  /** Monotonic ms of the last publish. */
  sentAt: number;
  receipted: boolean;
}

interface LaneState {
  readonly lane: Lane;
  readonly name: 'alarm' | 'telemetry';
  readonly kind: ReceiptItem['kind'];
  next: number;
  readonly inflight: Inflight[];
}

const HOLD_RETRY_MS = 1000;
const IDLE_MS = 5000;
/** The receipt timeout doubles while no receipt comes, up to this. */
const RECEIPT_TIMEOUT_MAX_MS = 5 * 60_000;

export class Sender {
  private readonly alarm: LaneState;
  private readonly telemetry: LaneState;
  /** Telemetry batches published before a restart and never receipted: resent with the same boundaries. */
  private readonly replay: [number, number][];
  private running = false;
  private ready = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private partial: { seq: number; since: number } | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  /** Bumped on every disconnect: PUBACK callbacks of publishes on an earlier connection are ignored. */
  private generation = 0;
  private resendsWithoutReceipt = 0;

  constructor(private readonly options: SenderOptions) {
    const state = (lane: Lane, name: LaneState['name'], kind: ReceiptItem['kind']): LaneState => ({ lane, name, kind, next: lane.acked(), inflight: [] });
    this.alarm = state(options.spool.alarm, 'alarm', 'a');
    this.telemetry = state(options.spool.telemetry, 'telemetry', 't');
    this.replay = options.spool.telemetry.inflight().map(([a, b]) => [a, b]);
  }

  start(): void {
    this.running = true;
    const disconnected = () => this.disconnected();
    const { client } = this.options;
    client.on('close', disconnected);
    const notify = () => this.notify();
    this.unsubscribe.push(() => client.off('close', disconnected), this.alarm.lane.onDurable(notify), this.telemetry.lane.onDurable(notify));
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const off of this.unsubscribe.splice(0)) off();
    this.notify();
    await this.loop;
  }

  /** The connection is up and the receipt topic subscribed: sending may begin (called on every connect). */
  setReady(): void {
    this.ready = true;
    this.notify();
  }

  /** Messages published and not yet receipted, both lanes. */
  inflightCount(): number {
    return this.unreceipted(this.alarm) + this.unreceipted(this.telemetry);
  }

  private unreceipted(state: LaneState): number {
    let n = 0;
    for (const entry of state.inflight) if (!entry.receipted) n++;
    return n;
  }

  /** A receipt from cloud-ingest: frees what it names (stored or refused) and moves the cursors. */
  onReceipt(items: readonly ReceiptItem[]): void {
    const { stats, log } = this.options;
    let freed = 0;
    for (const item of items) {
      const state = item.kind === 'a' ? this.alarm : this.telemetry;
      const entry = state.inflight.find((i) => i.id === item.id && !i.receipted);
      if (!entry) {
        // A second receipt for a resent id, or one for a message from before a restart: nothing to free.
        stats.inc('uplink.receipt_unmatched', { lane: state.name });
        continue;
      }
      entry.receipted = true;
      freed++;
      stats.inc('uplink.receipted', { lane: state.name, status: item.status });
      if (item.status === 'refused') {
        log.error({ lane: state.name, id: item.id, code: 'UPLINK_REFUSED', reason: item.reason }, 'uplink: the township refused a message for good (it is not resent) / 综治中心拒收了一条数据');
      } else if (item.reason) {
        log.warn({ lane: state.name, id: item.id, reason: item.reason }, 'uplink: stored by the township with remarks');
      }
    }
    if (freed === 0) return;
    this.resendsWithoutReceipt = 0;
    this.settle(this.alarm);
    this.settle(this.telemetry);
    this.notify();
  }

  /**
   * The connection dropped: nothing in flight counts as sent any more. After reconnecting it is published
   * again, as it was (same ids, same payload), before anything new.
   */
  private disconnected(): void {
    this.generation++;
    this.ready = false;
    for (const state of [this.alarm, this.telemetry]) for (const entry of state.inflight) entry.sent = false;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.notify(), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private connected(): boolean {
    return this.ready && this.options.client.connected;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let waitMs = IDLE_MS;
      if (this.connected()) {
        waitMs = this.resendDue();
        // Alarms first, resent and new, then telemetry: an alarm never waits behind a telemetry backlog.
        this.resendUnsent(this.alarm);
        const alarmsWaiting = this.pumpAlarms();
        if (alarmsWaiting) {
          waitMs = Math.min(waitMs, HOLD_RETRY_MS);
        } else {
          this.resendUnsent(this.telemetry);
          waitMs = Math.min(waitMs, await this.pumpTelemetry());
        }
      }
      if (!this.running) break;
      await this.sleep(Math.max(0, waitMs));
    }
  }

  /** The current receipt timeout: doubles with each resend round that brought no receipt. */
  private receiptTimeout(): number {
    return Math.min(RECEIPT_TIMEOUT_MAX_MS, this.options.receiptTimeoutMs * 2 ** Math.min(this.resendsWithoutReceipt, 20));
  }

  /**
   * When the oldest unreceipted message has waited past the receipt timeout, marks everything unreceipted
   * for republishing. Returns how long until the next such check is due.
   */
  private resendDue(): number {
    const now = this.options.time.clock.mono();
    let oldest = Infinity;
    for (const state of [this.alarm, this.telemetry]) for (const entry of state.inflight) if (entry.sent && !entry.receipted) oldest = Math.min(oldest, entry.sentAt);
    if (oldest === Infinity) return IDLE_MS;
    const timeout = this.receiptTimeout();
    const due = oldest + timeout - now;
    if (due > 0) return due;
    this.resendsWithoutReceipt++;
    this.options.stats.inc('uplink.receipt_timeout');
    this.options.log.warn({ code: 'UPLINK_RECEIPT_TIMEOUT', waitedMs: now - oldest, inflight: this.inflightCount(), nextTimeoutMs: this.receiptTimeout() }, 'uplink: no receipt from the township in time; publishing the unreceipted messages again (same ids)');
    for (const state of [this.alarm, this.telemetry]) for (const entry of state.inflight) if (!entry.receipted) entry.sent = false;
    return 0;
  }

  /** Publishes again whatever of this lane is in flight but not sent on this connection. */
  private resendUnsent(state: LaneState): void {
    for (const entry of state.inflight) {
      if (entry.sent || entry.receipted || entry.id === undefined) continue;
      this.options.stats.inc('uplink.republished', { lane: state.name });
      this.send(state, entry);
    }
  }

  /** Publishes alarm events; returns true while some are still waiting (window full or held for the clock). */
  private pumpAlarms(): boolean {
    const { log, stats, gateway, time } = this.options;
    const state = this.alarm;
    state.next = Math.max(state.next, state.lane.acked());
    while (this.unreceipted(state) < this.options.maxInflight) {
      const [record] = state.lane.read(state.next, 1);
      if (!record) return false;
      let message;
      try {
        message = buildAlarmMessage(record, time);
      } catch (error) {
        stats.inc('uplink.alarm_unreadable');
        log.error({ code: 'SPOOL_RECORD_UNREADABLE', seq: record.seq, err: error }, 'uplink: alarm record unreadable; skipped');
        this.settleWithoutSending(state, record.seq, record.seq + 1);
        continue;
      }
      if (!message) return true;
      const topic = topics.alarm(gateway, message.eventId);
      if (parseTopic(topic)?.kind !== 'alarm') {
        stats.inc('uplink.alarm_bad_event_id');
        log.error({ eventId: message.eventId, seq: record.seq }, 'uplink: alarm event id is not a valid topic segment ([A-Za-z0-9_-]{1,64}); skipped');
        this.settleWithoutSending(state, record.seq, record.seq + 1);
        continue;
      }
      this.publish(state, { first: record.seq, end: record.seq + 1, id: message.eventId, topic, payload: JSON.stringify(message) });
    }
    return state.next < state.lane.durableEnd();
  }

  /** Publishes telemetry batches; returns how long to sleep before looking again (if nothing wakes us). */
  private async pumpTelemetry(): Promise<number> {
    const { stats, log, time, spool, gateway } = this.options;
    const state = this.telemetry;
    while (this.unreceipted(state) < this.options.maxInflight && this.running && this.connected()) {
      if (this.alarm.next < this.alarm.lane.durableEnd()) return 0; // an alarm arrived: it goes first
      state.next = Math.max(state.next, state.lane.acked(), state.inflight.at(-1)?.end ?? 0);
      while (this.replay[0] && this.replay[0][0] < state.next) this.replay.shift();
      const replay = this.replay[0]?.[0] === state.next ? this.replay[0] : undefined;
      const max = replay ? replay[1] - replay[0] : this.options.batchMaxRecords;
      const available = state.lane.durableEnd() - state.next;
      if (available <= 0) return IDLE_MS;
      if (!replay && available < max) {
        const now = time.clock.mono();
        if (this.partial?.seq !== state.next) this.partial = { seq: state.next, since: now };
        const waited = now - this.partial.since;
        if (waited < this.options.batchMaxAgeMs) return this.options.batchMaxAgeMs - waited;
      }
      const records = state.lane.read(state.next, max);
      if (records.length === 0) return HOLD_RETRY_MS;
      const batch = buildTelemetryBatch(records, time);
      if (!batch) return HOLD_RETRY_MS;
      if (replay) this.replay.shift();
      if (batch.unplaceable > 0) {
        stats.inc('uplink.unplaceable', {}, batch.unplaceable);
        log.error({ count: batch.unplaceable, first: batch.first }, 'uplink: telemetry stamped before a reboot with no clock sync cannot be placed in time; dropped rather than sent as 1970');
      }
      if (batch.lines.length === 0) {
        this.settleWithoutSending(state, batch.first, batch.end);
        continue;
      }
      // Persisted before publishing, so a restart resends exactly these boundaries (the same batch id).
      state.lane.setInflight([...state.inflight.filter((i) => !i.receipted).map((i) => [i.first, i.end] as const), [batch.first, batch.end]]);
      const payload = await gzipLines(batch.lines);
      if (!this.running) break;
      stats.inc('uplink.telemetry_lines', {}, batch.lines.length);
      const id = batchId(spool.id, batch.first, batch.end);
      this.publish(state, { first: batch.first, end: batch.end, id, topic: topics.telemetry(gateway, id), payload });
    }
    return IDLE_MS;
  }

  private publish(state: LaneState, message: Pick<Inflight, 'first' | 'end' | 'id' | 'topic' | 'payload'>): void {
    const entry: Inflight = { ...message, sent: false, sentAt: 0, receipted: false };
    state.inflight.push(entry);
    state.next = entry.end;
    this.options.stats.inc('uplink.published', { lane: state.name });
    this.options.stats.inc('uplink.bytes', { lane: state.name }, entry.payload.length);
    this.send(state, entry);
  }

  private send(state: LaneState, entry: Inflight): void {
    const { client, stats, log } = this.options;
    // Disconnected meanwhile (a gzip await): it goes first after reconnect. Published now, mqtt.js would
    // keep it in a store that the reconnect replaces, and only the receipt timeout would send it again.
    if (!this.connected()) return;
    entry.sent = true;
    entry.sentAt = this.options.time.clock.mono();
    const generation = this.generation;
    client.publish(entry.topic, entry.payload, { qos: 1 }, (error) => {
      if (generation !== this.generation || !error) return; // a PUBACK frees nothing; the receipt does
      // Only when the client is ended under it: it stays in flight and goes again after reconnect.
      stats.inc('uplink.publish_error', { lane: state.name });
      log.warn({ topic: entry.topic, err: error.message }, 'uplink: publish failed; it stays in the spool and is sent again');
      entry.sent = false;
    });
  }

  /** Records that need no receipt (unreadable, unplaceable): settled in order with the others. */
  private settleWithoutSending(state: LaneState, first: number, end: number): void {
    state.inflight.push({ first, end, id: undefined, topic: '', payload: '', sent: true, sentAt: 0, receipted: true });
    state.next = end;
    this.settle(state);
  }

  /** Advances the lane's cursor over the receipted prefix of what is in flight. */
  private settle(state: LaneState): void {
    let end: number | undefined;
    while (state.inflight[0]?.receipted) end = state.inflight.shift()!.end;
    if (end !== undefined) state.lane.ack(end);
  }
}
