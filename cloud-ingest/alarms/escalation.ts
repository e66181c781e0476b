// Escalation (超时升级): a case whose step is late goes to the next person on the township's duty roster,
// then to the township leader, is flagged overdue on the board, and is notified on its level's channels.
// Every worker checks; the store's guard lets only one escalate a case. Driven by the injectable clock.
import type { Logger } from '../../contract/logger.js';
import type { Notifier } from '../notify/notifier.js';
import { buildMessage } from '../notify/message.js';
import { stepLimitMs } from './policy.js';
import type { StaffDirectory } from './staff.js';
import type { CaseStore } from './store.js';
import type { WallClock } from './types.js';

export class Escalation {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly store: CaseStore,
    private readonly staff: StaffDirectory,
    private readonly notifier: Notifier,
    private readonly clock: WallClock,
    private readonly log: Logger,
    private readonly consoleUrl: string | undefined,
  ) {}

  /**
   * Escalates every case late at the time of the call, once, and sends due notification retries. Runs
   * never overlap: during a run, callers share one more run queued after it (the running one read an
   * older clock).
   */
  tick(): Promise<void> {
    if (!this.running) return this.start();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start();
      });
    return this.queued;
  }

  /** Resolves when no check is running or queued (shutdown waits for them). */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running)!.catch(() => undefined);
  }

  private start(): Promise<void> {
    const run: Promise<void> = this.run().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async run(): Promise<void> {
    const now = this.clock.now();
    for (const c of await this.store.due(now)) {
      const ladder = await this.staff.ladder(c.township);
      // ladder[0] was on duty when the case opened; each escalation goes one further.
      const target = ladder[c.escalations + 1] ?? ladder[ladder.length - 1];
      const last = c.escalations + 1 >= ladder.length - 1;
      const limit = c.dueStep ? stepLimitMs(this.store.policy, c.level, c.dueStep) : 0;
      const nextDue = last || limit === 0 ? undefined : now + limit;
      const won = await this.store.escalate(c, target?.name ?? '(duty roster empty / 未排班)', nextDue);
      if (!won) continue;
      this.log.warn({ caseId: c.caseId, late: c.dueStep, to: target?.name, escalations: c.escalations + 1 }, 'case overdue: escalated');
      const updated = (await this.store.get(c.caseId))!;
      const channels = this.store.policy[c.level].channels;
      if (channels.length > 0) await this.notifier.send(buildMessage(updated, 'escalated', target, this.consoleUrl), channels);
    }
    await this.notifier.tick();
  }
}
