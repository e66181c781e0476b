// The ingest core, independent of the broker: a message from an authenticated gateway is admitted (or
// shed when the township is over its budget), processed asynchronously, and answered with a receipt once
// it is in the database or the alarm store. The broker acknowledges at once: a PUBACK means nothing for
// the gateway's spool (see contract.ts), so no broker connection ever waits on the database, and a slow or
// dead database backs data up into the gateways' spools (their unreceipted messages are bounded).
import type { AlarmEvent } from '../../contract/vocabulary.js';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import { parseTopic, type GatewayStatus, type ReceiptItem } from '../../contract/wire.js';
import { InvalidEventError, type AlarmStore } from '../alarms/store.js';
import type { GatewayIdentity } from '../registry/registry.js';
import type { DedupStore } from './dedup.js';
import type { ReceiptBatcher } from './receipts.js';
import type { RecentWindow } from './recent-window.js';
import { HeadCache } from './head-cache.js';
import type { SeriesBudget } from './series-budget.js';
import { checkTelemetry } from './decompress.js';
import { BatchDecodeError, type CheckedBatch, type RejectedLine } from './telemetry.js';
import { WriteRefusedError, type TimeSeriesSink } from './writer.js';
import type { ErrorCode } from '../../contract/errors.js';

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
  /** Series per gateway and per township (new series past it are rejected line by line). */
  readonly series?: SeriesBudget;
  readonly alarms: AlarmStore;
  readonly receipts: ReceiptBatcher;
  readonly limits: IngestLimits;
  readonly log: Logger;
  readonly stats: Stats;
}

/** What one worker takes on at once; past it a message is shed (no receipt, so the gateway resends it later). */
export interface IngestLimits {
  /** Payload bytes being processed (decompressing, checking, waiting for the database), all gateways. */
  readonly maxPendingBytes: number;
  /** Messages being processed per gateway: one gateway's flood cannot take the others' room. */
  readonly maxPendingPerGateway: number;
}

const REJECTION_MEMORY = 200;
const SHED_LOG_EVERY_MS = 5000;

export class Ingest {
  readonly gateways = new Map<string, GatewaySeen>();
  /** The latest rejected lines (gateway, batch, line number, reason), newest last, for the console and tests. */
  readonly rejections: (RejectedLine & { gateway: string; batchId: string })[] = [];

  constructor(private readonly deps: IngestDeps) {}

  /** Line heads already checked, per gateway: a repeated head skips its checks (head-cache.ts). */
  private readonly heads = new HeadCache();
  private pendingBytes = 0;
  private readonly pendingByGateway = new Map<string, number>();
  private lastShedLog = 0;

  /** What the head cache and the dedup set hold, for /metrics. */
  sizes(): { headCacheBytes: number; heads: number; dedupIds: number; dedupCapacity: number } {
    const dedup = this.deps.dedup.size();
    return { headCacheBytes: this.heads.bytes(), heads: this.heads.size(), dedupIds: dedup.ids, dedupCapacity: dedup.capacity };
  }

  /**
   * Takes one message from an authenticated gateway. The broker may acknowledge it at once. Resolves when
   * the message is processed and its receipt queued (tests await it; brokers need not); never rejects.
   */
  accept(identity: GatewayIdentity, topic: string, payload: Buffer): Promise<void> {
    const parsed = parseTopic(topic);
    const { stats, log } = this.deps;
    if (!parsed || parsed.gateway !== identity.gateway) {
      stats.inc('ingest.topic_refused', { gateway: identity.gateway });
      log.warn({ gateway: identity.gateway, topic }, 'message outside the gateway\'s own topics dropped');
      return Promise.resolve();
    }
    this.touch(identity);
    switch (parsed.kind) {
      case 'telemetry':
        return this.admit(identity, payload, () => this.once(identity, 't', parsed.batchId, () => this.writeTelemetry(identity, parsed.batchId, payload)));
      case 'alarm':
        return this.admit(identity, payload, () => this.once(identity, 'a', parsed.eventId, () => this.storeAlarm(identity, parsed.eventId, payload)));
      case 'status':
        this.status(identity, payload);
        return Promise.resolve();
      case 'commandResult':
        log.info({ gateway: identity.gateway, result: payload.toString('utf8').slice(0, 500) }, 'command result');
        return Promise.resolve();
      case 'command':
      case 'receipt':
        return Promise.resolve();
    }
  }

  /** Messages and bytes being processed now (for status and tests). */
  load(): { bytes: number; messages: number } {
    let messages = 0;
    for (const n of this.pendingByGateway.values()) messages += n;
    return { bytes: this.pendingBytes, messages };
  }

  private admit(identity: GatewayIdentity, payload: Buffer, work: () => Promise<ReceiptItem>): Promise<void> {
    const { stats, log, limits, receipts } = this.deps;
    const gateway = identity.gateway;
    const mine = this.pendingByGateway.get(gateway) ?? 0;
    if (mine >= limits.maxPendingPerGateway || (this.pendingBytes > 0 && this.pendingBytes + payload.length > limits.maxPendingBytes)) {
      // Safe to drop: without a receipt the gateway keeps the data in its spool and resends it.
      stats.inc('ingest.shed', { gateway });
      const now = Date.now();
      if (now - this.lastShedLog >= SHED_LOG_EVERY_MS) {
        this.lastShedLog = now;
        log.warn({ gateway, code: 'ADMISSION_SHED', pendingBytes: this.pendingBytes, pendingForGateway: mine, limits }, 'ingest over its budget: message shed without receipt; the gateway resends it');
      }
      return Promise.resolve();
    }
    this.pendingBytes += payload.length;
    this.pendingByGateway.set(gateway, mine + 1);
    return work()
      .then(
        (item) => receipts.add(gateway, item),
        (error: Error) => {
          // Not stored and not refused (writer closing, alarm store failing): no receipt, so it is resent.
          stats.inc('ingest.handle_failed', { gateway });
          log.error({ gateway, err: error.message }, 'ingest failed; no receipt, the gateway will resend');
        },
      )
      .finally(() => {
        this.pendingBytes -= payload.length;
        const left = (this.pendingByGateway.get(gateway) ?? 1) - 1;
        if (left > 0) this.pendingByGateway.set(gateway, left);
        else this.pendingByGateway.delete(gateway);
      });
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

  /**
   * Runs `store` once per gateway and id (dedup): a repeated id is answered as stored without storing
   * again (the first copy is, or is being, stored); the id is recorded only once `store` succeeded.
   */
  private async once(identity: GatewayIdentity, kind: ReceiptItem['kind'], id: string, store: () => Promise<ReceiptItem>): Promise<ReceiptItem> {
    let item: ReceiptItem = { kind, id, status: 'stored' };
    const fresh = await this.deps.dedup.once(`${identity.gateway}/${kind}/${id}`, async () => {
      item = await store();
    });
    if (!fresh) this.deps.stats.inc(kind === 't' ? 'ingest.duplicate_batch' : 'ingest.duplicate_event', { gateway: identity.gateway });
    return item;
  }

  private async writeTelemetry(identity: GatewayIdentity, batchId: string, payload: Buffer): Promise<ReceiptItem> {
    const { stats, log } = this.deps;
    const refused = (code: ErrorCode, reason: string): ReceiptItem => {
      stats.inc('ingest.batch_refused', { gateway: identity.gateway });
      log.warn({ gateway: identity.gateway, batchId, code, reason }, 'telemetry batch refused');
      return { kind: 't', id: batchId, status: 'refused', reason };
    };
    let batch: CheckedBatch;
    try {
      batch = await checkTelemetry(identity, payload, Date.now(), this.deps.series, this.heads);
    } catch (error) {
      if (error instanceof BatchDecodeError) return refused('BATCH_UNREADABLE', `not valid gzip, or over the size limit: ${error.message}`);
      throw error;
    }
    if (batch.rejectedCount > 0) {
      // One log line per batch, not per line: a batch of a million bad lines must not become a million log lines.
      stats.inc('ingest.line_rejected', { gateway: identity.gateway }, batch.rejectedCount);
      if (batch.seriesRefused > 0) stats.inc('ingest.series_refused', { gateway: identity.gateway }, batch.seriesRefused);
      log.warn({ gateway: identity.gateway, batchId, code: 'LINE_INVALID', rejected: batch.rejectedCount, seriesRefused: batch.seriesRefused, first: batch.rejected[0] }, 'lines rejected');
      for (const r of batch.rejected) this.rejections.push({ ...r, gateway: identity.gateway, batchId });
    }
    if (this.rejections.length > REJECTION_MEMORY) this.rejections.splice(0, this.rejections.length - REJECTION_MEMORY);
    let refusedByDatabase = 0;
    let databaseReason: string | undefined;
    if (this.deps.sink) {
      try {
        const outcome = await this.deps.sink.write(batch.lines);
        refusedByDatabase = outcome.refusedLines;
        databaseReason = outcome.firstRefusal;
      } catch (error) {
        if (error instanceof WriteRefusedError) return refused(error.code, error.message);
        throw error;
      }
    }
    if (refusedByDatabase > 0) {
      stats.inc('ingest.line_refused_by_database', { gateway: identity.gateway }, refusedByDatabase);
      log.warn({ gateway: identity.gateway, batchId, code: 'WRITE_REFUSED', lines: refusedByDatabase, reason: databaseReason }, 'lines refused by the database; the rest of the batch is stored');
    }
    this.deps.window.add(identity, batch.checked);
    stats.inc('ingest.measurements', { gateway: identity.gateway }, batch.measurements);
    stats.inc('ingest.batches', { gateway: identity.gateway });
    const first = batch.rejected[0];
    const notes = [
      ...(first ? [`${batch.rejectedCount} line(s) rejected, first: line ${first.line}: ${first.reason}`] : []),
      ...(refusedByDatabase > 0 ? [`${refusedByDatabase} line(s) refused by the database: ${databaseReason ?? ''}`] : []),
    ];
    return notes.length > 0 ? { kind: 't', id: batchId, status: 'stored', reason: notes.join('; ') } : { kind: 't', id: batchId, status: 'stored' };
  }

  private async storeAlarm(identity: GatewayIdentity, eventId: string, payload: Buffer): Promise<ReceiptItem> {
    const refused = (reason: string): ReceiptItem => {
      this.deps.stats.inc('ingest.event_refused', { gateway: identity.gateway });
      this.deps.log.warn({ gateway: identity.gateway, eventId, reason }, 'alarm event refused');
      return { kind: 'a', id: eventId, status: 'refused', reason };
    };
    let event: AlarmEvent;
    try {
      event = JSON.parse(payload.toString('utf8')) as AlarmEvent;
    } catch (error) {
      return refused(`not JSON: ${(error as Error).message}`);
    }
    if (event === null || typeof event !== 'object' || typeof event.alarmId !== 'string' || typeof event.level !== 'string' || typeof event.transition !== 'string' || !event.text) {
      return refused('lacks alarmId, level, transition or text');
    }
    // The topic's event id is the one deduplicated on; the payload's must agree. Awaited: the receipt
    // goes out only once the alarm store has the event.
    try {
      await this.deps.alarms.addEvent(identity, { ...event, eventId });
    } catch (error) {
      // An event the store can never file (unknown level, no zh text) is refused for good; anything else
      // is the database failing, and stays unreceipted so the gateway resends it.
      if (error instanceof InvalidEventError) return refused(error.message);
      throw error;
    }
    this.deps.stats.inc('ingest.alarm_events', { gateway: identity.gateway });
    return { kind: 'a', id: eventId, status: 'stored' };
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
