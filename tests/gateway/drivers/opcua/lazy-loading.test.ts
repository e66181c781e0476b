// A gateway without OPC UA sources must never load node-opcua (about 40 MB of RSS on a Pi). Checked in a
// fresh child process, since this test runner may have loaded node-opcua for other files; the same
// child then loads it on purpose, which shows the check can see node-opcua when it is there.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, tempDir } from '../../../helpers/peers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/modbus-only-runtime.ts', import.meta.url));

describe('lazy loading of node-opcua', () => {
  const dir = tempDir('opcua-lazy');
  afterAll(() => dir.remove());

  it('a Modbus-only runtime, and the OPC UA driver module itself, load no node-opcua module', async () => {
    // Nobody listens on this port: the Modbus driver runs and counts connection faults, which is enough here.
    const port = await freePort();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', FIXTURE, dir.path, String(port)], {
      timeout: 25_000,
      env: { ...process.env, XDG_CONFIG_HOME: dir.path },
    });
    // node-opcua prints its own warnings on stdout, so the child marks its result line.
    const line = stdout.split('\n').find((l) => l.startsWith('LAZY-LOADING-RESULT '));
    if (line === undefined) throw new Error(`the child printed no result line:\n${stdout}`);
    const counts = JSON.parse(line.slice('LAZY-LOADING-RESULT '.length)) as Record<string, number>;
    expect(counts.afterModbusRuntime).toBe(0);
    expect(counts.afterOpcuaDriverModule).toBe(0);
    expect(counts.afterOpcuaLibrary).toBeGreaterThan(10);
  }, 30_000);
});
