// A real pty pair from socat (a null-modem cable between two serial ports), for the serial-node tests.
// Baud and parity are ignored on a pty; everything else (chunking, open/close, bytes in flight) is real.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary, tempDir } from '../../../helpers/peers.js';

export interface PtyPair {
  /** The node's end. */
  readonly a: string;
  /** The gateway's end. */
  readonly b: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts socat; with `at`, the links are made there (to restart a pair on the same paths), else in a temp dir. */
export async function startPtyPair(prefix = 'serial-node', at?: { a: string; b: string }, timeoutMs = 5000): Promise<PtyPair> {
  const socat = requireBinary('/usr/bin/socat');
  const dir = at ? undefined : tempDir(prefix);
  const a = at?.a ?? join(dir!.path, 'a');
  const b = at?.b ?? join(dir!.path, 'b');
  const child = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    dir?.remove();
  };
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(a) && existsSync(b))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`socat did not create ${a} and ${b} within ${timeoutMs} ms: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { a, b, output: () => output, stop };
}
