// Disk space held for alarm events: a file of real (random, so no file system compresses or dedups
// it) bytes in the alarm lane's dir. When an alarm write hits ENOSPC the file is deleted and the write
// retried, so alarm events are the last thing a full disk costs; telemetry is refused while it is gone,
// and it is written again once the file system has room for it.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import { errnoOf, writeAll, type FileOpener } from './write-io.js';

export class AlarmReserve {
  private present = false;
  /** Logged once until the reserve is back: the probe retries every second while the disk is full. */
  private warned = false;

  constructor(
    readonly path: string,
    /** 0: no reserve (telemetry is never refused for it). */
    readonly bytes: number,
    private readonly openFile: FileOpener,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {}

  /** True while the reserve is on disk (or none is configured). */
  held(): boolean {
    return this.bytes === 0 || this.present;
  }

  /** At open: keeps a reserve file of the right size or writes one; says so if the disk has no room. */
  openSync(): void {
    if (this.bytes === 0) {
      rmSync(this.path, { force: true });
      return;
    }
    try {
      if (statSync(this.path).size === this.bytes) {
        this.present = true;
        return;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    try {
      const fd = openSync(this.path, 'w');
      try {
        const bytes = randomBytes(this.bytes);
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.present = true;
    } catch (error) {
      this.missing(error);
    }
  }

  /** Deletes the reserve to make room for alarm events; false if it was already gone. */
  release(): boolean {
    if (!this.present) return false;
    rmSync(this.path, { force: true });
    this.present = false;
    this.stats.inc('spool.alarm_reserve_used');
    this.log.warn({ file: this.path, bytes: this.bytes }, `spool: disk full; released the ${this.bytes}-byte alarm reserve for alarm events, telemetry is refused until space returns`);
    return true;
  }

  /** Writes the reserve again if the file system says it has room; true when it is back. */
  async restore(): Promise<boolean> {
    if (this.held()) return true;
    const { bavail, bsize } = await statfs(dirname(this.path));
    if (bavail * bsize < this.bytes) return false;
    try {
      const handle = await this.openFile(this.path, 'w');
      try {
        await writeAll(handle, [randomBytes(this.bytes)]);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      this.missing(error);
      return false;
    }
    this.present = true;
    this.warned = false;
    this.log.info({ file: this.path, bytes: this.bytes }, 'spool: alarm reserve written again; telemetry is accepted');
    return true;
  }

  private missing(error: unknown): void {
    rmSync(this.path, { force: true });
    this.stats.inc('spool.alarm_reserve_unwritable', { errno: errnoOf(error) });
    if (this.warned) return;
    this.warned = true;
    this.log.warn({ file: this.path, bytes: this.bytes, err: error }, `spool: cannot write the ${this.bytes}-byte alarm reserve (${errnoOf(error)}); telemetry is refused until there is room`);
  }
}
