// `lastmile passwd` (gateway/cli/passwd.ts) makes the hash file the local broker reads: round trip.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { passwdCommand } from '../../../gateway/cli/passwd.js';
import { parsePasswordHash, verifyPassword } from '../../../contract/password-hash.js';
import { tempDir } from '../../helpers/peers.js';

function io(input: string) {
  let stdout = '';
  let stderr = '';
  return {
    io: { stdin: Readable.from([Buffer.from(input)]), stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('lastmile passwd', () => {
  const dir = tempDir('passwd');
  afterAll(() => dir.remove());

  it('prints a hash of the piped password (trailing newline stripped) that the broker accepts', async () => {
    const run = io('device password 1\n');
    expect(await passwdCommand([], run.io)).toBe(0);
    expect(run.out()).not.toContain('device password 1');
    const parsed = parsePasswordHash(run.out());
    if ('error' in parsed) throw new Error(parsed.error);
    expect(await verifyPassword(parsed, 'device password 1')).toBe(true);
  });

  it('writes --out with mode 0600', async () => {
    const file = join(dir.path, 'node.hash');
    const run = io('another-password');
    expect(await passwdCommand(['--out', file], run.io)).toBe(0);
    expect(run.out()).toBe('');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const parsed = parsePasswordHash(readFileSync(file, 'utf8'));
    if ('error' in parsed) throw new Error(parsed.error);
    expect(await verifyPassword(parsed, 'another-password')).toBe(true);
  });

  it('refuses short passwords and bad arguments', async () => {
    const short = io('short\n');
    expect(await passwdCommand([], short.io)).toBe(1);
    expect(short.err()).toMatch(/at least 8/);
    expect(await passwdCommand(['--out'], io('long enough password').io)).toBe(2);
    expect(await passwdCommand(['extra'], io('long enough password').io)).toBe(2);
  });
});
