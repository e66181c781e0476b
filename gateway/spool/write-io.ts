// How the spool writes files: through an injectable opener (tests hold or fail datasync and writes),
// whole writes only (a full disk makes writev return short without an error), and one error type for a
// write that failed, carrying the errno and the file.
import { open, type FileHandle } from 'node:fs/promises';
import { LastmileError } from '../../contract/errors.js';

/** Opens a file for the spool; `fs/promises.open` unless a test injects failures. */
export type FileOpener = (path: string, flags: string) => Promise<FileHandle>;

export const openFile: FileOpener = (path, flags) => open(path, flags);

/**
 * Writes every byte of `buffers` at the handle's position. writev on a full tmpfs or ext4 writes what
 * fits and returns a short count; the write after it fails with ENOSPC, which is what we want to see.
 */
export async function writeAll(handle: FileHandle, buffers: readonly Buffer[]): Promise<number> {
  const total = buffers.reduce((sum, b) => sum + b.length, 0);
  let written = (await handle.writev(buffers as Buffer[])).bytesWritten;
  if (written < total) {
    const first = written;
    const rest = Buffer.concat(buffers as Buffer[]).subarray(first);
    while (written < total) {
      const { bytesWritten } = await handle.write(rest, written - first);
      if (bytesWritten === 0) throw Object.assign(new Error(`write made no progress after ${written} of ${total} bytes`), { code: 'EIO' });
      written += bytesWritten;
    }
  }
  return total;
}

/** The errno of a failed fs call (`ENOSPC`, `EIO`, ...), or `EUNKNOWN` for anything without one. */
export function errnoOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : 'EUNKNOWN';
}

/** An append the spool could not make durable: the records were rolled back and never acknowledged. */
export class SpoolWriteError extends LastmileError {

  constructor(
    readonly lane: string,
    readonly errno: string,
    /** The segment (or probe) file the write went to. */
    readonly file: string,
    /** How many appends of the failed batch this error rejected. */
    readonly records: number,
    cause: unknown,
  ) {
    super('SPOOL_WRITE_FAILED', `spool ${lane}: writing ${file} failed (${errno}); ${records} records rolled back, not acknowledged: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SpoolWriteError';
  }
}
