// The township the fleet bench runs against: VictoriaMetrics and cloud-ingest as its own process (the
// delivery bench's SupervisedProcess and Resources), with N gateways provisioned by the project's own
// code (registry/provision.ts: the scrypt hash the embedded broker checks, the mosquitto lines).
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { provisionGateway } from '../../cloud-ingest/registry/provision.js';
import { GatewayRegistry, type GatewayEntry } from '../../cloud-ingest/registry/registry.js';
import { freePort } from '../../tests/helpers/peers.js';
import { startVictoria, type Victoria } from '../../tests/helpers/victoria.js';
import type { Resources } from '../delivery/resources.js';
import { SupervisedProcess } from '../delivery/supervised.js';

export const TOWNSHIP = 'fleet-town';

export interface Provisioned {
  readonly gateway: string;
  readonly password: string;
}

/** Gateways provisioned per throw-away registry: GatewayRegistry.put rewrites its whole file each time. */
const PROVISION_CHUNK = 100;

/**
 * Provisions gateways with provisionGateway (one scrypt hash and one mosquitto hash each) and writes one
 * registry file in the registry's own format, loaded back through GatewayRegistry to check it.
 */
export function provisionFleet(dir: string, ids: readonly string[], progress: (line: string) => void): { registryFile: string; gateways: Provisioned[]; cpuMsPerGateway: number } {
  const entries: GatewayEntry[] = [];
  const gateways: Provisioned[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < ids.length; i += PROVISION_CHUNK) {
    const registry = new GatewayRegistry(join(dir, `provision-${i}.json`)).load();
    for (const gateway of ids.slice(i, i + PROVISION_CHUNK)) {
      const p = provisionGateway(registry, { gateway, township: TOWNSHIP, compound: `c-${gateway}`, brokerUrl: 'mqtt://127.0.0.1' });
      entries.push(p.entry);
      gateways.push({ gateway, password: p.password });
    }
    if (i % 1000 === 0) progress(`provisioned ${Math.min(i + PROVISION_CHUNK, ids.length)} / ${ids.length}`);
  }
  const cpu = process.cpuUsage(cpu0);
  const registryFile = join(dir, 'gateways.json');
  writeFileSync(registryFile, JSON.stringify({ version: 1, gateways: entries }, null, 2) + '\n', { mode: 0o600 });
  const loaded = new GatewayRegistry(registryFile).load();
  if (loaded.list().length !== ids.length) throw new Error(`fleet township: ${registryFile} holds ${loaded.list().length} gateways, expected ${ids.length}`);
  return { registryFile, gateways, cpuMsPerGateway: (cpu.user + cpu.system) / 1000 / ids.length };
}

/** CPU seconds (utime + stime, 100 Hz ticks) and RSS bytes of a process, from /proc. */
export function processUsage(pid: number): { cpuS: number; rssBytes: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { cpuS: (Number(fields[11]) + Number(fields[12])) / 100, rssBytes: Number(fields[21]) * 4096 };
}

export class FleetTownship {
  vm: Victoria | undefined;
  ingest: SupervisedProcess | undefined;
  brokerPort = 0;

  constructor(
    private readonly dir: string,
    private readonly resources: Resources,
    private readonly progress: (line: string) => void,
  ) {}

  async start(registryFile: string): Promise<void> {
    this.vm = await startVictoria({ port: await freePort(), dataDir: join(this.dir, 'victoria') });
    this.resources.trackPid(this.vm.process.pid);
    this.resources.onRelease(() => this.vm?.stop());
    this.brokerPort = await freePort();
    const config = {
      version: 1,
      worker: 'w1',
      dataDir: join(this.dir, 'w1'),
      registryFile,
      influx: { url: this.vm.url, org: 'lastmile', bucket: 'lastmile' },
      console: { enabled: false },
      broker: { type: 'embedded', host: '127.0.0.1', port: this.brokerPort },
    };
    const file = join(this.dir, 'w1.yaml');
    writeFileSync(file, JSON.stringify(config, null, 2) + '\n'); // JSON is YAML
    this.ingest = new SupervisedProcess('cloud-ingest w1', 'cloud-ingest/main.ts', [file], join(this.dir, 'w1.log'), this.resources, this.progress);
    this.resources.onRelease(() => this.ingest?.stop());
    this.ingest.start();
  }

  /** cloud-ingest's CPU and RSS now; undefined between a kill and the restart. */
  usage(): { pid: number; cpuS: number; rssBytes: number } | undefined {
    const pid = this.ingest?.pid;
    if (pid === undefined) return undefined;
    try {
      return { pid, ...processUsage(pid) };
    } catch {
      return undefined; // exited between the look and the read
    }
  }

  /** SIGKILL and start again (a crash or a deploy): the fresh process knows no verified password. */
  async restartIngest(): Promise<void> {
    await this.ingest!.killAndRestart();
  }
}
