// A real, small tmpfs for disk-full tests: a file system that says ENOSPC long before spool.maxBytes,
// the way the SD card of a field gateway does. Needs root (CI runs as root); `refused` says why not.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmdirSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  readonly path: string;
  /** Bytes the file system says are free now. */
  free(): number;
  unmount(): void;
}

/** Mounts this process made and has not unmounted yet: unmounted at exit, so a failed test leaves none. */
const mounted = new Set<string>();
process.once('exit', () => {
  for (const path of mounted) unmountPath(path);
});

function unmountPath(path: string): void {
  try {
    execFileSync('umount', [path], { stdio: 'pipe' });
  } catch {
    try {
      execFileSync('umount', ['-l', path], { stdio: 'pipe' }); // something still holds it open: detach
    } catch {
      // Already gone.
    }
  }
  try {
    rmdirSync(path);
  } catch {
    // Already removed.
  }
  mounted.delete(path);
}

/**
 * Mounts left by test processes that were killed (a SIGKILLed vitest worker runs no exit hook): their
 * folders carry the pid that made them, and a mount whose pid is gone is unmounted before a new one.
 */
function sweepOrphans(): void {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const path = line.split(' ')[1];
    const pid = path && /\/lastmile-tmpfs-(\d+)-[^/]*$/.exec(path)?.[1];
    if (!pid || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (error) {
      // ESRCH: no such process. EPERM would be a live process of another user: its mount stays.
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') unmountPath(path);
    }
  }
}

export function mountTmpfs(kib: number): Tmpfs | { refused: string } {
  sweepOrphans();
  const path = mkdtempSync(join(tmpdir(), `lastmile-tmpfs-${process.pid}-`));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0700`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    rmdirSync(path);
    return { refused: `mount -t tmpfs refused (${String((error as { stderr?: Buffer }).stderr ?? error).trim()}); these tests need root` };
  }
  mounted.add(path);
  return {
    path,
    free: () => {
      const stat = statfsSync(path);
      return stat.bavail * stat.bsize;
    },
    unmount: () => unmountPath(path),
  };
}
