// The shipped build, end to end (issue 12): a copy of this checkout is packed with `npm pack` (which
// builds dist/), deploy/install.sh installs the tarball into a temporary root (--root: no users, no
// systemctl, nothing outside it), and the installed tree, compiled JavaScript with production
// dependencies only, validates the demo config and a site of its own and runs that site for 5 s
// against a Modbus TCP simulator, filling its spool.
//
// Native modules: npm runs here with ignore-scripts, because compiling better-sqlite3 takes minutes on
// a loaded 2-core box; serialport loads its prebuilt binary, and this site has no GPIO (onoff's epoll).
// On the Pi, install.sh's `npm ci` builds them as package.json's allowScripts allows (docs/install.md).
// Slow (pack + npm ci: a minute or more), hence the long timeout.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../../config/load-site.js';
import { resolveProfile } from '../../../gateway/devices/resolve.js';
import { ModbusSimulator } from '../../../gateway/sim/modbus-simulator.js';
import { freePort, tempDir } from '../../helpers/peers.js';
import { waitFor } from '../../helpers/wait.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SHIPPED = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'bin', 'scripts', 'contract', 'gateway', 'firmware-bridge', 'cloud-ingest', 'config', 'devices', 'deploy', 'docs'];

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }) {
  const result = spawnSync(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: 'utf8', timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, output: `${result.stdout}${result.stderr}${result.error ? String(result.error) : ''}` };
}

function spoolBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const stat = statSync(join(dir, name));
    if (stat.isFile()) total += stat.size;
  }
  return total;
}

describe('npm pack → install.sh --root → lastmile validate / run --for 5s from the installed tree', () => {
  const dir = tempDir('install-release');
  const root = join(dir.path, 'root');
  const app = join(root, 'opt/lastmile');
  let tarball = '';
  let installOutput = '';
  let installStatus: number | null = null;

  beforeAll(() => {
    // A copy, so the pack's build and npm-shrinkwrap.json never touch the shared working tree.
    const src = join(dir.path, 'src');
    mkdirSync(src);
    for (const item of SHIPPED) cpSync(join(REPO, item), join(src, item), { recursive: true, filter: (path) => !path.includes('/node_modules') });
    symlinkSync(join(REPO, 'node_modules'), join(src, 'node_modules'));
    const pack = run('npm', ['pack', '--pack-destination', dir.path, '--json'], { cwd: src, timeoutMs: 480_000 });
    expect(pack.status, pack.output).toBe(0);
    tarball = join(dir.path, readdirSync(dir.path).find((f) => f.endsWith('.tgz'))!);
    const install = run('bash', [join(src, 'deploy/install.sh'), '--root', root, '--release', tarball, '--no-start'], {
      cwd: dir.path,
      env: { npm_config_ignore_scripts: 'true', npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
      timeoutMs: 480_000,
    });
    installStatus = install.status;
    installOutput = install.output;
  }, 1_000_000);

  // Two installed trees with their node_modules: removing them takes a while on a loaded box.
  afterAll(() => dir.remove(), 180_000);

  it('installs the compiled release with production dependencies only', () => {
    expect(installStatus, installOutput).toBe(0);
    expect(existsSync(join(app, 'dist/gateway/cli.js'))).toBe(true);
    expect(existsSync(join(app, 'dist/devices/eastron/sdm120.yaml'))).toBe(true);
    expect(existsSync(join(app, 'dist/gateway/console/static/index.html'))).toBe(true);
    // No TypeScript sources and no tsx: what runs is dist/.
    expect(existsSync(join(app, 'gateway'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/mqtt'))).toBe(true);
    expect(existsSync(join(root, 'etc/systemd/system/lastmile.service'))).toBe(true);
    expect(existsSync(join(root, 'usr/local/bin/lastmile'))).toBe(true);
    // One role's code: the gateway's bundle holds the contract and no township code (what runs below proves
    // it needs none); its source maps name every module bundled into it.
    const bundled = readdirSync(join(app, 'dist/gateway'))
      .filter((f) => f.endsWith('.js.map'))
      .flatMap((f) => (JSON.parse(readFileSync(join(app, 'dist/gateway', f), 'utf8')) as { sources: string[] }).sources);
    expect(bundled.some((s) => s.endsWith('contract/wire.ts'))).toBe(true);
    expect(bundled.filter((s) => /(^|\/)cloud-ingest\//.test(s))).toEqual([]);
    expect(existsSync(join(app, 'dist/cloud-ingest'))).toBe(false);
    expect(existsSync(join(app, 'bin/lastmile-ingest.js'))).toBe(false);
  });

  it('installs the township from the same release without gateway code, and its provision command runs from there', () => {
    expect(installStatus, installOutput).toBe(0);
    const townshipRoot = join(dir.path, 'township-root');
    const install = run('bash', [join(dir.path, 'src/deploy/install.sh'), '--township', '--root', townshipRoot, '--release', tarball, '--no-start'], {
      cwd: dir.path,
      env: { npm_config_ignore_scripts: 'true', npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
      timeoutMs: 480_000,
    });
    expect(install.status, install.output).toBe(0);
    const townshipApp = join(townshipRoot, 'opt/lastmile');
    expect(existsSync(join(townshipApp, 'dist/cloud-ingest/main.js'))).toBe(true);
    for (const gatewaySide of ['dist/gateway', 'dist/devices', 'dist/config', 'bin/lastmile.js']) expect(existsSync(join(townshipApp, gatewaySide)), gatewaySide).toBe(false);
    expect(existsSync(join(townshipRoot, 'etc/systemd/system/lastmile-ingest.service'))).toBe(true);
    const config = join(dir.path, 'township.yaml');
    writeFileSync(config, `version: 1\ndataDir: ${join(dir.path, 'township-data')}\n`);
    const provision = run(process.execPath, [join(townshipRoot, 'usr/local/bin/lastmile-ingest'), 'provision', '--config', config, '--gateway', 'gw-installed', '--township', 'chengguan', '--compound', 'hongqi', '--broker-url', 'mqtts://township.example:8883'], { cwd: dir.path, timeoutMs: 60_000 });
    expect(provision.status, provision.output).toBe(0);
    expect(provision.output).toMatch(/gw-installed/);
  }, 600_000);

  it('validates the demo config and a site of its own, then runs that site for 5 s and fills its spool', async () => {
    expect(installStatus, installOutput).toBe(0);
    const cli = join(root, 'usr/local/bin/lastmile');
    const demo = run(process.execPath, [cli, 'validate', join(app, 'dist/config/examples/demo-compound.yaml'), '--config-only'], { cwd: dir.path, timeoutMs: 60_000 });
    expect(demo.status, demo.output).toBe(0);
    expect(demo.output).toMatch(/^ok: .*gw-hongqi-01/);

    const modbusPort = await freePort();
    const metricsPort = await freePort();
    const spoolDir = join(dir.path, 'spool');
    const siteFile = join(dir.path, 'site.yaml');
    writeFileSync(
      siteFile,
      [
        'version: 1',
        'gateway: { township: chengguan, compound: hongqi-lane-12, id: gw-installed }',
        'buses:',
        `  - { id: tcp1, type: tcp, host: 127.0.0.1, port: ${modbusPort}, timeout: 1s }`,
        'sources:',
        '  - { id: meter-b1, profile: eastron/sdm120, bus: tcp1, unit: 1, poll: 200ms, tags: { building: "1" } }',
        '  - { id: meter-b2, profile: eastron/sdm120, bus: tcp1, unit: 2, poll: 200ms, tags: { building: "2" } }',
        `spool: { dir: ${spoolDir} }`,
        `metrics: { port: ${metricsPort} }`,
        '',
      ].join('\n'),
    );
    const validate = run(process.execPath, [cli, 'validate', siteFile], { cwd: dir.path, timeoutMs: 60_000 });
    expect(validate.status, validate.output).toBe(0);

    const profile = resolveProfile(parseSiteConfig(siteFile, readFileSync(siteFile, 'utf8')).profiles.get('eastron/sdm120')!);
    const simulator = new ModbusSimulator([1, 2].map((unit) => ({ unit, resolved: profile, scenario: (s: number) => ({ voltage: 229 + unit + (s % 3), current: 2 }) })), { host: '127.0.0.1', port: modbusPort });
    await simulator.start();
    try {
      const child = spawn(process.execPath, [cli, 'run', siteFile, '--for', '5s'], { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      // While it runs: ready on /readyz, and the spool counter moves on /metrics.
      const ready = await waitFor('the installed gateway ready on /readyz', async () => {
        const response = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined);
        return response?.status === 200 ? response : undefined;
      }, 60_000).catch((error: Error) => error);
      const code = await exited;
      clearTimeout(timer);
      expect(ready, output).not.toBeInstanceOf(Error);
      expect(code, output).toBe(0);
      expect(output).toContain('gateway started');
      expect(output).toContain('gateway stopped');
      expect(spoolBytes(spoolDir), output).toBeGreaterThan(0);
    } finally {
      await simulator.stop();
    }
  }, 240_000);
});
