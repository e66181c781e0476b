// The township's alarm cases in the workflow database. Gateway events open and update cases (one case
// per occurrence, one source's related alarms grouped); staff steps advance them under an optimistic
// version; every committed change is announced to every worker's board (LISTEN/NOTIFY on PostgreSQL).
import { EventEmitter } from 'node:events';
import { ALARM_LEVELS, alarmLevelRank, type AlarmEvent } from '../../contract/vocabulary.js';
import type { Db, Tx } from '../db/db.js';
import type { GatewayIdentity } from '../registry/registry.js';
import { loadCases, type CaseRow } from './case-rows.js';
import { checkStep, ConflictError, dueAfter, WorkflowError, type WorkflowPolicy } from './policy.js';
import { TEST_RULE } from './test-alarms.js';
import type { AlarmCase, StepRecord, StepRequest, WallClock, WorkflowStep } from './types.js';

export { ConflictError, WorkflowError } from './policy.js';

export interface CaseStoreEvents {
  /** A case changed on any worker (loaded after the commit). */
  change: [AlarmCase];
  /** This worker opened a case from a gateway event (notify at raise happens once, here). */
  opened: [AlarmCase];
  /** Notices may have been lost (PostgreSQL listener reconnected): reload everything. */
  resync: [];
}

const TRANSITIONS = new Set(['raise', 'escalate', 'acknowledge', 'silence', 'unsilence', 'clear', 'reset']);
const STATES = new Set(['raised', 'acknowledged', 'cleared']);

/** Alarms kept on a flood case; the rest of the flood is counted (raise_count), not listed. */
export const MAX_FLOOD_ALARMS = 20;
/** The source shown on a flood case: the flood spans the gateway's sources. */
export const FLOOD_SOURCE = '*';

/** The group of a gateway's flood case; never a source's group (those are gateway/source). */
export function floodKey(gateway: string): string {
  return `${gateway}#flood`;
}

function floodText(gateway: string, count: number): { zh: string; en: string } {
  return {
    zh: `网关 ${gateway} 短时间内报警过多：${count} 条报警合并为本警情，请核查该网关及其设备`,
    en: `alarm flood from gateway ${gateway}: ${count} alarms grouped into this case; check the gateway and its devices`,
  };
}

/** A gateway event the store cannot file (ingest answers it with a refused receipt, so it is not resent). */
export class InvalidEventError extends Error {}

/** Checks what the store relies on in a gateway's event (the gateway is untrusted); throws InvalidEventError naming the field. */
export function checkEvent(event: AlarmEvent): void {
  const bad = (what: string) => {
    throw new InvalidEventError(`alarm event ${String(event.eventId)}: ${what}`);
  };
  if (!(ALARM_LEVELS as readonly string[]).includes(event.level)) bad(`unknown level ${String(event.level)}`);
  if (!TRANSITIONS.has(event.transition)) bad(`unknown transition ${String(event.transition)}`);
  if (!STATES.has(event.state)) bad(`unknown state ${String(event.state)}`);
  if (typeof event.source !== 'string' || event.source === '' || event.source.length > 200) bad('source must be a string of 1-200 characters');
  if (typeof event.alarmId !== 'string' || event.alarmId === '' || event.alarmId.length > 300) bad('alarmId must be a string of 1-300 characters');
  if (typeof event.rule !== 'string') bad('rule must be a string');
  if (typeof event.text?.zh !== 'string' || event.text.zh.length > 2000 || (event.text.en !== undefined && typeof event.text.en !== 'string')) bad('text.zh must be a string (≤ 2000), text.en a string if present');
  if (typeof event.ts !== 'number' || !Number.isFinite(event.ts)) bad('ts must be a number (ms)');
}

/** What ingest needs: record a gateway's event, resolving once it is durable (idempotent per event id). */
export interface AlarmStore {
  addEvent(identity: GatewayIdentity, event: AlarmEvent): Promise<AlarmCase | undefined>;
}

/** How one device's closed cases ended: the basis of its false-alarm rate. */
export interface DeviceCauses {
  readonly gateway: string;
  readonly source: string;
  readonly closed: number;
  readonly falseAlarms: number;
  readonly deviceFaults: number;
  readonly falseAlarmRate: number;
}

export class CaseStore implements AlarmStore {
  readonly changes = new EventEmitter<CaseStoreEvents>();
  private readonly unsubscribe: () => void;

  constructor(
    readonly db: Db,
    readonly policy: WorkflowPolicy,
    private readonly clock: WallClock,
  ) {
    // One listener per open board (Server-Sent Events): many is normal, not a leak.
    this.changes.setMaxListeners(0);
    this.unsubscribe = db.onNotice((payload) => {
      if (payload === '*') {
        this.changes.emit('resync');
        return;
      }
      // A notice names a case; a failed load is reported as a resync so boards reload rather than miss it.
      this.get(payload).then(
        (c) => c && this.changes.emit('change', c),
        () => this.changes.emit('resync'),
      );
    });
  }

  close(): void {
    this.unsubscribe();
  }

  /**
   * Records a gateway alarm event. Resolves once it is committed (durable); a repeated event id changes
   * nothing and resolves undefined. Resolves with the case the event belongs to, if any. Rejects with
   * InvalidEventError for an event it cannot file (see checkEvent), with other errors when the database fails.
   */
  async addEvent(identity: GatewayIdentity, event: AlarmEvent, receivedAt = this.clock.now()): Promise<AlarmCase | undefined> {
    checkEvent(event);
    const groupKey = `${identity.gateway}/${event.source}`;
    const outcome = await this.db.transaction(async (tx) => {
      await tx.lock(`group:${groupKey}`);
      const fresh = await tx.run(
        'INSERT INTO case_events (event_key, case_id, alarm_id, transition, state, level, ts, received_at) VALUES (?, NULL, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING',
        [`${identity.gateway}/${event.eventId}`, event.alarmId, event.transition, event.state, event.level, event.ts, receivedAt],
      );
      if (fresh === 0) return undefined;
      const raising = event.transition === 'raise' || event.transition === 'escalate';
      let row = await this.caseOfAlarm(tx, [groupKey, floodKey(identity.gateway)], event.alarmId, raising);
      if (row && row.group_key !== groupKey) return this.fileFlood(tx, identity, event, receivedAt, row);
      if (!row && raising) row = await this.groupable(tx, groupKey, event, receivedAt);
      if (!row && raising && event.rule !== TEST_RULE && (await this.flooding(tx, identity.gateway, receivedAt))) return this.fileFlood(tx, identity, event, receivedAt, undefined);
      let opened = false;
      if (!row && raising) {
        row = await this.open(tx, identity, groupKey, event, receivedAt);
        opened = true;
      }
      if (!row) return undefined;
      await tx.lock(`case:${row.case_id}`);
      await tx.run('UPDATE case_events SET case_id = ? WHERE event_key = ?', [row.case_id, `${identity.gateway}/${event.eventId}`]);
      if (!opened) await this.update(tx, row, event, receivedAt);
      tx.notify(row.case_id);
      return { caseId: row.case_id, opened };
    });
    if (!outcome) return undefined;
    const c = await this.get(outcome.caseId);
    if (c && outcome.opened) this.changes.emit('opened', c);
    return c;
  }

  /** Takes a workflow step; `version` is the one the officer saw (a stale one is a ConflictError). */
  async step(caseId: string, request: StepRequest, by: string, version: number | undefined): Promise<AlarmCase> {
    await this.db.transaction(async (tx) => {
      await tx.lock(`case:${caseId}`);
      const c = await this.load(tx, caseId);
      if (!c) throw new WorkflowError(`no alarm case ${caseId}`);
      if (version !== undefined && c.version !== version) {
        const last = c.steps[c.steps.length - 1];
        throw new ConflictError(`案件已被 ${last?.by ?? '?'} 更新（${last?.step ?? ''}），请刷新 / case ${caseId} was changed by ${last?.by ?? '?'} (${last?.step ?? ''}) since you loaded it; it is now ${c.step}`);
      }
      checkStep(this.policy, c, request);
      const now = this.clock.now();
      const confirmation = request.step === 'confirmed' ? request.confirmation : c.confirmation;
      const due = dueAfter(this.policy, c.level, request.step, confirmation, now);
      const changed = await tx.run(
        `UPDATE cases SET revision = revision + 1, step = ?, version = version + 1, confirmation = ?, confirm_method = ?, assignee = ?, due_step = ?, due_at = ?, cause = ?, closed_at = ?, updated_at = ?
         WHERE case_id = ? AND version = ?`,
        [
          request.step,
          confirmation ?? null,
          request.step === 'confirmed' ? request.method : (c.confirmMethod ?? null),
          request.step === 'dispatched' ? request.to.trim() : (c.assignee ?? null),
          due.step ?? null,
          due.at ?? null,
          request.step === 'closed' ? request.cause : null,
          request.step === 'closed' ? now : null,
          now,
          caseId,
          c.version,
        ],
      );
      if (changed !== 1) throw new ConflictError(`case ${caseId} changed while it was being updated; reload it`);
      const { step, ...details } = request;
      await this.addStep(tx, caseId, { step, by, at: now, ...trimmed(details) });
      tx.notify(caseId);
    });
    return (await this.get(caseId))!;
  }

  /**
   * Escalates a late case to `to` (the next on the duty roster, then the leader). Guarded by the
   * deadline it saw, so of two workers escalating at once only one does; false when it lost.
   */
  async escalate(c: AlarmCase, to: string, nextDueAt: number | undefined): Promise<boolean> {
    if (c.dueAt === undefined || c.dueStep === undefined) return false;
    const late: WorkflowStep = c.dueStep;
    return this.db.transaction(async (tx) => {
      await tx.lock(`case:${c.caseId}`);
      const changed = await tx.run(
        'UPDATE cases SET revision = revision + 1, overdue = 1, escalations = escalations + 1, assignee = ?, due_at = ?, updated_at = ? WHERE case_id = ? AND due_at = ? AND step = ? AND closed_at IS NULL',
        [to, nextDueAt ?? null, this.clock.now(), c.caseId, c.dueAt!, c.step],
      );
      if (changed !== 1) return false;
      await this.addStep(tx, c.caseId, { step: 'escalated', by: 'system', at: this.clock.now(), to, late });
      tx.notify(c.caseId);
      return true;
    });
  }

  /** Records that the person sent (a grid worker, from the phone page) is on site; the case stays dispatched. */
  async recordArrival(caseId: string, by: string, note: string | undefined): Promise<AlarmCase> {
    await this.db.transaction(async (tx) => {
      await tx.lock(`case:${caseId}`);
      const c = await this.load(tx, caseId);
      if (!c) throw new WorkflowError(`no alarm case ${caseId}`);
      if (c.step !== 'dispatched') throw new WorkflowError(`案件当前为 ${c.step}，只有已派单的警情可以报到场 / case ${caseId} is ${c.step}: only a dispatched case can be marked arrived`);
      await tx.run('UPDATE cases SET revision = revision + 1, updated_at = ? WHERE case_id = ?', [this.clock.now(), caseId]);
      await this.addStep(tx, caseId, { step: 'arrived', by, at: this.clock.now(), ...trimmed({ note }) });
      tx.notify(caseId);
    });
    return (await this.get(caseId))!;
  }

  /** Records that a reset was sent down for the case's latched alarms. */
  async recordReset(caseId: string, by: string, commandId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.lock(`case:${caseId}`);
      await tx.run('UPDATE cases SET revision = revision + 1, updated_at = ? WHERE case_id = ?', [this.clock.now(), caseId]);
      await this.addStep(tx, caseId, { step: 'reset', by, at: this.clock.now(), commandId });
      tx.notify(caseId);
    });
  }

  /**
   * Replays one step from the old JSON-lines log (import-jsonl.ts) as it was recorded, without the
   * workflow checks (old cases had no confirmation or cause). Skipped when already imported.
   */
  async importStep(caseId: string, record: { step: 'dispatched' | 'handled' | 'closed'; by: string; at: number; to?: string; note?: string }): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.lock(`case:${caseId}`);
      const seen = await tx.all('SELECT seq FROM case_steps WHERE case_id = ? AND kind = ? AND at = ?', [caseId, record.step, record.at]);
      if (seen.length > 0) return false;
      const closed = record.step === 'closed';
      const due = closed ? { step: undefined, at: undefined } : { step: record.step === 'dispatched' ? 'handled' : 'closed', at: undefined };
      const changed = await tx.run('UPDATE cases SET revision = revision + 1, step = ?, version = version + 1, assignee = COALESCE(?, assignee), due_step = ?, due_at = ?, closed_at = ?, updated_at = ? WHERE case_id = ?', [
        record.step, record.to ?? null, due.step ?? null, null, closed ? record.at : null, record.at, caseId,
      ]);
      if (changed !== 1) return false;
      await this.addStep(tx, caseId, { step: record.step, by: record.by, at: record.at, ...trimmed({ to: record.to, note: record.note }) });
      tx.notify(caseId);
      return true;
    });
  }

  /** The case an event was filed under (old JSON-lines case ids name their first event). */
  async caseOfEvent(gateway: string, eventId: string): Promise<string | undefined> {
    const rows = await this.db.all<{ case_id: string | null }>('SELECT case_id FROM case_events WHERE event_key = ?', [`${gateway}/${eventId}`]);
    return rows[0]?.case_id ?? undefined;
  }

  async get(caseId: string): Promise<AlarmCase | undefined> {
    return this.load(this.db, caseId);
  }

  /** Open cases of a township, most urgent first (the board). */
  async listOpen(township: string, limit = 5000): Promise<AlarmCase[]> {
    const rows = await this.db.all<CaseRow>('SELECT * FROM cases WHERE township = ? AND closed_at IS NULL ORDER BY level_rank, opened_at DESC LIMIT ?', [township, limit]);
    return loadCases(this.db, rows, false);
  }

  /** Closed cases of a township, newest first, matching `query` in text, compound, gateway, source or id. */
  async archive(township: string, query = '', limit = 100): Promise<AlarmCase[]> {
    const like = `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.db.all<CaseRow>(
      `SELECT * FROM cases WHERE township = ? AND closed_at IS NOT NULL AND (LOWER(text_zh) LIKE ? ESCAPE '\\' OR LOWER(text_en) LIKE ? ESCAPE '\\'
        OR LOWER(compound) LIKE ? ESCAPE '\\' OR LOWER(gateway) LIKE ? ESCAPE '\\' OR LOWER(source) LIKE ? ESCAPE '\\' OR LOWER(case_id) LIKE ? ESCAPE '\\')
       ORDER BY closed_at DESC LIMIT ?`,
      [township, like, like, like, like, like, like, limit],
    );
    return loadCases(this.db, rows, false);
  }

  /**
   * Closed cases per device (gateway + source) since `since`, with how many were false alarms and device
   * faults, most false alarms first (GB 50440 practice: more than 5 false alarms a day needs action).
   */
  async closureCauses(township: string, since: number): Promise<DeviceCauses[]> {
    const rows = await this.db.all<{ gateway: string; source: string; closed: number; false_alarms: number; device_faults: number }>(
      `SELECT gateway, source, COUNT(*) AS closed,
         SUM(CASE WHEN cause = 'false_alarm' THEN 1 ELSE 0 END) AS false_alarms,
         SUM(CASE WHEN cause = 'device_fault' THEN 1 ELSE 0 END) AS device_faults
       FROM cases WHERE township = ? AND closed_at IS NOT NULL AND closed_at >= ? AND is_test = 0
       GROUP BY gateway, source ORDER BY false_alarms DESC, closed DESC, gateway, source LIMIT 500`,
      [township, since],
    );
    return rows.map((r) => ({
      gateway: r.gateway,
      source: r.source,
      closed: Number(r.closed),
      falseAlarms: Number(r.false_alarms),
      deviceFaults: Number(r.device_faults),
      falseAlarmRate: Number(r.closed) === 0 ? 0 : Number(r.false_alarms) / Number(r.closed),
    }));
  }

  /** Open, non-test cases whose deadline has passed (the escalation's work list). */
  async due(now: number): Promise<AlarmCase[]> {
    const rows = await this.db.all<CaseRow>('SELECT * FROM cases WHERE closed_at IS NULL AND is_test = 0 AND due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT 500', [now]);
    return loadCases(this.db, rows, false);
  }

  private async load(q: Tx | Db, caseId: string): Promise<AlarmCase | undefined> {
    const rows = await q.all<CaseRow>('SELECT * FROM cases WHERE case_id = ?', [caseId]);
    return rows.length === 0 ? undefined : (await loadCases(q, rows, true))[0];
  }

  /**
   * The case following this alarm (in its source's group or the gateway's flood case): the open one, or
   * for a clear/reset the latest (a closed case's card still shows 已复位).
   */
  private async caseOfAlarm(tx: Tx, groupKeys: readonly [string, string], alarmId: string, raising: boolean): Promise<CaseRow | undefined> {
    const open = await tx.all<CaseRow>(
      'SELECT c.* FROM cases c JOIN case_alarms a ON a.case_id = c.case_id WHERE c.group_key IN (?, ?) AND a.alarm_id = ? AND c.closed_at IS NULL ORDER BY c.opened_at DESC LIMIT 1',
      [...groupKeys, alarmId],
    );
    if (open[0] || raising) return open[0];
    const latest = await tx.all<CaseRow>('SELECT c.* FROM cases c JOIN case_alarms a ON a.case_id = c.case_id WHERE c.group_key IN (?, ?) AND a.alarm_id = ? ORDER BY c.opened_at DESC LIMIT 1', [...groupKeys, alarmId]);
    return latest[0];
  }

  /** Whether this gateway has opened its flood policy's worth of cases within the window. */
  private async flooding(tx: Tx, gateway: string, at: number): Promise<boolean> {
    const { maxNewCases, windowMs } = this.policy.flood;
    const rows = await tx.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM cases WHERE gateway = ? AND opened_at >= ? AND is_test = 0', [gateway, at - windowMs]);
    return Number(rows[0]?.n ?? 0) >= maxNewCases;
  }

  /**
   * Files an event under the gateway's open flood case (opening it for a raise when there is none): one
   * case counts the whole flood, its level the highest seen, and it keeps at most MAX_FLOOD_ALARMS alarms
   * (each event loads the case, so the case must stay small however long the flood).
   */
  private async fileFlood(tx: Tx, identity: GatewayIdentity, event: AlarmEvent, at: number, found: CaseRow | undefined): Promise<{ caseId: string; opened: boolean }> {
    const key = floodKey(identity.gateway);
    await tx.lock(`group:${key}`);
    let row = found ?? (await tx.all<CaseRow>('SELECT * FROM cases WHERE group_key = ? AND closed_at IS NULL ORDER BY opened_at DESC LIMIT 1', [key]))[0];
    let opened = false;
    if (!row) {
      row = await this.open(tx, identity, key, event, at, true);
      opened = true;
    } else {
      await tx.lock(`case:${row.case_id}`);
      const known = await tx.all('SELECT alarm_id FROM case_alarms WHERE case_id = ? AND alarm_id = ?', [row.case_id, event.alarmId]);
      const held = await tx.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM case_alarms WHERE case_id = ?', [row.case_id]);
      if (known.length > 0 || Number(held[0]?.n ?? 0) < MAX_FLOOD_ALARMS) await this.upsertAlarm(tx, row.case_id, event, at);
      const raise = event.transition === 'raise' || event.transition === 'escalate';
      const higher = alarmLevelRank(event.level) < row.level_rank;
      const level = higher ? event.level : row.level;
      const rearm = higher && row.step === 'open' ? dueAfter(this.policy, level, 'open', undefined, row.opened_at) : undefined;
      const count = Number(row.raise_count) + (raise ? 1 : 0);
      const text = floodText(identity.gateway, count);
      await tx.run('UPDATE cases SET revision = revision + 1, level = ?, level_rank = ?, text_zh = ?, text_en = ?, raise_count = ?, last_raised_at = ?, due_step = ?, due_at = ?, updated_at = ? WHERE case_id = ?', [
        level, alarmLevelRank(level), text.zh, text.en, count, raise ? at : row.last_raised_at, rearm ? (rearm.step ?? null) : row.due_step, rearm ? (rearm.at ?? null) : row.due_at, at, row.case_id,
      ]);
    }
    await tx.run('UPDATE case_events SET case_id = ? WHERE event_key = ?', [row.case_id, `${identity.gateway}/${event.eventId}`]);
    tx.notify(row.case_id);
    return { caseId: row.case_id, opened };
  }

  /** An open case of the same source raised within the group window: warning → alarm → rate-of-rise is one case. */
  private async groupable(tx: Tx, groupKey: string, event: AlarmEvent, at: number): Promise<CaseRow | undefined> {
    const rows = await tx.all<CaseRow>('SELECT * FROM cases WHERE group_key = ? AND closed_at IS NULL AND is_test = ? AND last_raised_at >= ? ORDER BY opened_at DESC LIMIT 1', [
      groupKey,
      event.rule === TEST_RULE ? 1 : 0,
      at - this.policy.groupWindowMs,
    ]);
    return rows[0];
  }

  private async open(tx: Tx, identity: GatewayIdentity, groupKey: string, event: AlarmEvent, at: number, flood = false): Promise<CaseRow> {
    const caseId = flood ? `${identity.gateway}.flood.${event.eventId}` : `${identity.gateway}.${event.eventId}`;
    const isTest = event.rule === TEST_RULE;
    const text = flood ? floodText(identity.gateway, 1) : { zh: event.text.zh, en: event.text.en ?? event.text.zh };
    const due = isTest ? { step: undefined, at: undefined } : dueAfter(this.policy, event.level, 'open', undefined, at);
    await tx.run(
      `INSERT INTO cases (case_id, township, compound, gateway, source, group_key, level, level_rank, is_test, step, version, gateway_state, text_zh, text_en, point, value, tags,
        opened_at, first_raised_at, last_raised_at, raise_count, due_step, due_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 1, 'alarming', ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
      [
        caseId, identity.township, identity.compound, identity.gateway, flood ? FLOOD_SOURCE : event.source, groupKey, event.level, alarmLevelRank(event.level), isTest ? 1 : 0,
        text.zh, text.en, flood ? null : (event.point ?? null), flood || event.value === undefined ? null : JSON.stringify(event.value), JSON.stringify(flood ? {} : (event.tags ?? {})),
        at, at, at, due.step ?? null, due.at ?? null, at,
      ],
    );
    await this.upsertAlarm(tx, caseId, event, at);
    await this.addStep(tx, caseId, { step: 'open', by: `gateway:${identity.gateway}`, at });
    return (await tx.all<CaseRow>('SELECT * FROM cases WHERE case_id = ?', [caseId]))[0]!;
  }

  private async update(tx: Tx, row: CaseRow, event: AlarmEvent, at: number): Promise<void> {
    await this.upsertAlarm(tx, row.case_id, event, at);
    const alarms = await tx.all<{ state: string }>('SELECT state FROM case_alarms WHERE case_id = ?', [row.case_id]);
    const allCleared = alarms.every((a) => a.state === 'cleared');
    const condition = !allCleared ? 'alarming' : event.transition === 'reset' ? 'reset' : 'recovered';
    const higher = alarmLevelRank(event.level) < row.level_rank;
    const level = higher ? event.level : row.level;
    // A higher level on a case nobody has touched yet takes that level's first deadline (fire: confirm).
    const rearm = higher && row.step === 'open' && row.is_test === 0 ? dueAfter(this.policy, level, 'open', undefined, row.opened_at) : undefined;
    const reraise = event.transition === 'raise';
    await tx.run(
      `UPDATE cases SET revision = revision + 1, gateway_state = ?, level = ?, level_rank = ?, text_zh = ?, text_en = ?, value = ?, raise_count = raise_count + ?, last_raised_at = ?,
        due_step = ?, due_at = ?, updated_at = ? WHERE case_id = ?`,
      [
        condition, level, alarmLevelRank(level),
        higher || event.level === row.level ? event.text.zh : row.text_zh, higher || event.level === row.level ? (event.text.en ?? event.text.zh) : row.text_en,
        event.value === undefined ? row.value : JSON.stringify(event.value),
        reraise ? 1 : 0, reraise ? at : row.last_raised_at,
        rearm ? (rearm.step ?? null) : row.due_step, rearm ? (rearm.at ?? null) : row.due_at, at, row.case_id,
      ],
    );
    // A test alarm closes itself once the gateway ends the test.
    if (row.is_test === 1 && allCleared && row.step !== 'closed') {
      await tx.run("UPDATE cases SET revision = revision + 1, step = 'closed', cause = 'test', closed_at = ?, due_step = NULL, due_at = NULL, version = version + 1 WHERE case_id = ?", [at, row.case_id]);
      await this.addStep(tx, row.case_id, { step: 'closed', by: 'system', at, cause: 'test', note: '测试报警自动结案 / test alarm closed by itself' });
    }
  }

  private async upsertAlarm(tx: Tx, caseId: string, event: AlarmEvent, at: number): Promise<void> {
    await tx.run(
      `INSERT INTO case_alarms (case_id, alarm_id, rule, level, state, last_transition, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (case_id, alarm_id) DO UPDATE SET level = excluded.level, state = excluded.state, last_transition = excluded.last_transition, updated_at = excluded.updated_at`,
      [caseId, event.alarmId, event.rule, event.level, event.state, event.transition, at],
    );
  }

  private async addStep(tx: Tx, caseId: string, record: Omit<StepRecord, 'seq'>): Promise<void> {
    const { step, by, at, ...details } = record;
    const next = await tx.all<{ n: number | null }>('SELECT MAX(seq) AS n FROM case_steps WHERE case_id = ?', [caseId]);
    await tx.run('INSERT INTO case_steps (case_id, seq, kind, by_user, at, details) VALUES (?, ?, ?, ?, ?, ?)', [caseId, Number(next[0]?.n ?? 0) + 1, step, by, at, JSON.stringify(details)]);
  }
}

/** Drops empty optional texts so a step record has no `note: ""`. */
function trimmed(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (typeof v === 'string') {
      if (v.trim() !== '') out[k] = v.trim();
    } else if (v !== undefined) out[k] = v;
  }
  return out;
}
