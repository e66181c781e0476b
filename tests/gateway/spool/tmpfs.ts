// A real, small tmpfs for disk-full tests: a file system that says ENOSPC long before spool.maxBytes,
// the way the SD card of a field gateway does. Needs root (CI runs as root); `refused` says why not.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  readonly path: string;
  /** Bytes the file system says are free now. */
  free(): number;
  unmount(): void;
}

export function mountTmpfs(kib: number): Tmpfs | { refused: string } {
  const path = mkdtempSync(join(tmpdir(), 'lastmile-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0700`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    rmdirSync(path);
    return { refused: `mount -t tmpfs refused (${String((error as { stderr?: Buffer }).stderr ?? error).trim()}); these tests need root` };
  }
  return {
    path,
    free: () => {
      const stat = statfsSync(path);
      return stat.bavail * stat.bsize;
    },
    unmount: () => {
      try {
        execFileSync('umount', [path], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', path], { stdio: 'pipe' }); // something still holds it open: detach
      }
      rmdirSync(path);
    },
  };
}
