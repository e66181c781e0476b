// What a notification says, built once per case and reason, and rendered by each channel in its own
// format. Township staff read it: zh-CN first, en beside it.
import type { AlarmCase } from '../alarms/types.js';
import type { StaffMember } from '../alarms/staff.js';

export type NotifyReason = 'raised' | 'escalated';

export interface NotifyMessage {
  readonly caseId: string;
  readonly reason: NotifyReason;
  readonly level: AlarmCase['level'];
  readonly title: string;
  readonly text: string;
  /** The person this notice is for (on duty at raise, the escalation target), with a phone for @-mentions and SMS. */
  readonly recipient: StaffMember | undefined;
  readonly case: Pick<AlarmCase, 'caseId' | 'township' | 'compound' | 'gateway' | 'source' | 'level' | 'step' | 'dueStep' | 'dueAt' | 'assignee' | 'openedAt'> & { readonly text: AlarmCase['text'] };
}

const LEVEL_ZH: Record<AlarmCase['level'], string> = { fire: '火警', alarm: '报警', fault: '故障', warning: '预警', offline: '离线' };
const STEP_ZH: Record<string, string> = { confirmed: '确认', dispatched: '派单', handled: '到场处置', closed: '结案' };

export function buildMessage(c: AlarmCase, reason: NotifyReason, recipient: StaffMember | undefined, consoleUrl: string | undefined): NotifyMessage {
  const who = recipient ? `${recipient.displayName}` : '';
  const due = c.dueStep && c.dueAt !== undefined ? `，请于 ${new Date(c.dueAt).toLocaleTimeString('zh-CN', { hour12: false })} 前${STEP_ZH[c.dueStep] ?? c.dueStep}` : '';
  const late = [...c.steps].reverse().find((s) => s.step === 'escalated')?.late;
  const head = reason === 'raised' ? `【${LEVEL_ZH[c.level]}】` : `【超时升级·${LEVEL_ZH[c.level]}】`;
  const lines = [
    `${head}${c.text.zh}`,
    `小区 ${c.compound} · 网关 ${c.gateway} · ${c.source}`,
    reason === 'raised' ? `值班 ${who || '（未排班）'}${due}` : `${STEP_ZH[late ?? ''] ?? '处置'}超时，已升级给 ${who || '（无人）'}${due}`,
    `${c.text.en} (${c.level}${reason === 'escalated' ? ', escalated: a step is overdue' : ''})`,
    `案件 case ${c.caseId}${consoleUrl ? ` ${consoleUrl}` : ''}`,
  ];
  return {
    caseId: c.caseId,
    reason,
    level: c.level,
    title: `${head}${c.text.zh}`,
    text: lines.join('\n'),
    recipient,
    case: { caseId: c.caseId, township: c.township, compound: c.compound, gateway: c.gateway, source: c.source, level: c.level, step: c.step, dueStep: c.dueStep, dueAt: c.dueAt, assignee: c.assignee, openedAt: c.openedAt, text: c.text },
  };
}
