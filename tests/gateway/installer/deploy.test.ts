// deploy/: the first-boot script run for real against temp dirs standing in for the boot partition and
// /etc/lastmile (with the real `lastmile validate`), and the systemd units checked by systemd-analyze.
// install.sh runs for real into a temporary root in install-release.test.ts; here it is syntax-checked.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary, tempDir } from '../../helpers/peers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const dirs: { remove: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

const VALID = `version: 1\r
gateway: { township: t1, compound: c1, id: gw-boot }\r
buses:\r
  - { id: rs485-1, type: rtu, port: /dev/ttyUSB0, baud: 9600, parity: none, stopBits: 1 }\r
sources:\r
  - { id: th-1, profile: generic/xy-md02, bus: rs485-1, unit: 1, tags: { building: "1" } }\r
console: { passwordFile: /etc/lastmile/console.hash }\r
`;

function firstBoot(bootYaml: string | undefined, companion?: Record<string, string>) {
  const dir = tempDir('firstboot');
  dirs.push(dir);
  const boot = join(dir.path, 'boot-firmware');
  const etc = join(dir.path, 'etc-lastmile');
  mkdirSync(boot);
  if (bootYaml !== undefined) writeFileSync(join(boot, 'lastmile.yaml'), bootYaml);
  if (companion) {
    mkdirSync(join(boot, 'lastmile'));
    for (const [name, text] of Object.entries(companion)) writeFileSync(join(boot, 'lastmile', name), text);
  }
  const result = spawnSync(join(DEPLOY, 'firstboot.sh'), [], {
    env: { ...process.env, LASTMILE_BOOT_DIRS: `${join(dir.path, 'missing')} ${boot}`, LASTMILE_ETC: etc, LASTMILE_CLI: `${process.execPath} --import tsx ${join(ROOT, 'gateway/cli.ts')}`, LASTMILE_GROUP: 'no-such-group-here' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { boot, etc, status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('first boot', () => {
  it('moves a valid config (and its secret files) into /etc/lastmile and clears the boot partition', () => {
    const run = firstBoot(VALID, { 'console.hash': 'scrypt$1024$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==\n' });
    expect(run.status, run.output).toBe(0);
    expect(readFileSync(join(run.etc, 'site.yaml'), 'utf8')).toBe(VALID.replace(/\r/g, ''));
    expect(existsSync(join(run.etc, 'console.hash'))).toBe(true);
    expect(existsSync(join(run.boot, 'lastmile.yaml'))).toBe(false);
    expect(existsSync(join(run.boot, 'lastmile', 'console.hash'))).toBe(false);
    expect(readFileSync(join(run.boot, 'lastmile-applied.txt'), 'utf8')).toContain('gw-boot');
  }, 40_000);

  it('keeps an invalid config out of /etc and leaves the reasons on the boot partition', () => {
    const run = firstBoot(VALID.replace('unit: 1,', 'unit: 300,'));
    expect(run.status).toBe(1);
    expect(existsSync(join(run.etc, 'site.yaml'))).toBe(false);
    expect(existsSync(join(run.boot, 'lastmile.yaml'))).toBe(true);
    const error = readFileSync(join(run.boot, 'lastmile-error.txt'), 'utf8');
    expect(error).toContain('config NOT applied');
    expect(error).toMatch(/lastmile\.yaml:6:\d+ sources\[0\]\.unit/);
  }, 40_000);

  it('does nothing without a config on the boot partition', () => {
    const run = firstBoot(undefined);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('nothing to do');
  });
});

describe('systemd units and scripts', () => {
  it.each(['lastmile.service', 'lastmile-firstboot.service', 'lastmile-ingest.service'])('%s has no unknown keys (systemd-analyze verify)', (unit) => {
    const analyze = requireBinary('/usr/bin/systemd-analyze');
    const result = spawnSync(analyze, ['verify', join(DEPLOY, unit)], { encoding: 'utf8', timeout: 20_000 });
    // Paths under /opt/lastmile do not exist on the test box; everything else must be clean.
    const problems = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.trim() !== '' && !l.includes('/opt/lastmile'));
    expect(problems).toEqual([]);
  }, 30_000);

  it('the gateway unit is Type=notify with a watchdog, restarts always and is hardened', () => {
    const unit = readFileSync(join(DEPLOY, 'lastmile.service'), 'utf8');
    for (const line of ['Type=notify', 'NotifyAccess=all', 'WatchdogSec=30', 'Restart=always', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/lastmile', 'NoNewPrivileges=true', 'User=lastmile', 'SupplementaryGroups=dialout gpio']) {
      expect(unit.split('\n')).toContain(line);
    }
  });

  it.each(['install.sh', 'firstboot.sh'])('%s parses (bash -n)', (script) => {
    const result = spawnSync('/bin/bash', ['-n', join(DEPLOY, script)], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  });
});
