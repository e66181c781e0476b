// The spool's disk: a tmpfs smaller than spool.maxBytes (mounting needs root), so the disk fills before the
// spool's own bound. fill() writes a filler file until the kernel says ENOSPC; free() deletes it.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { unmount, type Resources } from './resources.js';

export class SpoolDisk {
  private readonly filler: string;
  filledBytes = 0;
  private mounted = false;

  constructor(
    readonly path: string,
    readonly sizeBytes: number,
    private readonly resources: Resources,
  ) {
    this.filler = join(path, 'disk-filler');
  }

  mount(): void {
    if (process.getuid?.() !== 0) throw new Error('bench:delivery mounts a tmpfs for the spool (the full-disk fault) and must run as root');
    mkdirSync(this.path, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${this.sizeBytes},mode=0700`, 'tmpfs', this.path], { stdio: 'pipe' });
    this.resources.trackMount(this.path);
    this.mounted = true;
  }

  unmount(): void {
    if (!this.mounted) return;
    this.mounted = false;
    unmount(this.path);
    this.resources.untrackMount(this.path);
  }

  /** Fills every free byte; returns how many it wrote. */
  fill(): number {
    const fd = openSync(this.filler, 'a');
    let written = 0;
    try {
      for (const chunk of [1 << 20, 64 << 10, 4 << 10]) {
        const buffer = Buffer.alloc(chunk);
        for (;;) {
          try {
            written += writeSync(fd, buffer);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw error;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    this.filledBytes = written;
    return written;
  }

  free(): void {
    rmSync(this.filler, { force: true });
  }

  /** Bytes the spool could still write. */
  available(): number {
    const s = statfsSync(this.path);
    return s.bavail * s.bsize;
  }
}
