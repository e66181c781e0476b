// The township the fleet bench runs against: VictoriaMetrics and cloud-ingest as its own process (the
// delivery bench's SupervisedProcess and Resources), with N gateways provisioned by the project's own
// code (registry/provision.ts: the token verifier the embedded broker checks, the mosquitto lines).
// Two shapes: one worker with the embedded broker, or mosquitto (password file and ACL as `lastmile
// provision` prints them) with two workers in one $share group.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mosquittoPasswordHash } from '../../cloud-ingest/registry/password.js';
import { mosquittoIngestAcl, provisionGateway } from '../../cloud-ingest/registry/provision.js';
import { GatewayRegistry, type GatewayEntry } from '../../cloud-ingest/registry/registry.js';
import { freePort, startMosquitto } from '../../tests/helpers/peers.js';
import { startVictoria, type Victoria } from '../../tests/helpers/victoria.js';
import type { Resources } from '../delivery/resources.js';
import { SupervisedProcess } from '../delivery/supervised.js';

export const TOWNSHIP = 'fleet-town';
export type Shape = 'embedded' | 'mosquitto';
const INGEST_USER = 'ingest';

export interface Provisioned {
  readonly gateway: string;
  readonly password: string;
}

/** Gateways provisioned per throw-away registry: GatewayRegistry.put rewrites its whole file each time. */
const PROVISION_CHUNK = 100;

/**
 * Provisions gateways with provisionGateway (one token verifier and one mosquitto hash each, one token key for all) and writes one
 * registry file in the registry's own format, loaded back through GatewayRegistry to check it.
 */
export function provisionFleet(dir: string, ids: readonly string[], progress: (line: string) => void): { registryFile: string; gateways: Provisioned[]; cpuMsPerGateway: number; mosquittoPasswd: string[]; mosquittoAcl: string[] } {
  const entries: GatewayEntry[] = [];
  const gateways: Provisioned[] = [];
  const mosquittoPasswd: string[] = [];
  const mosquittoAcl: string[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < ids.length; i += PROVISION_CHUNK) {
    const registry = new GatewayRegistry(join(dir, `provision-${i}.json`)).load();
    for (const gateway of ids.slice(i, i + PROVISION_CHUNK)) {
      const p = provisionGateway(registry, { gateway, township: TOWNSHIP, compound: `c-${gateway}`, brokerUrl: 'mqtt://127.0.0.1' });
      entries.push(p.entry);
      gateways.push({ gateway, password: p.password });
      mosquittoPasswd.push(p.mosquittoPasswordLine);
      mosquittoAcl.push(p.mosquittoAcl);
    }
    if (i % 1000 === 0) progress(`provisioned ${Math.min(i + PROVISION_CHUNK, ids.length)} / ${ids.length}`);
  }
  const cpu = process.cpuUsage(cpu0);
  const registryFile = join(dir, 'gateways.json');
  writeFileSync(registryFile, JSON.stringify({ version: 1, gateways: entries }, null, 2) + '\n', { mode: 0o600 });
  const loaded = new GatewayRegistry(registryFile).load();
  if (loaded.list().length !== ids.length) throw new Error(`fleet township: ${registryFile} holds ${loaded.list().length} gateways, expected ${ids.length}`);
  return { registryFile, gateways, cpuMsPerGateway: (cpu.user + cpu.system) / 1000 / ids.length, mosquittoPasswd, mosquittoAcl };
}

/** CPU seconds (utime + stime, 100 Hz ticks), of them in the kernel (stime), and RSS bytes of a process, from /proc. */
export function processUsage(pid: number): { cpuS: number; kernelS: number; rssBytes: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { cpuS: (Number(fields[11]) + Number(fields[12])) / 100, kernelS: Number(fields[12]) / 100, rssBytes: Number(fields[21]) * 4096 };
}

type Mosquitto = Awaited<ReturnType<typeof startMosquitto>>;

/** How the bench starts a cloud-ingest worker (bench/fleet/run.ts builds it from deploy/lastmile-ingest.service). */
export interface IngestRun {
  readonly script: string;
  readonly compiled: boolean;
  readonly nodeFlags: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export interface Usage {
  readonly pid: number;
  readonly cpuS: number;
  readonly kernelS: number;
  readonly rssBytes: number;
}

export class FleetTownship {
  vm: Victoria | undefined;
  mosquitto: Mosquitto | undefined;
  readonly workers: SupervisedProcess[] = [];
  brokerPort = 0;
  private mosquittoExtra: string[] = [];

  constructor(
    private readonly dir: string,
    private readonly shape: Shape,
    private readonly resources: Resources,
    private readonly progress: (line: string) => void,
    /**
     * How each cloud-ingest worker runs: `script` (bin/lastmile-ingest.js on dist/ as shipped, or cloud-ingest/main.ts), compiled (plain
     * node) or under tsx, with these node flags and this environment (SupervisedProcess).
     */
    private readonly run: IngestRun,
  ) {}

  async start(fleet: { registryFile: string; mosquittoPasswd: readonly string[]; mosquittoAcl: readonly string[] }): Promise<void> {
    this.vm = await startVictoria({ port: await freePort(), dataDir: join(this.dir, 'victoria') });
    this.track(this.vm.process.pid);
    this.resources.onRelease(() => this.vm?.stop());
    this.brokerPort = await freePort();
    const base = { version: 1, registryFile: fleet.registryFile, influx: { url: this.vm.url, org: 'lastmile', bucket: 'lastmile' }, console: { enabled: false } };
    const configs: Record<string, unknown>[] = [];
    if (this.shape === 'embedded') {
      configs.push({ ...base, worker: 'w1', dataDir: join(this.dir, 'w1'), broker: { type: 'embedded', host: '127.0.0.1', port: this.brokerPort } });
    } else {
      const workerPasswordFile = join(this.dir, 'ingest.password');
      writeFileSync(workerPasswordFile, 'bench-ingest-worker\n', { mode: 0o600 });
      writeFileSync(join(this.dir, 'mosquitto.passwd'), [...fleet.mosquittoPasswd, `${INGEST_USER}:${mosquittoPasswordHash('bench-ingest-worker')}`].join('\n') + '\n', { mode: 0o600 });
      writeFileSync(join(this.dir, 'mosquitto.acl'), [...fleet.mosquittoAcl, mosquittoIngestAcl(INGEST_USER)].join('\n'), { mode: 0o600 });
      const mosquittoDir = join(this.dir, 'mosquitto');
      mkdirSync(mosquittoDir, { recursive: true });
      chmodSync(mosquittoDir, 0o700);
      this.mosquittoExtra = [`password_file ${join(this.dir, 'mosquitto.passwd')}`, `acl_file ${join(this.dir, 'mosquitto.acl')}`, 'allow_anonymous false', 'max_connections -1'];
      await this.startMosquitto();
      for (const worker of ['w1', 'w2']) {
        configs.push({ ...base, worker, dataDir: join(this.dir, worker), broker: { type: 'external', url: `mqtt://127.0.0.1:${this.brokerPort}`, username: INGEST_USER, passwordFile: workerPasswordFile, shareGroup: 'ingest' } });
      }
    }
    for (const config of configs) {
      const name = String(config.worker);
      const file = join(this.dir, `${name}.yaml`);
      writeFileSync(file, JSON.stringify(config, null, 2) + '\n'); // JSON is YAML
      const worker = new SupervisedProcess(`cloud-ingest ${name}`, this.run.script, [file], join(this.dir, `${name}.log`), this.resources, this.progress, this.run);
      this.workers.push(worker);
      worker.start();
    }
    this.resources.onRelease(() => Promise.all(this.workers.map((w) => w.stop())).then(() => undefined));
    this.resources.onRelease(() => this.mosquitto?.stop());
  }

  /** Each live cloud-ingest worker's CPU and RSS now (a worker between kill and restart is missing). */
  usage(): Usage[] {
    const out: Usage[] = [];
    for (const w of this.workers) {
      const pid = w.pid;
      if (pid === undefined) continue;
      try {
        out.push({ pid, ...processUsage(pid) });
      } catch {
        // exited between the look and the read
      }
    }
    return out;
  }

  /** mosquitto's CPU and RSS (mosquitto shape only). */
  brokerUsage(): Usage | undefined {
    const pid = this.mosquitto?.process.pid;
    if (pid === undefined || this.mosquitto?.process.exitCode !== null) return undefined;
    try {
      return { pid, ...processUsage(pid) };
    } catch {
      return undefined;
    }
  }

  /** SIGKILL every worker and start it again (a crash or a deploy): a fresh process knows no verified password. */
  async restartIngest(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.killAndRestart()));
  }

  /** mosquitto stopped (SIGTERM, it saves its persistence) and started again on the same port. */
  async restartBroker(): Promise<void> {
    await this.mosquitto!.stop();
    await this.startMosquitto();
  }

  private async startMosquitto(): Promise<void> {
    this.mosquitto = await startMosquitto({ port: this.brokerPort, dir: join(this.dir, 'mosquitto'), extraConfig: this.mosquittoExtra });
    this.track(this.mosquitto.process.pid);
  }

  private track(pid: number | undefined): void {
    this.resources.trackPid(pid);
  }
}
