// A lane's cursor file (`cursor.json`): what the consumer had acknowledged, plus the batches it has
// published but not yet seen acknowledged (a restart resends those with the same boundaries).
// Not fsync'd: a cursor lost to a power cut only means a resend, which cloud-ingest dedups. For the same
// reason a full disk must not stop the uplink here: the cursor in memory goes on, counted and logged.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import { errnoOf } from './write-io.js';

export interface CursorFile {
  acked: number;
  inflight: [number, number][];
}

export class CursorStore {
  readonly path: string;
  private saveFailing = false;

  constructor(
    dir: string,
    private readonly lane: string,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {
    this.path = join(dir, 'cursor.json');
  }

  /** The saved cursor, clamped to what the lane holds (`first` ≤ records < `next`); `first` if none. */
  load(first: number, next: number): CursorFile {
    const fallback: CursorFile = { acked: first, inflight: [] };
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as CursorFile;
      if (!Number.isInteger(parsed.acked) || !Array.isArray(parsed.inflight)) throw new Error('missing acked/inflight');
      return { acked: Math.min(parsed.acked, next), inflight: parsed.inflight.filter(([a, b]) => a >= parsed.acked && b <= next) };
    } catch (error) {
      // Resending from the oldest record is safe (cloud-ingest dedups); losing data is not.
      this.stats.inc('spool.cursor_unreadable', { lane: this.lane });
      this.log.warn({ file: this.path, err: error }, 'spool: cursor file unreadable; resending from the oldest kept record');
      return fallback;
    }
  }

  save(cursor: CursorFile): void {
    try {
      writeFileSync(`${this.path}.tmp`, JSON.stringify(cursor));
      renameSync(`${this.path}.tmp`, this.path);
      this.saveFailing = false;
    } catch (error) {
      this.stats.inc('spool.cursor_save_failed', { lane: this.lane, errno: errnoOf(error) });
      if (!this.saveFailing) this.log.warn({ file: this.path, err: error }, `spool: cannot save ${this.path} (${errnoOf(error)}); a restart now would resend from the last saved cursor`);
      this.saveFailing = true;
    }
  }
}
