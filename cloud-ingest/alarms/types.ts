// The township's alarm cases (闭环处置): one case per alarm occurrence, grouping one source's related
// alarms, taken open → (confirmed) → dispatched → handled → closed with a cause, each step with who and
// when; late steps escalate. Stored in the workflow database (cloud-ingest/db).
import type { AlarmEvent, AlarmLevel, AlarmState, LocalText, MeasurementValue } from '../../contract/vocabulary.js';

export const WORKFLOW_STEPS = ['open', 'confirmed', 'dispatched', 'handled', 'closed'] as const;
export type WorkflowStep = (typeof WORKFLOW_STEPS)[number];
/** What the confirmation found (GB 25201 §5.3: confirm by the fastest means, log false alarms with their cause). */
export const CONFIRMATIONS = ['real', 'false_alarm', 'test'] as const;
export type Confirmation = (typeof CONFIRMATIONS)[number];
export const CONFIRM_METHODS = ['phone', 'video', 'patrol'] as const;
export type ConfirmMethod = (typeof CONFIRM_METHODS)[number];
/** Cause class on closing, so false-alarm rates per device can be computed. */
export const CLOSE_CAUSES = ['real_handled', 'false_alarm', 'device_fault', 'test'] as const;
export type CloseCause = (typeof CLOSE_CAUSES)[number];
/** The gateway's current state for the case's alarms: 报警中 / 已复位 / 已恢复. */
export type GatewayCondition = 'alarming' | 'reset' | 'recovered';

/** Steps a person (or the system) records on a case, beyond the workflow steps. */
export type StepKind = WorkflowStep | 'escalated' | 'reset' | 'arrived';

export interface StepRecord {
  readonly seq: number;
  readonly step: StepKind;
  /** Staff user name, `gateway:<id>` for the opening event, `system` for escalation and test closing. */
  readonly by: string;
  readonly at: number;
  /** dispatched / escalated: the person or team responsible now. */
  readonly to?: string;
  /** handled / closed: what was found and done (for a false alarm: its cause). */
  readonly note?: string;
  readonly confirmation?: Confirmation;
  readonly method?: ConfirmMethod;
  readonly cause?: CloseCause;
  /** handled: a photo from the site (file name under <dataDir>/photos/<caseId>/). */
  readonly photo?: string;
  /** reset: the command id sent to the gateway. */
  readonly commandId?: string;
  /** escalated: the step that was late. */
  readonly late?: WorkflowStep;
}

export interface CaseAlarm {
  readonly alarmId: string;
  readonly rule: string;
  readonly level: AlarmLevel;
  readonly state: AlarmState;
  readonly lastTransition: AlarmEvent['transition'];
  readonly updatedAt: number;
}

export interface CaseEvent {
  readonly eventId: string;
  readonly alarmId: string;
  readonly transition: AlarmEvent['transition'];
  readonly state: AlarmState;
  readonly level: AlarmLevel;
  readonly ts: number;
  readonly receivedAt: number;
}

export interface AlarmCase {
  readonly caseId: string;
  readonly township: string;
  readonly compound: string;
  readonly gateway: string;
  readonly source: string;
  /** The highest level seen among the case's alarms. */
  readonly level: AlarmLevel;
  readonly isTest: boolean;
  readonly step: WorkflowStep;
  /** Bumped by every workflow step: a step names the version it saw, and a stale one is a conflict. */
  readonly version: number;
  /** Bumped by every write to the case (events too): a board keeps the newest snapshot it has seen. */
  readonly revision: number;
  readonly gatewayState: GatewayCondition;
  readonly text: LocalText;
  readonly point: string | undefined;
  readonly value: MeasurementValue | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly openedAt: number;
  readonly firstRaisedAt: number;
  readonly lastRaisedAt: number;
  /** Raises counted on this case (1 = raised once). */
  readonly raiseCount: number;
  readonly confirmation: Confirmation | undefined;
  readonly confirmMethod: ConfirmMethod | undefined;
  /** Who is responsible now: dispatched to, or escalated to. */
  readonly assignee: string | undefined;
  /** The step the workflow waits for, and by when (undefined: no time limit). */
  readonly dueStep: WorkflowStep | undefined;
  readonly dueAt: number | undefined;
  /** A step was late at least once (超时). */
  readonly overdue: boolean;
  readonly escalations: number;
  readonly cause: CloseCause | undefined;
  readonly closedAt: number | undefined;
  readonly alarms: readonly CaseAlarm[];
  readonly steps: readonly StepRecord[];
  readonly events: readonly CaseEvent[];
}

/** What a person asks for on a case. */
export type StepRequest =
  | { readonly step: 'confirmed'; readonly confirmation: Confirmation; readonly method: ConfirmMethod; readonly note?: string }
  | { readonly step: 'dispatched'; readonly to: string; readonly note?: string }
  | { readonly step: 'handled'; readonly note: string; readonly photo?: string }
  | { readonly step: 'closed'; readonly cause: CloseCause; readonly note?: string };

/** Wall-clock time, injectable (tests drive escalation with a fake clock). */
export interface WallClock {
  now(): number;
}

export const systemClock: WallClock = { now: () => Date.now() };
