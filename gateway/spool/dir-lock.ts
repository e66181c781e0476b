// One process per spool dir: two writers appending to the same segments would interleave records.
// The lock file holds the owner's pid; a lock left by a killed process (pid gone) is taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock on `dir` or throws naming the process that holds it; returns the release function. */
export function lockSpoolDir(dir: string): () => void {
  const path = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
      throw new Error(`spool ${dir} is in use by process ${owner} (${path}); one gateway per spool dir`);
    }
    rmSync(path, { force: true }); // left by a process that no longer runs
  }
  throw new Error(`spool ${dir}: could not take ${path}`);
}
