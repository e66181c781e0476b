// The township for one shape: VictoriaMetrics (the database), cloud-ingest worker processes, and for the
// mosquitto shape a mosquitto township broker (persistence on) that two workers share through one
// $share group. The gateway is provisioned with the project's own code (registry/provision.ts), and the
// mosquitto password and ACL lines are the ones `lastmile-ingest provision` prints.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mosquittoPasswordHash } from '../../cloud-ingest/registry/password.js';
import { mosquittoIngestAcl, provisionGateway } from '../../cloud-ingest/registry/provision.js';
import { GatewayRegistry } from '../../cloud-ingest/registry/registry.js';
import { freePort, startMosquitto, type Peer } from '../../tests/helpers/peers.js';
import { startVictoria, type Victoria } from '../../tests/helpers/victoria.js';
import type { Resources } from './resources.js';
import { SupervisedProcess } from './supervised.js';

export type Shape = 'embedded' | 'mosquitto';

export const TOWNSHIP = 'bench-town';
export const COMPOUND = 'bench-compound';
const INGEST_USER = 'ingest';

type Mosquitto = Awaited<ReturnType<typeof startMosquitto>>;

export interface TownshipOptions {
  readonly shape: Shape;
  readonly dir: string;
  readonly gateway: string;
  readonly resources: Resources;
  readonly progress: (line: string) => void;
}

export class Township {
  vm: Victoria | undefined;
  mosquitto: Mosquitto | undefined;
  readonly workers: SupervisedProcess[] = [];
  /** The broker the gateway's uplink connects to. */
  brokerPort = 0;
  gatewayPassword = '';
  mosquittoRestarts = 0;
  mosquittoKills = 0;
  /** mosquitto's warnings of earlier runs on this port (its output restarts with each process). */
  private mosquittoOutput: string[] = [];
  private vmPort = 0;
  private readonly vmDir: string;
  private mosquittoExtra: string[] = [];
  private nextKill = 0;

  constructor(private readonly options: TownshipOptions) {
    this.vmDir = join(options.dir, 'victoria');
  }

  get workerDirs(): string[] {
    return this.workers.map((_w, i) => join(this.options.dir, `w${i + 1}`));
  }

  async start(): Promise<void> {
    const { dir, gateway, shape, resources } = this.options;
    this.vmPort = await freePort();
    await this.startDb();
    const registryFile = join(dir, 'gateways.json');
    const registry = new GatewayRegistry(registryFile).load();
    this.brokerPort = await freePort();
    const provisioned = provisionGateway(registry, { gateway, township: TOWNSHIP, compound: COMPOUND, brokerUrl: `mqtt://127.0.0.1:${this.brokerPort}` });
    this.gatewayPassword = provisioned.password;
    const influx = { url: this.vm!.url, org: 'lastmile', bucket: 'lastmile' };
    const base = { version: 1, influx, registryFile, console: { enabled: false } };
    const configs: Record<string, unknown>[] = [];
    if (shape === 'embedded') {
      configs.push({ ...base, worker: 'w1', dataDir: join(dir, 'w1'), broker: { type: 'embedded', host: '127.0.0.1', port: this.brokerPort } });
    } else {
      const workerPasswordFile = join(dir, 'ingest.password');
      writeFileSync(workerPasswordFile, 'bench-ingest-worker\n', { mode: 0o600 });
      writeFileSync(join(dir, 'mosquitto.passwd'), `${provisioned.mosquittoPasswordLine}\n${INGEST_USER}:${mosquittoPasswordHash('bench-ingest-worker')}\n`, { mode: 0o600 });
      writeFileSync(join(dir, 'mosquitto.acl'), `${provisioned.mosquittoAcl}\n${mosquittoIngestAcl(INGEST_USER)}`, { mode: 0o600 });
      const mosquittoDir = join(dir, 'mosquitto');
      mkdirSync(mosquittoDir, { recursive: true });
      chmodSync(mosquittoDir, 0o700);
      this.mosquittoExtra = [`password_file ${join(dir, 'mosquitto.passwd')}`, `acl_file ${join(dir, 'mosquitto.acl')}`, 'allow_anonymous false'];
      await this.startMosquitto();
      for (const worker of ['w1', 'w2']) {
        configs.push({ ...base, worker, dataDir: join(dir, worker), broker: { type: 'external', url: `mqtt://127.0.0.1:${this.brokerPort}`, username: INGEST_USER, passwordFile: workerPasswordFile, shareGroup: 'ingest' } });
      }
    }
    for (const config of configs) {
      const file = join(dir, `${String(config.worker)}.yaml`);
      writeFileSync(file, JSON.stringify(config, null, 2) + '\n'); // JSON is YAML
      const worker = new SupervisedProcess(`cloud-ingest ${String(config.worker)}`, 'cloud-ingest/main.ts', [file], join(dir, `${String(config.worker)}.log`), resources, this.options.progress);
      this.workers.push(worker);
      worker.start();
    }
    resources.onRelease(() => Promise.all(this.workers.map((w) => w.stop())).then(() => undefined));
  }

  async startDb(): Promise<void> {
    this.vm = await startVictoria({ port: this.vmPort, dataDir: this.vmDir });
    this.track(this.vm);
  }

  async stopDb(): Promise<void> {
    await this.vm?.stop();
  }

  /** SIGKILLs the workers in turn (w1, w2, w1, ...), restarting each at once. */
  async killIngest(): Promise<boolean> {
    const worker = this.workers[this.nextKill++ % this.workers.length]!;
    return worker.killAndRestart();
  }

  /** SIGTERM (mosquitto saves its persistence file) and start again on the same port and data dir. */
  async restartMosquitto(): Promise<void> {
    await this.mosquitto!.stop();
    this.keepMosquittoOutput();
    await this.startMosquitto();
    this.mosquittoRestarts++;
  }

  /** SIGKILL (only what autosave wrote survives) and start again. */
  async killMosquitto(): Promise<void> {
    await this.mosquitto!.kill();
    this.keepMosquittoOutput();
    await this.startMosquitto();
    this.mosquittoKills++;
  }

  /** mosquitto's "Outgoing messages are being dropped" warnings so far. */
  mosquittoDropWarnings(): number {
    const text = [...this.mosquittoOutput, this.mosquitto?.output() ?? ''].join('\n');
    return text.split('Outgoing messages are being dropped').length - 1;
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.mosquitto?.stop();
    await this.vm?.stop();
  }

  private keepMosquittoOutput(): void {
    if (this.mosquitto) this.mosquittoOutput.push(this.mosquitto.output());
  }

  private async startMosquitto(): Promise<void> {
    this.mosquitto = await startMosquitto({ port: this.brokerPort, dir: join(this.options.dir, 'mosquitto'), extraConfig: this.mosquittoExtra });
    this.track(this.mosquitto);
  }

  private track(peer: Peer): void {
    this.options.resources.trackPid(peer.process.pid);
    peer.process.once('exit', () => this.options.resources.untrackPid(peer.process.pid));
  }
}
