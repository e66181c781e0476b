// The onoff adapter against a fake /sys/class/gpio in a private mount namespace (this machine has no GPIO
// and no gpio-sim): a child process under `unshare --mount` bind-mounts a temp tree over /sys/class and
// drives OnoffGpioPort through the real onoff package. export/unexport are FIFOs served by a worker thread
// that creates and removes gpioN/ as the kernel would. What this cannot test: edge delivery through
// epoll (watch()), which needs the kernel's own value files; see gateway/drivers/gpio/README.md.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary, tempDir } from '../../../helpers/peers.js';
import { GPIO_PORT_CONTRACT } from '../../../contract-suites/gpio-port.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/onoff-in-namespace.ts', import.meta.url));

function fakeSysClass(root: string): void {
  const gpio = join(root, 'gpio');
  mkdirSync(join(root, '.staging'), { recursive: true });
  // A Pi 4 on kernel 6.6+: the header chip starts at 512, the firmware expander after it.
  for (const [base, label, ngpio] of [[512, 'pinctrl-bcm2711', 58], [570, 'raspberrypi-exp-gpio', 8]] as const) {
    const chip = join(gpio, `gpiochip${base}`);
    mkdirSync(chip, { recursive: true });
    writeFileSync(join(chip, 'base'), `${base}\n`);
    writeFileSync(join(chip, 'label'), `${label}\n`);
    writeFileSync(join(chip, 'ngpio'), `${ngpio}\n`);
  }
  // BCM 17 exported earlier (by a previous run or another tool).
  const pre = join(gpio, 'gpio529');
  mkdirSync(pre);
  for (const [name, content] of [['direction', 'in'], ['value', '0'], ['edge', 'none'], ['active_low', '0']] as const) writeFileSync(join(pre, name), `${content}\n`);
  execFileSync(requireBinary('/usr/bin/mkfifo'), [join(gpio, 'export'), join(gpio, 'unexport')]);
}

describe('OnoffGpioPort on a fake sysfs in a private mount namespace', () => {
  const dir = tempDir('gpio-sysfs');
  afterAll(() => dir.remove());

  it('exports, configures, reads and writes lines at the global numbers of a base-512 chip', async () => {
    const unshare = requireBinary('/usr/bin/unshare');
    fakeSysClass(dir.path);
    // As root a plain mount namespace works; otherwise a user namespace maps us to root inside it.
    const nsFlags = process.getuid?.() === 0 ? ['--mount'] : ['--mount', '--map-root-user'];
    const script = 'mount --bind "$1" /sys/class && exec "$2" --import tsx "$3"';
    const { stdout } = await promisify(execFile)(unshare, [...nsFlags, 'sh', '-c', script, 'sh', dir.path, process.execPath, CHILD], { cwd: REPO, timeout: 25_000 });
    const line = stdout.split('\n').find((l) => l.startsWith('ONOFF-RESULT '));
    if (line === undefined) throw new Error(`the child printed no result line:\n${stdout}`);
    const result = JSON.parse(line.slice('ONOFF-RESULT '.length)) as Record<string, unknown>;
    expect(result.error).toBeUndefined();

    expect(result.chip).toEqual({ name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 });
    expect(result.preExported).toEqual({ level: 1, direction: 'in', edge: 'both' });
    expect(result.exportedOnDemand).toEqual({ firstRead: 0, secondRead: 1, direction: 'in', edge: 'falling' });
    expect(result.output).toEqual({ directionAtOpen: 'high', valueAfterLow: '0', valueAfterHigh: '1', level: 1 });
    expect(result.missingLine).toMatch(/line 60 does not exist on gpiochip512/);
    // The GpioPort contract, as the memory port passes it.
    expect(result.contract).toEqual(GPIO_PORT_CONTRACT.map((check) => ({ name: check.name })));
    // The kernel side saw exports only for the lines that were not exported yet, and every unexport
    // (the contract's own lines, BCM 6, 13 and 19, apart).
    const contractLines = new Set([518, 525, 531]);
    expect((result.kernelSide as { line: number }[]).filter((e) => !contractLines.has(e.line))).toEqual([
      { kind: 'export', line: 539 },
      { kind: 'export', line: 534 },
      { kind: 'unexport', line: 529 },
      { kind: 'unexport', line: 539 },
      { kind: 'unexport', line: 534 },
      { kind: 'export', line: 517 },
    ]);
    expect(result.afterClose).toEqual([]);
    // Edges cannot come through epoll on a regular file; the adapter names the line when watch() fails.
    expect(result.watch).toMatch(/^error: cannot watch edges on GPIO line 5 \(global 517\)/);
    // Nothing leaked out of the namespace: the host still has no such files.
    expect(() => readFileSync('/sys/class/gpio/gpiochip512/base')).toThrow();
  }, 30_000);
});
