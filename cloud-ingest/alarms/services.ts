// The township workflow as one unit for the composition root: the workflow database (migrated, the old
// JSON-lines log imported once), cases, staff and roster from the config, notification channels,
// staff actions and escalation, and the timer that checks deadlines and retries.
import { join } from 'node:path';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import type { CloudIngestConfig } from '../config.js';
import { readSecretFile } from '../config.js';
import type { Db } from '../db/db.js';
import { openDatabase } from '../db/open.js';
import type { CommandChannel } from '../ingest/embedded-broker.js';
import { buildChannels } from '../notify/channels.js';
import { Notifier } from '../notify/notifier.js';
import { Escalation } from './escalation.js';
import { importJsonLines } from './import-jsonl.js';
import { buildPolicy } from './policy.js';
import { StaffDirectory } from './staff.js';
import { CaseStore } from './store.js';
import type { WallClock } from './types.js';
import { AlarmWorkflow } from './workflow.js';

export interface WorkflowServices {
  readonly db: Db;
  readonly store: CaseStore;
  readonly staff: StaffDirectory;
  readonly notifier: Notifier;
  readonly workflow: AlarmWorkflow;
  readonly escalation: Escalation;
  stop(): Promise<void>;
}

export async function startWorkflow(config: Readonly<CloudIngestConfig>, commands: CommandChannel, log: Logger, stats: Stats, clock: WallClock): Promise<WorkflowServices> {
  const wf = config.workflow;
  const channels = buildChannels(config.notify.channels);
  const known = new Set(channels.map((c) => c.name));
  for (const [level, p] of Object.entries(wf.levels)) {
    p?.channels?.forEach((name, i) => {
      if (!known.has(name)) throw new Error(`workflow.levels.${level}.channels[${i}]: no channel named ${name} in notify.channels`);
    });
  }
  const d = config.database;
  const db = await openDatabase(
    { url: d.url, password: d.passwordFile ? readSecretFile(d.passwordFile, 'database.passwordFile') : undefined, poolSize: d.poolSize },
    config.dataDir,
    log,
    () => clock.now(),
  );
  const store = new CaseStore(db, buildPolicy(wf.levels, wf.groupWindowS, { maxNewCases: wf.flood.maxNewCasesPerGateway, windowMs: wf.flood.windowS * 1000 }), clock);
  const staff = new StaffDirectory(db);
  try {
    await staff.seed(wf.staff, wf.roster);
    await importJsonLines(store, join(config.dataDir, 'alarms.jsonl'), log);
  } catch (error) {
    store.close();
    await db.close();
    throw error;
  }
  const notifier = new Notifier(channels, config.notify.retry, db, clock, log.child({ scope: 'notify' }), stats);
  const workflow = new AlarmWorkflow(store, staff, notifier, commands, log, config.notify.consoleUrl);
  const escalation = new Escalation(store, staff, notifier, clock, log, config.notify.consoleUrl);
  const timer = setInterval(() => {
    escalation.tick().catch((error: unknown) => {
      stats.inc('workflow.check_failed');
      log.error({ err: (error as Error).message }, 'deadline check failed; retrying on the next tick');
    });
  }, wf.checkEveryMs);
  timer.unref();
  return {
    db,
    store,
    staff,
    notifier,
    workflow,
    escalation,
    async stop() {
      clearInterval(timer);
      await escalation.idle();
      workflow.stop();
      store.close();
      await db.close();
    },
  };
}
