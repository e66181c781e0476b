// The demo's township centre: cloud-ingest in-process with its embedded broker and console, the demo
// gateway provisioned into its registry, and, where the victoria-metrics binary is installed, a
// VictoriaMetrics on loopback as the InfluxDB write endpoint (DESIGN.md "Embedded defaults and the demo").
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cloudIngestConfig } from '../../cloud-ingest/config.js';
import { hashPassword } from '../../cloud-ingest/registry/password.js';
import { provisionGateway } from '../../cloud-ingest/registry/provision.js';
import { GatewayRegistry } from '../../cloud-ingest/registry/registry.js';
import { CloudIngest } from '../../cloud-ingest/service.js';
import type { Logger } from '../shared/logger.js';

const VICTORIA_BIN = '/usr/bin/victoria-metrics';

export interface DemoTownshipOptions {
  readonly dir: string;
  readonly log: Logger;
  readonly gateway: { readonly id: string; readonly township: string; readonly compound: string };
  readonly ports: { readonly broker: number; readonly console: number; readonly victoria: number };
  /** File the gateway's uplink reads its password from (the demo config's uplink.passwordFile). */
  readonly uplinkPasswordFile: string;
}

export interface DemoTownship {
  readonly service: CloudIngest;
  /** VictoriaMetrics base URL, when it is installed and running. */
  readonly victoriaUrl: string | undefined;
  /** Password of the console user `duty-officer` for this run. */
  readonly consolePassword: string;
  stop(): Promise<void>;
}

async function startVictoria(dir: string, port: number, log: Logger): Promise<{ url: string; process: ChildProcess } | undefined> {
  if (!existsSync(VICTORIA_BIN)) return undefined;
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(VICTORIA_BIN, [`-storageDataPath=${join(dir, 'victoria')}`, `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=ERROR'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const healthy = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (healthy) return { url, process: child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  log.warn({ port }, 'victoria-metrics did not start; the township keeps only a recent window in memory');
  return undefined;
}

export async function startDemoTownship(options: DemoTownshipOptions): Promise<DemoTownship> {
  const dataDir = join(options.dir, 'township');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const victoria = await startVictoria(options.dir, options.ports.victoria, options.log);
  const consolePassword = randomBytes(9).toString('base64url');
  const config = cloudIngestConfig.parse({
    version: 1,
    worker: 'demo',
    broker: { type: 'embedded', host: '127.0.0.1', port: options.ports.broker },
    ...(victoria ? { influx: { url: victoria.url, org: 'demo', bucket: 'lastmile' } } : {}),
    dataDir,
    console: {
      host: '127.0.0.1',
      port: options.ports.console,
      secureCookie: false, // plain http on loopback, for the demo only
      users: [{ name: 'duty-officer', township: options.gateway.township, displayName: '街道值班员 / duty officer', passwordHash: hashPassword(consolePassword) }],
    },
  });
  // A fresh gateway password every run (rotate), handed to the gateway through its passwordFile.
  const registry = new GatewayRegistry(join(dataDir, 'gateways.json')).load();
  const issued = provisionGateway(registry, {
    gateway: options.gateway.id,
    township: options.gateway.township,
    compound: options.gateway.compound,
    brokerUrl: `mqtt://127.0.0.1:${options.ports.broker}`,
    rotate: true,
  });
  writeFileSync(options.uplinkPasswordFile, `${issued.password}\n`, { mode: 0o600 });

  const service = new CloudIngest(config, options.log.child({ scope: 'township' }));
  await service.start();
  return {
    service,
    victoriaUrl: victoria?.url,
    consolePassword,
    async stop() {
      await service.stop();
      const child = victoria?.process;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
