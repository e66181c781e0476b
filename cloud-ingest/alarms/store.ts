// Durable alarm workflow store: an append-only JSON-lines log replayed at start-up, so cases and every
// step survive restarts. Cases live in memory (a township has hundreds, not millions, open at once).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { AlarmEvent } from '../../gateway/pipeline/types.js';
import type { GatewayIdentity } from '../registry/registry.js';
import type { AlarmCase, AlarmLogRecord, StepRecord, WorkflowStep } from './types.js';

const NEXT: Record<WorkflowStep, WorkflowStep | undefined> = { open: 'dispatched', dispatched: 'handled', handled: 'closed', closed: undefined };

export class WorkflowError extends Error {}

export class AlarmStore {
  private readonly cases = new Map<string, AlarmCase>();
  /** gateway + alarmId → the case not yet closed. */
  private readonly openByAlarm = new Map<string, string>();
  /** Emits 'change' with the case after every event or step. */
  readonly changes = new EventEmitter();

  constructor(private readonly file: string) {
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    // After a torn last line, start the next record on a fresh line so it stays readable.
    if (text !== '' && !text.endsWith('\n')) appendFileSync(file, '\n');
    const lines = text.split('\n');
    lines.forEach((line, index) => {
      if (line === '') return;
      let record: AlarmLogRecord;
      try {
        record = JSON.parse(line) as AlarmLogRecord;
      } catch (error) {
        // A torn last line after a power cut is expected; anything else is corruption worth stopping for.
        if (index === lines.length - 1) return;
        throw new Error(`${file}:${index + 1}: unreadable alarm log line: ${(error as Error).message}`);
      }
      this.apply(record);
    });
  }

  /** Records a gateway alarm event; returns the case it belongs to (a new case on a fresh raise). */
  addEvent(identity: GatewayIdentity, event: AlarmEvent, receivedAt = Date.now()): AlarmCase | undefined {
    return this.append({ type: 'event', gateway: identity.gateway, township: identity.township, compound: identity.compound, receivedAt, event });
  }

  /** Advances a case one step; throws WorkflowError when the step is not the next one. */
  advance(caseId: string, step: WorkflowStep, by: string, details: { to?: string; note?: string } = {}, at = Date.now()): AlarmCase {
    const c = this.cases.get(caseId);
    if (!c) throw new WorkflowError(`no alarm case ${caseId}`);
    if (NEXT[c.step] !== step) throw new WorkflowError(`case ${caseId} is ${c.step}; the next step is ${NEXT[c.step] ?? '(none, closed)'}, not ${step}`);
    if (step === 'dispatched' && !details.to) throw new WorkflowError('dispatch needs "to" (who was sent)');
    if (step === 'handled' && !details.note) throw new WorkflowError('handled needs a note (what was found and done)');
    const record: StepRecord = { step, by, at, ...(details.to ? { to: details.to } : {}), ...(details.note ? { note: details.note } : {}) };
    return this.append({ type: 'step', caseId, record })!;
  }

  get(caseId: string): AlarmCase | undefined {
    return this.cases.get(caseId);
  }

  list(filter: (c: AlarmCase) => boolean = () => true): AlarmCase[] {
    return [...this.cases.values()].filter(filter);
  }

  private append(record: AlarmLogRecord): AlarmCase | undefined {
    // Written (synchronously) before it is applied: what the board shows is always on disk.
    appendFileSync(this.file, JSON.stringify(record) + '\n');
    const changed = this.apply(record);
    if (changed) this.changes.emit('change', changed);
    return changed;
  }

  private apply(record: AlarmLogRecord): AlarmCase | undefined {
    if (record.type === 'step') {
      const c = this.cases.get(record.caseId);
      if (!c) return undefined;
      c.step = record.record.step;
      c.steps.push(record.record);
      if (c.step === 'closed') this.openByAlarm.delete(`${c.gateway}\u0000${c.alarmId}`);
      return c;
    }
    const { event, gateway } = record;
    const key = `${gateway}\u0000${event.alarmId}`;
    let c = this.cases.get(this.openByAlarm.get(key) ?? '');
    if (!c) {
      // A clear or reset for an alarm with no open case (already closed here) opens nothing.
      if (event.transition !== 'raise' && event.transition !== 'escalate') return undefined;
      c = {
        caseId: `${gateway}.${event.eventId}`,
        gateway,
        township: record.township,
        compound: record.compound,
        alarmId: event.alarmId,
        level: event.level,
        gatewayState: event.state,
        source: event.source,
        point: event.point,
        value: event.value,
        text: event.text,
        tags: event.tags,
        openedAt: record.receivedAt,
        step: 'open',
        steps: [{ step: 'open', by: `gateway:${gateway}`, at: record.receivedAt }],
        events: [],
      };
      this.cases.set(c.caseId, c);
      this.openByAlarm.set(key, c.caseId);
    }
    c.level = event.level;
    c.gatewayState = event.state;
    if (event.value !== undefined) c.value = event.value;
    c.text = event.text;
    c.events.push({ eventId: event.eventId, transition: event.transition, state: event.state, level: event.level, ts: event.ts, receivedAt: record.receivedAt });
    return c;
  }
}
