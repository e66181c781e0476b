// Everything the delivery harness starts (processes, mounts, temp dirs) is registered here, so it is all
// released on a normal end, an error or Ctrl-C. release() is the orderly path; releaseNow() is the
// synchronous last resort from process 'exit' (SIGKILL every pid still alive, lazy-unmount every mount).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

export class Resources {
  private readonly pids = new Set<number>();
  private readonly mounts = new Set<string>();
  private readonly dirs = new Set<string>();
  private readonly cleanups: (() => Promise<void> | void)[] = [];

  /** A child process to SIGKILL if it is still alive when the harness ends. */
  trackPid(pid: number | undefined): void {
    if (pid !== undefined) this.pids.add(pid);
  }

  untrackPid(pid: number | undefined): void {
    if (pid !== undefined) this.pids.delete(pid);
  }

  trackMount(path: string): void {
    this.mounts.add(path);
  }

  untrackMount(path: string): void {
    this.mounts.delete(path);
  }

  trackDir(path: string): void {
    this.dirs.add(path);
  }

  /** Keeps a tracked folder after all (a run that lost or doubled data keeps its logs for reading). */
  untrackDir(path: string): void {
    this.dirs.delete(path);
  }

  /** An orderly stop (client end, peer SIGTERM), run newest first by release(). */
  onRelease(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  async release(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`delivery: cleanup failed: ${(error as Error).message}\n`);
      }
    }
    this.releaseNow();
  }

  /** Synchronous: safe inside process.on('exit'). */
  releaseNow(): void {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') process.stderr.write(`delivery: kill ${pid}: ${(error as Error).message}\n`);
      }
    }
    this.pids.clear();
    for (const mount of this.mounts) unmount(mount);
    this.mounts.clear();
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
  }
}

/** umount, falling back to a lazy unmount when a process killed a moment ago still holds a file open. */
export function unmount(path: string): void {
  try {
    execFileSync('umount', [path], { stdio: 'pipe' });
  } catch (_error) {
    try {
      execFileSync('umount', ['-l', path], { stdio: 'pipe' });
    } catch (error) {
      process.stderr.write(`delivery: umount ${path} failed: ${(error as Error).message}\n`);
    }
  }
}
