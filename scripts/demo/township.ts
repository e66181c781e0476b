// The demo's township centre: cloud-ingest in-process with its embedded broker, console and embedded
// workflow store, the demo gateway provisioned into its registry, and, where the victoria-metrics binary
// is installed, a VictoriaMetrics on loopback as the InfluxDB write endpoint (DESIGN.md "Embedded defaults
// and the demo"). The workflow has short demo deadlines, a duty roster, and one notification channel: a
// webhook to a receiver on loopback that prints each notification, so escalation is seen in the terminal.
// The storyline's duty officer works cases through the same workflow as the board.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { cloudIngestConfig } from '../../cloud-ingest/config.js';
import { hashPassword } from '../../cloud-ingest/registry/password.js';
import { provisionGateway } from '../../cloud-ingest/registry/provision.js';
import { GatewayRegistry } from '../../cloud-ingest/registry/registry.js';
import { CloudIngest } from '../../cloud-ingest/service.js';
import type { Logger } from '../../contract/logger.js';
import type { StoryTownship } from './storyline.js';

const VICTORIA_BIN = '/usr/bin/victoria-metrics';

export interface DemoTownshipOptions {
  readonly dir: string;
  readonly log: Logger;
  readonly gateway: { readonly id: string; readonly township: string; readonly compound: string };
  readonly ports: { readonly broker: number; readonly console: number; readonly victoria: number };
  /** File the gateway's uplink reads its password from (the demo config's uplink.passwordFile). */
  readonly uplinkPasswordFile: string;
  /** Where the notification receiver prints what the township sends (the terminal). */
  readonly print?: (text: string) => void;
  /** The workflow's clock (tests pass a fake one to see escalation without waiting). */
  readonly clock?: { now(): number };
}

export interface DemoTownship {
  readonly service: CloudIngest;
  /** VictoriaMetrics base URL, when it is installed and running. */
  readonly victoriaUrl: string | undefined;
  /** Password of the console user `duty-officer` for this run. */
  readonly consolePassword: string;
  /** The storyline's duty officer, working cases through the workflow as the board does. */
  readonly officer: StoryTownship;
  /** Notifications the local receiver got (webhook bodies), newest last. */
  readonly notifications: readonly DemoNotification[];
  stop(): Promise<void>;
}

export interface DemoNotification {
  readonly event: string;
  readonly caseId: string;
  readonly recipient: string | undefined;
  readonly text: string;
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
  const notifications: DemoNotification[] = [];
  const receiver = await startNotificationReceiver(notifications, options.print ?? (() => undefined));
  const hookAuthFile = join(dataDir, 'notify-hook.auth');
  writeFileSync(hookAuthFile, `Bearer ${randomBytes(12).toString('base64url')}\n`, { mode: 0o600 });
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
    workflow: demoWorkflow(options.gateway.township),
    notify: { channels: [{ name: 'demo-webhook', type: 'webhook', url: `${receiver.url}/notify`, authorizationFile: hookAuthFile }], retry: { attempts: 3, firstDelayMs: 1000 } },
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

  const service = new CloudIngest(config, options.log.child({ scope: 'township' }), options.clock);
  await service.start();
  return {
    service,
    victoriaUrl: victoria?.url,
    consolePassword,
    officer: dutyOfficer(service, options.gateway.township),
    notifications,
    async stop() {
      await service.stop();
      await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
      const child = victoria?.process;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/**
 * Short deadlines so one 150 s loop shows escalation: an alarm nobody dispatches within 25 s goes to the
 * second officer on the roster, 25 s later to the township leader. Fire: confirm within 30 s.
 */
function demoWorkflow(township: string) {
  const channels = ['demo-webhook'];
  return {
    levels: {
      fire: { confirmWithinS: 30, dispatchWithinS: 30, handleWithinS: 90, channels },
      alarm: { dispatchWithinS: 25, handleWithinS: 90, channels },
    },
    staff: [
      { name: 'duty-officer', township, displayName: '值班员 王 / duty officer Wang', phone: '13800000001', role: 'officer' as const },
      { name: 'duty-officer-2', township, displayName: '副班 李 / second officer Li', phone: '13800000002', role: 'officer' as const },
      { name: 'leader', township, displayName: '街道领导 陈 / township leader Chen', phone: '13800000009', role: 'leader' as const },
      { name: 'fire-station', township, displayName: '微型消防站 / community fire station', team: '微型消防站', role: 'responder' as const },
      { name: 'property', township, displayName: '物业维修 / property maintenance', team: '物业', role: 'responder' as const },
    ],
    roster: { [township]: ['duty-officer', 'duty-officer-2'] },
  };
}

/** The local stand-in for a township's dispatch system: prints every notification it receives. */
async function startNotificationReceiver(into: DemoNotification[], print: (text: string) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      if (body.length < 64 * 1024) body += d.toString('utf8');
    });
    req.on('end', () => {
      try {
        const n = JSON.parse(body) as { event: string; case: { caseId: string }; recipient: { displayName: string } | null; text: string };
        into.push({ event: n.event, caseId: n.case.caseId, recipient: n.recipient?.displayName, text: n.text });
        if (into.length > 200) into.splice(0, into.length - 200);
        print(`通知/notification (${n.event}) → ${n.recipient?.displayName ?? '-'}\n${n.text}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      } catch (error) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (error as Error).message }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, server };
}

/** The storyline's duty officer: finds the open case of a source and takes steps as the board would. */
function dutyOfficer(service: CloudIngest, township: string): StoryTownship {
  const by = 'duty-officer';
  /** The open case of a source (or of one alarm id). */
  const open = async (key: string) => {
    const c = (await service.alarms.listOpen(township)).find((x) => x.source === key || x.alarms.some((a) => a.alarmId === key));
    if (!c) throw new Error(`no open case for ${key} on the township board (yet)`);
    return c;
  };
  return {
    async confirm(alarmId, confirmation, method) {
      const c = await open(alarmId);
      await service.workflow.step(c.caseId, { step: 'confirmed', confirmation, method }, by, c.version);
    },
    async dispatch(alarmId, to) {
      const c = await open(alarmId);
      await service.workflow.step(c.caseId, { step: 'dispatched', to }, by, c.version);
    },
    async handled(alarmId, note) {
      const c = await open(alarmId);
      await service.workflow.step(c.caseId, { step: 'handled', note }, by, c.version);
    },
    async close(alarmId, cause, note) {
      const c = await open(alarmId);
      await service.workflow.step(c.caseId, note ? { step: 'closed', cause, note } : { step: 'closed', cause }, by, c.version);
    },
    async reset(alarmId) {
      await service.workflow.reset((await open(alarmId)).caseId, by);
    },
  };
}
