// Staff actions on alarm cases. Dispatching is the township's acknowledgment: the gateway is told
// (acknowledge command on lm/v1/<gw>/cmd) so the compound's sounder and panel know someone is on it.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../gateway/shared/logger.js';
import type { CommandChannel } from '../ingest/embedded-broker.js';
import type { AlarmStore } from './store.js';
import type { AlarmCase, WorkflowStep } from './types.js';

export class AlarmWorkflow {
  constructor(
    private readonly store: AlarmStore,
    private readonly commands: CommandChannel,
    private readonly log: Logger,
  ) {}

  /** Advances the case; on dispatch, also sends the acknowledge command down to the gateway. */
  async advance(caseId: string, step: WorkflowStep, by: string, details: { to?: string; note?: string }): Promise<AlarmCase> {
    const updated = this.store.advance(caseId, step, by, details);
    if (step === 'dispatched') {
      const id = randomUUID();
      await this.commands.sendCommand(updated.gateway, { id, command: { kind: 'acknowledge', alarmId: updated.alarmId, by } });
      this.log.info({ caseId, gateway: updated.gateway, alarmId: updated.alarmId, by, commandId: id }, 'acknowledge sent to the gateway');
    }
    return updated;
  }
}
