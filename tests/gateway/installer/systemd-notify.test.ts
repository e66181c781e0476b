// The watchdog notifier: READY=1 then WATCHDOG=1 while healthy, pings stop while a poller is stuck and
// resume when it moves again. The real `systemd-notify` cannot reach a service manager here (no systemd
// in the test box), so the exec path is checked against a stand-in script that records its arguments.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pollersAlive, startSystemdNotifier, SystemdNotifier, systemdNotifyBinary } from '../../../gateway/installer/systemd-notify.js';
import { silentLogger } from '../../../contract/logger.js';
import { Stats } from '../../../contract/stats.js';
import type { RuntimeContext } from '../../../gateway/pipeline/stage.js';
import { tempDir } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';

const dir = tempDir('notify');
afterAll(() => dir.remove());

const modbusSource = { profile: { driver: 'modbus' } } as unknown as RuntimeContext['sources'][number];

describe('systemd notifier', () => {
  it('pings only while the pollers make requests', async () => {
    const sent: string[] = [];
    const stats = new Stats();
    let now = 0;
    const check = pollersAlive({ sources: [modbusSource], stats }, () => now, 1000);
    const notifier = new SystemdNotifier({ send: (s) => (sent.push(s), Promise.resolve()), intervalMs: 10, checks: [check], log: silentLogger(), readyRepeats: 1 });
    notifier.start();
    await waitFor('two pings', () => sent.filter((s) => s === 'WATCHDOG=1').length >= 2, 3000);
    expect(sent[0]).toBe('READY=1');

    now = 5000; // no request for 5 s: stuck; the next tick sees it
    const beforeStall = sent.length;
    await new Promise((r) => setTimeout(r, 30));
    const atStall = sent.length;
    expect(atStall - beforeStall).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(sent.length).toBe(atStall);

    stats.inc('modbus.requests', { source: 'meter-1' }); // the poller moves again
    await waitFor('pings to resume', () => sent.length > atStall, 3000);
    await notifier.stop();
    expect(sent.at(-1)).toBe('STOPPING=1');
  });

  it('is healthy without polled sources', () => {
    expect(pollersAlive({ sources: [], stats: new Stats() }, () => 1e9, 1)()).toBeUndefined();
  });

  it('does nothing outside systemd, and runs the notify binary with the state under systemd', async () => {
    const context = { sources: [], stats: new Stats(), log: silentLogger() };
    expect(startSystemdNotifier(context, {})).toBeUndefined();
    const record = join(dir.path, 'calls');
    const script = join(dir.path, 'fake-systemd-notify');
    writeFileSync(script, `#!/bin/sh\necho "$@" >> ${record}\n`);
    chmodSync(script, 0o755);
    await systemdNotifyBinary(script)('READY=1');
    expect(readFileSync(record, 'utf8')).toBe('READY=1\n');
  });
});
