// The township's alarm workflow (闭环处置): every alarm case goes open → dispatched → handled → closed,
// each step with who and when. A case follows one gateway alarm (gateway + alarmId) from its raise.
import type { AlarmEvent, AlarmLevel, AlarmState, LocalText, MeasurementValue } from '../../gateway/pipeline/types.js';

export const WORKFLOW_STEPS = ['open', 'dispatched', 'handled', 'closed'] as const;
export type WorkflowStep = (typeof WORKFLOW_STEPS)[number];

export interface StepRecord {
  readonly step: WorkflowStep;
  /** Staff user name, or `gateway:<id>` for the opening event. */
  readonly by: string;
  readonly at: number;
  /** dispatched: the person or team sent. */
  readonly to?: string;
  /** handled/closed: what was found and done. */
  readonly note?: string;
}

export interface CaseEvent {
  readonly eventId: string;
  readonly transition: AlarmEvent['transition'];
  readonly state: AlarmState;
  readonly level: AlarmLevel;
  readonly ts: number;
  readonly receivedAt: number;
}

export interface AlarmCase {
  readonly caseId: string;
  readonly gateway: string;
  readonly township: string;
  readonly compound: string;
  readonly alarmId: string;
  level: AlarmLevel;
  /** The gateway's own state for the alarm (raised / acknowledged / cleared). */
  gatewayState: AlarmState;
  readonly source: string;
  readonly point: string | undefined;
  value: MeasurementValue | undefined;
  text: LocalText;
  readonly tags: Readonly<Record<string, string>>;
  readonly openedAt: number;
  step: WorkflowStep;
  readonly steps: StepRecord[];
  readonly events: CaseEvent[];
}

/** One line of the append-only alarm log. */
export type AlarmLogRecord =
  | { readonly type: 'event'; readonly gateway: string; readonly township: string; readonly compound: string; readonly receivedAt: number; readonly event: AlarmEvent }
  | { readonly type: 'step'; readonly caseId: string; readonly record: StepRecord };
