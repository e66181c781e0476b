// Staff actions on alarm cases, and what goes with them: dispatching acknowledges the alarm on the
// gateway (so the compound's sounder and panel know someone is on it); a reset goes down for the case's
// latched alarms and the gateway's reset event comes back onto the case; a new case notifies at raise
// where its level says so (fire and water).
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../contract/logger.js';
import type { CommandChannel } from '../ingest/embedded-broker.js';
import type { Notifier } from '../notify/notifier.js';
import { buildMessage } from '../notify/message.js';
import type { StaffDirectory } from './staff.js';
import { WorkflowError, type CaseStore } from './store.js';
import type { AlarmCase, StepRequest } from './types.js';

export class AlarmWorkflow {
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: CaseStore,
    readonly staff: StaffDirectory,
    private readonly notifier: Notifier,
    private readonly commands: CommandChannel,
    private readonly log: Logger,
    private readonly consoleUrl: string | undefined,
  ) {
    const onOpened = (c: AlarmCase) => {
      this.notifyAtRaise(c).catch((error: unknown) => this.log.error({ caseId: c.caseId, err: (error as Error).message }, 'notify at raise failed'));
    };
    store.changes.on('opened', onOpened);
    this.unsubscribe = () => store.changes.off('opened', onOpened);
  }

  stop(): void {
    this.unsubscribe();
  }

  /** Takes a step (version = what the officer saw); on dispatch, also acknowledges on the gateway. */
  async step(caseId: string, request: StepRequest, by: string, version: number | undefined): Promise<AlarmCase> {
    const updated = await this.store.step(caseId, request, by, version);
    if (request.step === 'dispatched') {
      for (const alarm of updated.alarms.filter((a) => a.state === 'raised')) {
        const id = randomUUID();
        await this.commands.sendCommand(updated.gateway, { id, command: { kind: 'acknowledge', alarmId: alarm.alarmId, by } });
        this.log.info({ caseId, gateway: updated.gateway, alarmId: alarm.alarmId, by, commandId: id }, 'acknowledge sent to the gateway');
      }
    }
    return updated;
  }

  /** Sends a reset for each of the case's alarms the gateway still holds (latched); refused when none is. */
  async reset(caseId: string, by: string): Promise<AlarmCase> {
    const c = await this.store.get(caseId);
    if (!c) throw new WorkflowError(`no alarm case ${caseId}`);
    const held = c.alarms.filter((a) => a.state !== 'cleared');
    if (held.length === 0) throw new WorkflowError(`case ${caseId}: the gateway holds no alarm to reset (已复位/已恢复) / nothing to reset`);
    const id = randomUUID();
    for (const [i, alarm] of held.entries()) {
      await this.commands.sendCommand(c.gateway, { id: held.length === 1 ? id : `${id}.${i}`, command: { kind: 'reset', alarmId: alarm.alarmId, by } });
    }
    await this.store.recordReset(caseId, by, id);
    this.log.info({ caseId, gateway: c.gateway, alarms: held.map((a) => a.alarmId), by, commandId: id }, 'reset sent to the gateway');
    return (await this.store.get(caseId))!;
  }

  private async notifyAtRaise(c: AlarmCase): Promise<void> {
    const level = this.store.policy[c.level];
    if (c.isTest || !level.notifyAtRaise || level.channels.length === 0) return;
    const onDuty = (await this.staff.ladder(c.township))[0];
    await this.notifier.send(buildMessage(c, 'raised', onDuty, this.consoleUrl), level.channels);
  }
}
