// Latched alarms survive a restart: a fire alarm "stays until reset", and a power cut or watchdog reboot
// is not a reset. The engine saves its latched alarms to one small JSON file (write to a temp file,
// fsync, rename, so a cut mid-write leaves the old file) and restores them on start. Non-latched alarms
// are not kept: their rules re-raise them within one poll if the condition is still there.
// The folder is never created here: it is the spool's (made by the installer or the spool stage); a box
// without it keeps latched alarms in memory only, and says so once in the log.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import type { AlarmView } from './alarm.js';

export type LatchedAlarm = Pick<AlarmView, 'alarmId' | 'source' | 'point' | 'rule' | 'level' | 'state' | 'value' | 'text' | 'tags' | 'raisedTs' | 'acknowledgedBy'>;

const FORMAT = 1;

export class LatchStore {
  private pending: readonly LatchedAlarm[] | undefined;
  private scheduled = false;
  private warnedMissingDir = false;

  constructor(
    readonly file: string,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {}

  /** The alarms saved before; an unreadable file is logged and counted, and starts empty. */
  load(): LatchedAlarm[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.stats.inc('alarms.latch_store_error', { op: 'read' });
      this.log.error({ file: this.file, err: error }, 'latched alarms could not be read; starting without them');
      return [];
    }
    try {
      const parsed = JSON.parse(text) as { format?: number; alarms?: LatchedAlarm[] };
      if (parsed.format !== FORMAT || !Array.isArray(parsed.alarms)) throw new Error(`unknown format ${String(parsed.format)}`);
      return parsed.alarms.filter((a) => typeof a.alarmId === 'string' && (a.state === 'raised' || a.state === 'acknowledged'));
    } catch (error) {
      this.stats.inc('alarms.latch_store_error', { op: 'parse' });
      this.log.error({ file: this.file, err: error }, 'latched alarms file is damaged; starting without them');
      return [];
    }
  }

  /** Saves after the current event has been delivered (never in the alarm's own path); coalesces bursts. */
  save(alarms: readonly LatchedAlarm[]): void {
    this.pending = alarms;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is pending now (also called on stop). */
  flush(): void {
    this.scheduled = false;
    const alarms = this.pending;
    this.pending = undefined;
    if (alarms === undefined) return;
    const temp = `${this.file}.tmp`;
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify({ format: FORMAT, alarms }));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.file);
    } catch (error) {
      this.stats.inc('alarms.latch_store_error', { op: 'write' });
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        if (!this.warnedMissingDir) this.log.warn({ file: this.file }, 'folder for latched alarms does not exist; they will not survive a restart');
        this.warnedMissingDir = true;
        return;
      }
      this.log.error({ file: this.file, err: error }, 'latched alarms could not be saved; they will not survive a restart');
    }
  }
}
