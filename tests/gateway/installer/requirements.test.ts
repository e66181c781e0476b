// Host requirements of a valid config: console.passwordFile must exist, GPIO lines must exist on this
// machine. validate and doctor report them; run refuses to start with one bilingual line per missing
// requirement naming the config path, never a stack trace. GPIO is judged against a fake sysfs tree.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../../../gateway/cli/run.js';
import { validateCommand } from '../../../gateway/cli/validate.js';
import { runDoctor } from '../../../gateway/installer/doctor.js';
import { tempDir } from '../../helpers/peers.js';

const dir = tempDir('requirements');
const hash = join(dir.path, 'console.hash');
const noSysfs = join(dir.path, 'no-sysfs');
const sysfs = join(dir.path, 'sysfs');
mkdirSync(join(sysfs, 'gpiochip512'), { recursive: true });
writeFileSync(join(sysfs, 'gpiochip512', 'base'), '512\n');
writeFileSync(join(sysfs, 'gpiochip512', 'ngpio'), '54\n');
writeFileSync(join(sysfs, 'gpiochip512', 'label'), 'pinctrl-bcm2711\n');

/** A site with a GPIO source and siren; `sysfsRoot` is the site's drivers.gpio.sysfsRoot (a fake tree). */
function config(name: string, line: number, sysfsRoot = sysfs): string {
  const file = join(dir.path, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
gateway: { township: t1, compound: c1, id: gw-req }
sources:
  - { id: door-1, profile: generic/gpio-door-contact, gpio: { lines: { contact: 17 } }, tags: { building: "1" } }
actuators:
  - { id: siren-b1, type: gpio, role: siren, line: ${line} }
console: { host: 127.0.0.1, port: 18080, passwordFile: ${hash} }
drivers: { gpio: { sysfsRoot: ${sysfsRoot} } }
spool: { dir: ${join(dir.path, 'spool')}, maxBytes: 1MB }
`,
  );
  return file;
}

function captureConsole() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(() => dir.remove());

describe('host requirements', () => {
  it('run refuses with one bilingual line per missing requirement, naming the config path', async () => {
    const file = config('missing', 27, noSysfs);
    const c = captureConsole();
    expect(await runCommand([file])).toBe(1);
    expect(c.err).toHaveLength(2);
    expect(c.err[0]).toBe(`${file}: console.passwordFile: 文件 ${hash} 不存在：用 \`lastmile passwd --out <file>\` 生成 / file ${hash} does not exist: make it with \`lastmile passwd --out <file>\``);
    expect(c.err[1]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: actuators\\[0\\]\\.line: 本机没有可用的 GPIO.* / no GPIO on this machine \\(cannot list GPIO chips in ${noSysfs.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    expect(c.err.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('validate prints ok for the config, then the missing requirements, and exits 1; --config-only exits 0', async () => {
    const file = config('line-99', 99);
    let c = captureConsole();
    expect(await validateCommand([file])).toBe(1);
    expect(c.out[0]).toMatch(/^ok: /);
    expect(c.err[0]).toContain('console.passwordFile: 文件');
    expect(c.err[1]).toContain('actuators[0].line: GPIO 99 不存在');
    expect(c.err[2]).toContain('本机缺少 2 项');
    vi.restoreAllMocks();
    c = captureConsole();
    expect(await validateCommand([file, '--config-only'])).toBe(0);
    expect(c.err).toEqual([]);
  });

  it('names the uplink password, the TLS files and the local-broker user hashes it cannot find', async () => {
    const file = config('files', 27);
    const text = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      text.replace(
        'spool:',
        `uplink: { url: "mqtts://township.example:8883", passwordFile: ${join(dir.path, 'uplink.password')}, ca: ${join(dir.path, 'ca.pem')} }
localBroker: { port: 18830, users: [{ username: node-1, passwordFile: ${join(dir.path, 'node-1.hash')}, publish: ["lastmile/dev/%u/#"] }] }
spool:`,
      ),
    );
    const c = captureConsole();
    expect(await runCommand([file])).toBe(1);
    const paths = c.err.map((line) => line.slice(file.length + 2).split(':')[0]);
    expect(paths).toEqual(['console.passwordFile', 'uplink.passwordFile', 'uplink.ca', 'localBroker.users[0].passwordFile']);
  });

  it('refuses a listener key file others can read, and names a missing certificate', async () => {
    const file = config('tls-files', 27);
    const key = join(dir.path, 'console.key');
    writeFileSync(key, 'not really a key\n', { mode: 0o644 });
    chmodSync(key, 0o644);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(`passwordFile: ${hash} }`, `passwordFile: ${hash}, tls: { certFile: ${join(dir.path, 'console.crt')}, keyFile: ${key} } }`));
    const c = captureConsole();
    expect(await runCommand([file])).toBe(1);
    expect(c.err.map((line) => line.slice(file.length + 2).split(':')[0])).toEqual(['console.passwordFile', 'console.tls.certFile', 'console.tls.keyFile']);
    expect(c.err[2]).toMatch(/其他用户可读.* \/ private key .* readable by others \(mode 644\): run chmod 600/);
    chmodSync(key, 0o600);
    const again = captureConsole();
    expect(await runCommand([file])).toBe(1);
    expect(again.err.map((line) => line.slice(file.length + 2).split(':')[0])).toEqual(['console.passwordFile', 'console.tls.certFile']);
  });

  it('doctor passes both once the hash file exists and the line is on the chip', async () => {
    const file = config('good', 27);
    const before = await runDoctor(file, { ntpProbe: () => Promise.resolve('unavailable') });
    expect(before.find((r) => r.title.en === 'Requirement console.passwordFile')).toMatchObject({ status: 'fail' });
    writeFileSync(hash, 'scrypt$...\n');
    const after = await runDoctor(file, { ntpProbe: () => Promise.resolve('unavailable') });
    expect(after.find((r) => r.title.en === 'Requirement console.passwordFile')).toMatchObject({ status: 'pass' });
    const gpio = after.find((r) => r.title.en === 'Requirement actuators[0].line')!;
    expect(gpio).toMatchObject({ status: 'pass' });
    expect(gpio.detail.en).toBe('GPIO 27 on gpiochip512 (pinctrl-bcm2711)');
    expect(after.find((r) => r.title.en === 'Requirement sources[0].gpio.lines.contact')).toMatchObject({ status: 'pass' });
  });
});
