// Mapping between the workflow tables' rows and AlarmCase, and the batch loader the board uses (one
// query per table for a page of cases, not one per case).
import type { AlarmLevel, AlarmState, MeasurementValue } from '../../contract/vocabulary.js';
import type { Queryable, SqlValue } from '../db/db.js';
import type { AlarmCase, CaseAlarm, CaseEvent, CloseCause, Confirmation, ConfirmMethod, GatewayCondition, StepRecord, WorkflowStep } from './types.js';

export interface CaseRow {
  case_id: string;
  township: string;
  compound: string;
  gateway: string;
  source: string;
  group_key: string;
  level: AlarmLevel;
  level_rank: number;
  is_test: number;
  step: WorkflowStep;
  version: number;
  revision: number;
  gateway_state: GatewayCondition;
  text_zh: string;
  text_en: string;
  point: string | null;
  value: string | null;
  tags: string;
  opened_at: number;
  first_raised_at: number;
  last_raised_at: number;
  raise_count: number;
  confirmation: Confirmation | null;
  confirm_method: ConfirmMethod | null;
  assignee: string | null;
  due_step: WorkflowStep | null;
  due_at: number | null;
  overdue: number;
  escalations: number;
  cause: CloseCause | null;
  closed_at: number | null;
  updated_at: number;
  [key: string]: unknown;
}

interface AlarmRow {
  case_id: string;
  alarm_id: string;
  rule: string;
  level: AlarmLevel;
  state: AlarmState;
  last_transition: CaseAlarm['lastTransition'];
  updated_at: number;
  [key: string]: unknown;
}

interface StepRow {
  case_id: string;
  seq: number;
  kind: StepRecord['step'];
  by_user: string;
  at: number;
  details: string;
  [key: string]: unknown;
}

interface EventRow {
  event_key: string;
  case_id: string;
  alarm_id: string;
  transition: CaseEvent['transition'];
  state: AlarmState;
  level: AlarmLevel;
  ts: number;
  received_at: number;
  [key: string]: unknown;
}

const undef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function caseFromRows(row: CaseRow, alarms: readonly AlarmRow[], steps: readonly StepRow[], events: readonly EventRow[]): AlarmCase {
  return {
    caseId: row.case_id,
    township: row.township,
    compound: row.compound,
    gateway: row.gateway,
    source: row.source,
    level: row.level,
    isTest: row.is_test === 1,
    step: row.step,
    version: row.version,
    revision: row.revision,
    gatewayState: row.gateway_state,
    text: { zh: row.text_zh, en: row.text_en },
    point: undef(row.point),
    value: row.value === null ? undefined : (JSON.parse(row.value) as MeasurementValue),
    tags: JSON.parse(row.tags) as Record<string, string>,
    openedAt: row.opened_at,
    firstRaisedAt: row.first_raised_at,
    lastRaisedAt: row.last_raised_at,
    raiseCount: row.raise_count,
    confirmation: undef(row.confirmation),
    confirmMethod: undef(row.confirm_method),
    assignee: undef(row.assignee),
    dueStep: undef(row.due_step),
    dueAt: undef(row.due_at),
    overdue: row.overdue === 1,
    escalations: row.escalations,
    cause: undef(row.cause),
    closedAt: undef(row.closed_at),
    alarms: alarms.map((a) => ({ alarmId: a.alarm_id, rule: a.rule, level: a.level, state: a.state, lastTransition: a.last_transition, updatedAt: a.updated_at })),
    steps: steps.map((s) => ({ seq: s.seq, step: s.kind, by: s.by_user, at: s.at, ...(JSON.parse(s.details) as object) })),
    events: events.map((e) => ({ eventId: e.event_key.slice(e.event_key.indexOf('/') + 1), alarmId: e.alarm_id, transition: e.transition, state: e.state, level: e.level, ts: e.ts, receivedAt: e.received_at })),
  };
}

const CHUNK = 500;
/** Events loaded with one case (the board shows fewer). */
export const MAX_EVENTS_LOADED = 50;

/** Loads whole cases for rows already selected; events only when asked (the board lists without them). */
export async function loadCases(q: Queryable, rows: readonly CaseRow[], withEvents: boolean): Promise<AlarmCase[]> {
  const alarms = new Map<string, AlarmRow[]>();
  const steps = new Map<string, StepRow[]>();
  const events = new Map<string, EventRow[]>();
  const push = <R extends { case_id: string }>(map: Map<string, R[]>, r: R) => {
    const list = map.get(r.case_id);
    if (list) list.push(r);
    else map.set(r.case_id, [r]);
  };
  for (let i = 0; i < rows.length; i += CHUNK) {
    const ids: SqlValue[] = rows.slice(i, i + CHUNK).map((r) => r.case_id);
    const marks = ids.map(() => '?').join(', ');
    for (const r of await q.all<AlarmRow>(`SELECT * FROM case_alarms WHERE case_id IN (${marks}) ORDER BY updated_at`, ids)) push(alarms, r);
    for (const r of await q.all<StepRow>(`SELECT * FROM case_steps WHERE case_id IN (${marks}) ORDER BY seq`, ids)) push(steps, r);
    if (withEvents) {
      // The newest MAX_EVENTS_LOADED of each case: a case re-raised thousands of times (a flood, counted in
      // raise_count) is loaded on every event it gets, and loading all of them made each event slower.
      for (const id of ids) {
        const newest = await q.all<EventRow>('SELECT * FROM case_events WHERE case_id = ? ORDER BY received_at DESC, event_key DESC LIMIT ?', [id, MAX_EVENTS_LOADED]);
        for (const r of newest.reverse()) push(events, r);
      }
    }
  }
  return rows.map((r) => caseFromRows(r, alarms.get(r.case_id) ?? [], steps.get(r.case_id) ?? [], events.get(r.case_id) ?? []));
}
