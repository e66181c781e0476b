// The workflow per alarm level: whether a confirmation comes before dispatch, each step's time limit,
// and whether the level notifies at raise. Defaults follow reference §3.6/§5 (fire: confirm by the
// fastest means ≤ 3 min, on site ≤ 15 min); townships override per level in the config's workflow section.
import { ALARM_LEVELS, type AlarmLevel } from '../../contract/vocabulary.js';
import type { AlarmCase, Confirmation, StepRequest, WorkflowStep } from './types.js';

export interface LevelPolicy {
  /** A confirmation (real / false alarm / test, by phone / video / patrol) is needed before dispatch. */
  readonly confirm: boolean;
  /** Seconds from opening to confirmation (0 = no limit). */
  readonly confirmWithinS: number;
  /** Seconds from opening (or confirmation) to dispatch. */
  readonly dispatchWithinS: number;
  /** Seconds from dispatch to handled on site. */
  readonly handleWithinS: number;
  /** Notify the level's channels when the case opens (fire and water: yes). */
  readonly notifyAtRaise: boolean;
  /** Notification channel names, in order. */
  readonly channels: readonly string[];
}

/**
 * Alarm flood (issue 13 item 11): past `maxNewCases` cases opened by one gateway within `windowMs`, its
 * further new alarms join one flood case of that gateway, counted, instead of a case each.
 */
export interface FloodPolicy {
  readonly maxNewCases: number;
  readonly windowMs: number;
}

export const DEFAULT_FLOOD: FloodPolicy = { maxNewCases: 20, windowMs: 60_000 };

export type WorkflowPolicy = Readonly<Record<AlarmLevel, LevelPolicy>> & { readonly groupWindowMs: number; readonly flood: FloodPolicy };

export const DEFAULT_LEVELS: Readonly<Record<AlarmLevel, Omit<LevelPolicy, 'channels'>>> = {
  fire: { confirm: true, confirmWithinS: 180, dispatchWithinS: 300, handleWithinS: 900, notifyAtRaise: true },
  alarm: { confirm: false, confirmWithinS: 0, dispatchWithinS: 600, handleWithinS: 1800, notifyAtRaise: true },
  fault: { confirm: false, confirmWithinS: 0, dispatchWithinS: 4 * 3600, handleWithinS: 24 * 3600, notifyAtRaise: false },
  warning: { confirm: false, confirmWithinS: 0, dispatchWithinS: 3600, handleWithinS: 24 * 3600, notifyAtRaise: false },
  offline: { confirm: false, confirmWithinS: 0, dispatchWithinS: 4 * 3600, handleWithinS: 24 * 3600, notifyAtRaise: false },
};

export function buildPolicy(levels: Partial<Record<AlarmLevel, Partial<LevelPolicy>>> = {}, groupWindowS = 300, flood: FloodPolicy = DEFAULT_FLOOD): WorkflowPolicy {
  const out = { groupWindowMs: groupWindowS * 1000, flood } as Record<AlarmLevel, LevelPolicy> & { groupWindowMs: number; flood: FloodPolicy };
  for (const level of ALARM_LEVELS) out[level] = { ...DEFAULT_LEVELS[level], channels: [], ...levels[level] };
  return out;
}

export class WorkflowError extends Error {}

/** Another officer (or the escalation) changed the case since this one looked at it. */
export class ConflictError extends WorkflowError {}

/** Checks a step against the case; throws WorkflowError naming what is missing or out of order. */
export function checkStep(policy: WorkflowPolicy, c: AlarmCase, request: StepRequest): void {
  const allowed = nextSteps(policy, c);
  if (!allowed.includes(request.step)) {
    throw new WorkflowError(`case ${c.caseId} is ${c.step}; allowed next: ${allowed.join(', ') || '(none, closed)'}, not ${request.step}`);
  }
  if (request.step === 'dispatched' && request.to.trim() === '') throw new WorkflowError('dispatch needs "to" (the person or team sent) / 派单需填写派给谁');
  if (request.step === 'handled' && request.note.trim() === '') throw new WorkflowError('handled needs a note (what was found and done) / 需填写处理说明');
  if (request.step === 'closed' && request.cause === 'false_alarm' && !request.note?.trim()) throw new WorkflowError('closing as a false alarm needs its cause in the note / 误报需填写原因');
  // A case confirmed as a false alarm or a test closes as what it was confirmed to be.
  if (request.step === 'closed' && c.step === 'confirmed' && c.confirmation !== 'real' && request.cause !== c.confirmation) {
    throw new WorkflowError(`case ${c.caseId} was confirmed as ${c.confirmation}; close it with cause ${c.confirmation}, not ${request.cause}`);
  }
}

/** The steps a person may take next. */
export function nextSteps(policy: WorkflowPolicy, c: Pick<AlarmCase, 'step' | 'level' | 'confirmation'>): WorkflowStep[] {
  switch (c.step) {
    case 'open':
      return policy[c.level].confirm ? ['confirmed'] : ['confirmed', 'dispatched'];
    case 'confirmed':
      // Confirmed false or test: nobody is sent; it is closed with its cause.
      return c.confirmation === 'real' ? ['dispatched'] : ['closed'];
    case 'dispatched':
      return ['handled'];
    case 'handled':
      return ['closed'];
    case 'closed':
      return [];
  }
}

/** The step the case waits for after `step`, and its deadline from `at` (undefined: no limit). */
export function dueAfter(policy: WorkflowPolicy, level: AlarmLevel, step: WorkflowStep, confirmation: Confirmation | undefined, at: number): { step: WorkflowStep | undefined; at: number | undefined } {
  const p = policy[level];
  const limit = (step: WorkflowStep, seconds: number) => ({ step, at: seconds > 0 ? at + seconds * 1000 : undefined });
  if (step === 'open') return p.confirm ? limit('confirmed', p.confirmWithinS) : limit('dispatched', p.dispatchWithinS);
  if (step === 'confirmed') return confirmation === 'real' ? limit('dispatched', p.dispatchWithinS) : { step: 'closed', at: undefined };
  if (step === 'dispatched') return limit('handled', p.handleWithinS);
  if (step === 'handled') return { step: 'closed', at: undefined };
  return { step: undefined, at: undefined };
}

/** The time limit of a step at a level, in ms (re-armed after each escalation). */
export function stepLimitMs(policy: WorkflowPolicy, level: AlarmLevel, step: WorkflowStep): number {
  const p = policy[level];
  const s = step === 'confirmed' ? p.confirmWithinS : step === 'dispatched' ? p.dispatchWithinS : step === 'handled' ? p.handleWithinS : 0;
  return s * 1000;
}
