// What the spool tests share: spools in temp folders of their own, closed and removed after each test.
import { afterEach } from 'vitest';
import { silentLogger, type Logger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import { Spool, type DropReport, type SpoolHooks, type SpoolOptions } from '../../../gateway/spool/spool.js';
import { tempDir } from '../../helpers/peers.js';

export interface OpenOptions {
  readonly log?: Logger;
  readonly stats?: Stats;
  /** Every drop the spool reports is pushed here. */
  readonly drops?: DropReport[];
  readonly hooks?: SpoolHooks;
}

/**
 * Registers the after-each clean-up in the calling test file. `name` names its temp folders; `defaults`
 * override the tests' usual options (64 MB, a day's age bound, 5 ms syncs, 1 MB segments, no alarm reserve).
 */
export function spoolFixture(name: string, defaults: Partial<SpoolOptions> = {}) {
  const dirs: { remove: () => void }[] = [];
  const spools: Spool[] = [];
  afterEach(async () => {
    for (const spool of spools.splice(0)) await spool.close();
    for (const dir of dirs.splice(0)) dir.remove();
  });
  return {
    /** Options for a spool in a fresh folder. */
    options(extra: Partial<SpoolOptions> = {}): SpoolOptions {
      const dir = tempDir(name);
      dirs.push(dir);
      return { dir: dir.path, maxBytes: 64 * 1024 * 1024, maxAgeMs: 86_400_000, syncEveryMs: 5, segmentBytes: 1024 * 1024, alarmReserveBytes: 0, ...defaults, ...extra };
    },
    /** Opens a spool, closed after the test unless the test closes it with close(). */
    open(options: SpoolOptions, { log = silentLogger(), stats = new Stats(), drops, hooks = {} }: OpenOptions = {}): Spool {
      const spool = new Spool(options, log, stats, drops ? (report) => drops.push(report) : undefined, hooks);
      spool.open();
      spools.push(spool);
      return spool;
    },
    async close(spool: Spool): Promise<void> {
      spools.splice(spools.indexOf(spool), 1);
      await spool.close();
    },
  };
}
