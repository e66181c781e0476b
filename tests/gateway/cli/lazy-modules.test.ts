// `lastmile run` loads what the site uses and nothing else (issue 12: resident memory and start-up):
// no fastify without the console, no aedes with an external local broker, none of the installer
// commands' code; a site with the embedded broker and the console does load them (the recorder works).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../contract/password-hash.js';
import { freePort, startMosquitto, tempDir } from '../../helpers/peers.js';

const CLI = fileURLToPath(new URL('../../../gateway/cli.ts', import.meta.url));
const RECORDER = fileURLToPath(new URL('./record-modules.mjs', import.meta.url));
const dir = tempDir('lazy-modules');
let mosquitto: Awaited<ReturnType<typeof startMosquitto>>;

beforeAll(async () => {
  mosquitto = await startMosquitto();
});
afterAll(async () => {
  await mosquitto?.stop();
  dir.remove();
});

async function site(name: string, extra: string): Promise<string> {
  const modbus = await freePort(); // nothing listens: the driver retries, which is all this test needs
  const file = join(dir.path, `${name}.yaml`);
  writeFileSync(
    file,
    `version: 1
gateway: { township: t, compound: c, id: gw-lazy, name: { zh: 网关, en: Gateway } }
buses: [{ id: bus, type: tcp, host: 127.0.0.1, port: ${modbus}, timeout: 200ms }]
sources: [{ id: level, profile: generic/qdy30a, bus: bus, unit: 1, poll: 1s, tags: { building: "1" } }]
uplink: { url: "mqtt://127.0.0.1:${mosquitto.port}" }
spool: { dir: ${join(dir.path, `${name}-spool`)} }
${extra}`,
  );
  return file;
}

/** Runs `lastmile run <file> --for 2s` from sources and returns the modules it loaded. */
function modulesOfRun(file: string): Promise<string[]> {
  const log = `${file}.modules`;
  writeFileSync(log, '');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', RECORDER, CLI, 'run', file, '--for', '2s'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LASTMILE_TEST_MODULE_LOG: log } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`lastmile run exited ${code}: ${stderr}`));
      else resolve(readFileSync(log, 'utf8').split('\n'));
    });
  });
}

const loads = (modules: readonly string[], part: string) => modules.some((m) => m.includes(part));

describe('lastmile run loads only what the site uses', () => {
  it('loads neither fastify, aedes nor the installer commands for a site without console and with an external local broker', async () => {
    const modules = await modulesOfRun(await site('external', `localBroker: { external: { url: "mqtt://127.0.0.1:${mosquitto.port}" } }\n`));
    expect(loads(modules, 'gateway/drivers/modbus/driver')).toBe(true);
    expect(loads(modules, '/node_modules/mqtt/')).toBe(true);
    for (const part of ['/node_modules/fastify/', '/node_modules/aedes/', 'gateway/console/server', 'gateway/local-broker/embedded-broker', 'gateway/cli/probe', 'gateway/cli/scan', 'gateway/cli/doctor', 'gateway/installer/doctor']) {
      expect(loads(modules, part), part).toBe(false);
    }
  }, 90_000);

  it('loads fastify and aedes when the site has the console and the embedded broker', async () => {
    const passwordFile = join(dir.path, 'console.hash');
    writeFileSync(passwordFile, `${await hashPassword('console-password-1')}\n`);
    const port = await freePort();
    const brokerPort = await freePort();
    const modules = await modulesOfRun(await site('embedded', `localBroker: { host: 127.0.0.1, port: ${brokerPort} }\nconsole: { host: 127.0.0.1, port: ${port}, passwordFile: ${passwordFile} }\n`));
    expect(loads(modules, '/node_modules/fastify/')).toBe(true);
    expect(loads(modules, '/node_modules/aedes/')).toBe(true);
  }, 90_000);
});
