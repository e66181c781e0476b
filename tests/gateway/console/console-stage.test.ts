// The console's start-up rules and HTTP surface without a browser: no password file → no console (and a
// log line saying why); API refused without a session; repeated wrong passwords lock the address.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createConsoleStage } from '../../../gateway/console/stage.js';
import { MAX_FAILURES } from '../../../gateway/console/sessions.js';
import { freePort, tempDir } from '../../helpers/peers.js';
import { makeContext, PASSWORD, writePasswordFile } from './fixture.js';

const dir = tempDir('console-stage');
afterAll(() => dir.remove());

describe('console stage', () => {
  it('refuses to start without a password file and logs why', async () => {
    const { context, logs } = makeContext(dir.path, await freePort(), undefined);
    expect(createConsoleStage(context)).toBeUndefined();
    expect(logs.join('')).toContain('console.passwordFile is not set');
  });

  it('refuses a password file that is not a hash, without logging its content', async () => {
    const file = join(dir.path, 'plain.txt');
    writeFileSync(file, 'hunter2-in-clear\n');
    const { context, logs } = makeContext(dir.path, await freePort(), file);
    expect(createConsoleStage(context)).toBeUndefined();
    expect(logs.join('')).toContain('is not a password hash');
    expect(logs.join('')).not.toContain('hunter2');
  });

  it('serves nothing but the login without a session, and locks an address after repeated failures', async () => {
    const port = await freePort();
    const { context } = makeContext(dir.path, port, await writePasswordFile(dir.path));
    const stage = createConsoleStage(context)!;
    await stage.start();
    try {
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/api/state`)).status).toBe(401);
      expect((await fetch(`${base}/api/test-siren`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
      const root = await fetch(`${base}/`, { redirect: 'manual' });
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/login');
      const login = (password: string) => fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }) });
      // A form post (what a cross-site page could send) is not accepted.
      expect((await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `password=${PASSWORD}` })).status).toBe(415);
      for (let i = 0; i < MAX_FAILURES; i++) expect((await login('wrong')).status).toBe(401);
      expect((await login(PASSWORD)).status).toBe(429);
    } finally {
      await stage.stop();
    }
  }, 20_000);
});
