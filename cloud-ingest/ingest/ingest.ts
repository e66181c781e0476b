// The ingest core, independent of the broker: one message in, a promise that resolves when it is safe
// to acknowledge (written to the database, alarm in the durable log). Broker adapters (embedded aedes,
// external MQTT) hold the PUBACK on this promise.
import type { AlarmEvent } from '../../gateway/pipeline/types.js';
import type { Logger } from '../../gateway/shared/logger.js';
import type { Stats } from '../../gateway/shared/stats.js';
import { parseTopic, type GatewayStatus } from '../contract.js';
import type { AlarmStore } from '../alarms/store.js';
import type { GatewayIdentity } from '../registry/registry.js';
import type { DedupStore } from './dedup.js';
import type { RecentWindow } from './recent-window.js';
import { checkBatch, decompressBatch, type RejectedLine } from './telemetry.js';
import type { TimeSeriesSink } from './writer.js';

export interface GatewaySeen {
  readonly identity: GatewayIdentity;
  lastSeen: number;
  status: GatewayStatus | undefined;
  connected: boolean;
}

export interface IngestDeps {
  readonly dedup: DedupStore;
  /** undefined: no database configured, only the recent window is kept. */
  readonly sink: TimeSeriesSink | undefined;
  readonly window: RecentWindow;
  readonly alarms: AlarmStore;
  readonly log: Logger;
  readonly stats: Stats;
}

const REJECTION_MEMORY = 200;

export class Ingest {
  readonly gateways = new Map<string, GatewaySeen>();
  /** The latest rejected lines (gateway, batch, line number, reason), newest last, for the console and tests. */
  readonly rejections: (RejectedLine & { gateway: string; batchId: string })[] = [];

  constructor(private readonly deps: IngestDeps) {}

  /** Handles one message from an authenticated gateway. Resolves when it may be acknowledged. */
  async handle(identity: GatewayIdentity, topic: string, payload: Buffer): Promise<void> {
    const parsed = parseTopic(topic);
    const { stats, log } = this.deps;
    if (!parsed || parsed.gateway !== identity.gateway) {
      stats.inc('ingest.topic_refused', { gateway: identity.gateway });
      log.warn({ gateway: identity.gateway, topic }, 'message outside the gateway\'s own topics dropped');
      return;
    }
    this.touch(identity);
    switch (parsed.kind) {
      case 'telemetry':
        await this.deps.dedup.once(`${identity.gateway}/t/${parsed.batchId}`, () => this.telemetry(identity, parsed.batchId, payload)).then((fresh) => {
          if (!fresh) stats.inc('ingest.duplicate_batch', { gateway: identity.gateway });
        });
        return;
      case 'alarm':
        await this.deps.dedup.once(`${identity.gateway}/a/${parsed.eventId}`, async () => this.alarm(identity, parsed.eventId, payload)).then((fresh) => {
          if (!fresh) stats.inc('ingest.duplicate_event', { gateway: identity.gateway });
        });
        return;
      case 'status':
        this.status(identity, payload);
        return;
      case 'commandResult':
        log.info({ gateway: identity.gateway, result: payload.toString('utf8').slice(0, 500) }, 'command result');
        return;
      case 'command':
        return;
    }
  }

  /** Marks a gateway connected/disconnected (embedded broker only; external brokers use the status LWT). */
  connection(identity: GatewayIdentity, connected: boolean): void {
    this.touch(identity).connected = connected;
  }

  private touch(identity: GatewayIdentity): GatewaySeen {
    let seen = this.gateways.get(identity.gateway);
    if (!seen) {
      seen = { identity, lastSeen: Date.now(), status: undefined, connected: true };
      this.gateways.set(identity.gateway, seen);
    }
    seen.lastSeen = Date.now();
    return seen;
  }

  private async telemetry(identity: GatewayIdentity, batchId: string, payload: Buffer): Promise<void> {
    const { stats, log } = this.deps;
    let text: string;
    try {
      text = await decompressBatch(payload);
    } catch (error) {
      // Not gzip or too large: the whole batch is unusable; acknowledging stops an endless resend.
      stats.inc('ingest.batch_refused', { gateway: identity.gateway });
      log.warn({ gateway: identity.gateway, batchId, err: (error as Error).message }, 'telemetry batch is not valid gzip; dropped');
      return;
    }
    const batch = checkBatch(identity, text);
    for (const r of batch.rejected) {
      stats.inc('ingest.line_rejected', { gateway: identity.gateway });
      log.warn({ gateway: identity.gateway, batchId, line: r.line, reason: r.reason }, 'line rejected');
      this.rejections.push({ ...r, gateway: identity.gateway, batchId });
    }
    if (this.rejections.length > REJECTION_MEMORY) this.rejections.splice(0, this.rejections.length - REJECTION_MEMORY);
    if (this.deps.sink) {
      try {
        await this.deps.sink.write(batch.lines);
      } catch (error) {
        // Refused by the database (4xx): counted and logged by the writer; acked so it is not resent forever.
        log.warn({ gateway: identity.gateway, batchId, err: (error as Error).message }, 'batch refused by the database');
        return;
      }
    }
    this.deps.window.add(identity, batch.checked);
    stats.inc('ingest.measurements', { gateway: identity.gateway }, batch.measurements);
    stats.inc('ingest.batches', { gateway: identity.gateway });
  }

  private alarm(identity: GatewayIdentity, eventId: string, payload: Buffer): void {
    let event: AlarmEvent;
    try {
      event = JSON.parse(payload.toString('utf8')) as AlarmEvent;
    } catch (error) {
      this.deps.stats.inc('ingest.event_refused', { gateway: identity.gateway });
      this.deps.log.warn({ gateway: identity.gateway, eventId, err: (error as Error).message }, 'alarm event is not JSON; dropped');
      return;
    }
    if (typeof event.alarmId !== 'string' || typeof event.level !== 'string' || typeof event.transition !== 'string' || !event.text) {
      this.deps.stats.inc('ingest.event_refused', { gateway: identity.gateway });
      this.deps.log.warn({ gateway: identity.gateway, eventId }, 'alarm event lacks alarmId, level, transition or text; dropped');
      return;
    }
    // The topic's event id is the one deduplicated on; the payload's must agree.
    this.deps.alarms.addEvent(identity, { ...event, eventId });
    this.deps.stats.inc('ingest.alarm_events', { gateway: identity.gateway });
  }

  private status(identity: GatewayIdentity, payload: Buffer): void {
    const seen = this.touch(identity);
    try {
      const status = JSON.parse(payload.toString('utf8')) as GatewayStatus;
      seen.status = status;
      seen.connected = status.online !== false;
    } catch (_error) {
      // The LWT may be the bare word "offline".
      seen.connected = payload.toString('utf8').trim() !== 'offline';
      if (seen.connected) this.deps.log.warn({ gateway: identity.gateway }, 'status message is not JSON');
    }
  }
}
