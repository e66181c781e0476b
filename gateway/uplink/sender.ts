// Drains the spool to the broker: alarm lane first, then telemetry in batches. A lane's cursor moves
// only over batches the broker has PUBACK'd, in order. Publishes only while connected and keeps at most
// maxInflight messages unacknowledged, so an outage never piles data up in memory: it stays on disk.
import type { MqttClient } from 'mqtt';
import { parseTopic, topics } from '../../cloud-ingest/contract.js';
import type { Logger } from '../shared/logger.js';
import type { Stats } from '../shared/stats.js';
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
  readonly log: Logger;
  readonly stats: Stats;
}

interface Inflight {
  readonly first: number;
  readonly end: number;
  acked: boolean;
}

interface LaneState {
  readonly lane: Lane;
  readonly name: 'alarm' | 'telemetry';
  next: number;
  readonly inflight: Inflight[];
}

const HOLD_RETRY_MS = 1000;

export class Sender {
  private readonly alarm: LaneState;
  private readonly telemetry: LaneState;
  /** Telemetry batches published before a restart and never acked: resent with the same boundaries. */
  private readonly replay: [number, number][];
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private partial: { seq: number; since: number } | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  /** Bumped on every disconnect: acknowledgments for publishes of an earlier connection are ignored. */
  private generation = 0;

  constructor(private readonly options: SenderOptions) {
    const state = (lane: Lane, name: LaneState['name']): LaneState => ({ lane, name, next: lane.acked(), inflight: [] });
    this.alarm = state(options.spool.alarm, 'alarm');
    this.telemetry = state(options.spool.telemetry, 'telemetry');
    this.replay = options.spool.telemetry.inflight().map(([a, b]) => [a, b]);
  }

  start(): void {
    this.running = true;
    const notify = () => this.notify();
    const disconnected = () => this.rewind();
    const { client } = this.options;
    client.on('connect', notify);
    client.on('close', disconnected);
    this.unsubscribe.push(
      () => client.off('connect', notify),
      () => client.off('close', disconnected),
      this.alarm.lane.onDurable(notify),
      this.telemetry.lane.onDurable(notify),
    );
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const off of this.unsubscribe.splice(0)) off();
    this.notify();
    await this.loop;
  }

  /** Messages published and not yet acknowledged, both lanes. */
  inflightCount(): number {
    return this.alarm.inflight.length + this.telemetry.inflight.length;
  }

  /**
   * The connection dropped: whatever was not acknowledged is published again after reconnect, telemetry
   * with the same batch boundaries (so the same batch ids) as before.
   */
  private rewind(): void {
    this.generation++;
    const unacked = this.telemetry.inflight.map((i) => [i.first, i.end] as [number, number]);
    this.replay.unshift(...unacked);
    for (const state of [this.alarm, this.telemetry]) {
      state.inflight.length = 0;
      state.next = state.lane.acked();
    }
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

  private async run(): Promise<void> {
    while (this.running) {
      let waitMs = 5000;
      if (this.options.client.connected) {
        const alarmsWaiting = this.pumpAlarms();
        if (alarmsWaiting) waitMs = HOLD_RETRY_MS;
        else waitMs = await this.pumpTelemetry();
      }
      if (!this.running) break;
      await this.sleep(waitMs);
    }
  }

  /** Publishes alarm events; returns true while some are still waiting (window full or held for the clock). */
  private pumpAlarms(): boolean {
    const { log, stats, gateway, time } = this.options;
    const state = this.alarm;
    state.next = Math.max(state.next, state.lane.acked());
    while (this.inflightCount() < this.options.maxInflight) {
      const [record] = state.lane.read(state.next, 1);
      if (!record) return false;
      let message;
      try {
        message = buildAlarmMessage(record, time);
      } catch (error) {
        stats.inc('uplink.alarm_unreadable');
        log.error({ seq: record.seq, err: error }, 'uplink: alarm record unreadable; skipped');
        this.publishDone(state, { first: record.seq, end: record.seq + 1, acked: true });
        state.next = record.seq + 1;
        continue;
      }
      if (!message) return true;
      const topic = topics.alarm(gateway, message.eventId);
      if (parseTopic(topic)?.kind !== 'alarm') {
        stats.inc('uplink.alarm_bad_event_id');
        log.error({ eventId: message.eventId, seq: record.seq }, 'uplink: alarm event id is not a valid topic segment ([A-Za-z0-9_-]{1,64}); skipped');
        this.publishDone(state, { first: record.seq, end: record.seq + 1, acked: true });
        state.next = record.seq + 1;
        continue;
      }
      this.publish(state, topic, JSON.stringify(message), { first: record.seq, end: record.seq + 1, acked: false });
    }
    return state.next < state.lane.durableEnd();
  }

  /** Publishes telemetry batches; returns how long to sleep before looking again (if nothing wakes us). */
  private async pumpTelemetry(): Promise<number> {
    const { stats, log, time, spool, gateway } = this.options;
    const state = this.telemetry;
    while (this.inflightCount() < this.options.maxInflight && this.running && this.options.client.connected) {
      if (this.alarm.next < this.alarm.lane.durableEnd()) return 0; // an alarm arrived: it goes first
      state.next = Math.max(state.next, state.lane.acked());
      while (this.replay[0] && this.replay[0][0] < state.next) this.replay.shift();
      const replay = this.replay[0]?.[0] === state.next ? this.replay[0] : undefined;
      const max = replay ? replay[1] - replay[0] : this.options.batchMaxRecords;
      const available = state.lane.durableEnd() - state.next;
      if (available <= 0) return 5000;
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
      const entry: Inflight = { first: batch.first, end: batch.end, acked: false };
      state.next = batch.end;
      if (batch.lines.length === 0) {
        this.publishDone(state, { ...entry, acked: true });
        continue;
      }
      state.lane.setInflight([...state.inflight.map((i) => [i.first, i.end] as const), [entry.first, entry.end]]);
      const payload = await gzipLines(batch.lines);
      stats.inc('uplink.telemetry_lines', {}, batch.lines.length);
      this.publish(state, topics.telemetry(gateway, batchId(spool.id, batch.first, batch.end)), payload, entry);
    }
    return 5000;
  }

  private publish(state: LaneState, topic: string, payload: string | Buffer, entry: Inflight): void {
    const { client, stats, log } = this.options;
    state.inflight.push(entry);
    state.next = entry.end;
    stats.inc('uplink.published', { lane: state.name });
    stats.inc('uplink.bytes', { lane: state.name }, payload.length);
    const generation = this.generation;
    client.publish(topic, payload, { qos: 1 }, (error) => {
      if (generation !== this.generation) return; // from before a reconnect; republished since
      if (error) {
        // Only when the client is ended under it: what was not acked stays in the spool for next time.
        stats.inc('uplink.publish_error', { lane: state.name });
        log.warn({ topic, err: error.message }, 'uplink: publish not acknowledged; it stays in the spool');
        state.inflight.length = 0;
        state.next = state.lane.acked();
        return;
      }
      entry.acked = true;
      this.publishDone(state, undefined);
      this.notify();
    });
  }

  /** Advances the lane's cursor over the acknowledged prefix of what is in flight. */
  private publishDone(state: LaneState, settled: Inflight | undefined): void {
    if (settled) state.inflight.push(settled);
    let end: number | undefined;
    while (state.inflight[0]?.acked) end = state.inflight.shift()!.end;
    if (end !== undefined) state.lane.ack(end);
  }
}
