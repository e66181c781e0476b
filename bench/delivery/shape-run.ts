// One run of one township shape: start the township and the gateway, publish through the seeded fault
// schedule, drain, then count at the edges (sensor PUBACKs against the database, alarm toggles against
// the township's alarm log).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../contract/logger.js';
import { Stats } from '../../contract/stats.js';
import { CursorStore } from '../../gateway/spool/lane-cursor.js';
import { freePort, waitForPort } from '../../tests/helpers/peers.js';
import { AlarmSource } from './alarm-source.js';
import { countAlarms, countInFile, countMeasurements, readTownshipEvents, type AlarmCount, type MeasurementCount } from './count.js';
import { SpoolDisk } from './disk.js';
import { ALARM_SOURCE, ALARM_TOPIC, ALARM_USER, SEQ_METRIC, SEQ_SOURCE, SEQ_TOPIC, SEQ_USER, writeGatewaySite } from './gateway-site.js';
import type { Resources } from './resources.js';
import { seededRandom } from '../seeded-random.js';
import { faultSchedule, type Fault, type FaultKind, type FaultPlan } from './schedule.js';
import { SeqSensor } from './seq-sensor.js';
import { SupervisedProcess } from './supervised.js';
import { Township, type Shape } from './township.js';

export interface ShapeOptions {
  readonly shape: Shape;
  readonly plan: FaultPlan;
  readonly seed: number;
  readonly ratePerS: number;
  readonly alarmIntervalMs: number;
  /**
   * The drain ends when everything acknowledged is stored; or when nothing new arrived for drainQuietS
   * and the gateway holds no published batch still waiting for its receipt; or after drainMaxS.
   */
  readonly drainQuietS: number;
  readonly drainMaxS: number;
  /** The spool's tmpfs: smaller than spool.maxBytes (64 MB). */
  readonly tmpfsBytes: number;
  /** Keep the run's folder (logs, configs, data) instead of deleting it. */
  readonly keep: boolean;
  readonly resources: Resources;
  readonly progress: (line: string) => void;
}

export interface ExecutedFault {
  readonly kind: FaultKind;
  readonly plannedS: number;
  readonly atS: number;
  readonly done: boolean;
  readonly note?: string;
}

export interface ShapeResult {
  readonly shape: Shape;
  readonly seed: number;
  readonly durationS: number;
  readonly measurements: MeasurementCount;
  readonly alarms: AlarmCount;
  /** Seconds from the end of the last fault to the last acknowledged item reaching the township. */
  readonly drainS: number;
  /** False when the drain ended with acknowledged items still missing (they are the losses above). */
  readonly drainComplete: boolean;
  /**
   * Telemetry batches the gateway had published and not yet had receipted when the drain ended (its
   * spool's cursor.json). Not 0 next to a loss: the data was still in the spool, waiting for a resend.
   */
  readonly unreceiptedAtEnd: number;
  readonly faults: Record<string, number>;
  readonly logs: Record<string, number>;
  readonly schedule: readonly ExecutedFault[];
  /** With --keep, or when the run lost or doubled anything: the folder left behind with its logs. */
  readonly runDir?: string;
}

const GATEWAY_ID = 'gw-delivery';
const pause = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runShape(o: ShapeOptions): Promise<ShapeResult> {
  const { resources, progress, plan } = o;
  const dir = mkdtempSync(join(tmpdir(), `lastmile-delivery-${o.shape}-`));
  if (!o.keep) resources.trackDir(dir);
  const say = (line: string) => progress(`[${o.shape}] ${line}`);
  say(`run dir ${dir}`);

  const township = new Township({ shape: o.shape, dir, gateway: GATEWAY_ID, resources, progress: say });
  resources.onRelease(() => township.stop());
  await township.start();
  const disk = new SpoolDisk(join(dir, 'spool'), o.tmpfsBytes, resources);
  disk.mount();
  resources.onRelease(() => disk.unmount());
  const site = await writeGatewaySite({ dir, gateway: GATEWAY_ID, localPort: await freePort(), uplinkPort: township.brokerPort, uplinkPassword: township.gatewayPassword, spoolDir: disk.path });
  const gateway = new SupervisedProcess('gateway', 'gateway/cli.ts', ['run', site.file], join(dir, 'gateway.log'), resources, say);
  resources.onRelease(() => gateway.stop());
  gateway.start();
  await waitForPort(site.localPort, 60_000);

  const url = `mqtt://127.0.0.1:${site.localPort}`;
  const sensor = new SeqSensor({ url, username: SEQ_USER, password: site.devicePassword, topic: SEQ_TOPIC, ratePerS: o.ratePerS });
  const random = seededRandom(o.seed ^ 0xa1a2);
  const alarm = new AlarmSource({ url, username: ALARM_USER, password: site.devicePassword, topic: ALARM_TOPIC, meanIntervalMs: o.alarmIntervalMs, random, gatewayGeneration: () => gateway.generation });
  resources.onRelease(() => sensor.end());
  resources.onRelease(() => alarm.stop());
  const schedule = faultSchedule(plan, o.seed, o.shape === 'mosquitto');
  say(`schedule (seed ${o.seed}): ${schedule.map((f) => `${f.atS}s ${f.kind}`).join(', ')}`);

  const t0 = performance.now();
  const nowS = () => (performance.now() - t0) / 1000;
  sensor.start();
  alarm.start();
  const status = setInterval(() => say(`t=${nowS().toFixed(0)}s published ${sensor.published} acked ${sensor.acked.size} pending ${sensor.pending} toggles ${alarm.toggles.length} gateway #${gateway.generation}`), 10_000);
  resources.onRelease(() => clearInterval(status));

  const executed: ExecutedFault[] = [];
  let lastFaultEnd = 0;
  const execute = async (fault: Fault) => {
    await pause((t0 + fault.atS * 1000) - performance.now());
    const atS = Number(nowS().toFixed(1));
    let done = true;
    let note: string | undefined;
    switch (fault.kind) {
      case 'gateway-sigkill': {
        // Kill a gateway that runs: a refused start (full disk) delays the kill, it does not skip it.
        const ready = await waitUntil(() => gateway.alive(), 30_000);
        done = ready && (await gateway.killAndRestart());
        if (!done) note = 'no gateway process alive to kill';
        break;
      }
      case 'ingest-sigkill':
        done = await township.killIngest();
        break;
      case 'mosquitto-restart':
        await township.restartMosquitto();
        break;
      case 'mosquitto-sigkill':
        await township.killMosquitto();
        break;
      case 'db-stop':
        await township.stopDb();
        break;
      case 'db-start':
        await township.startDb();
        break;
      case 'disk-fill':
        note = `filler ${disk.fill()} bytes, ${disk.available()} bytes left`;
        break;
      case 'disk-free':
        disk.free();
        note = `${disk.available()} bytes free`;
        break;
    }
    lastFaultEnd = Math.max(lastFaultEnd, performance.now());
    executed.push({ kind: fault.kind, plannedS: fault.atS, atS, done, ...(note ? { note } : {}) });
    say(`${atS}s ${fault.kind}${done ? '' : ' NOT DONE'}${note ? ` (${note})` : ''}`);
  };
  // Gateway kills in one lane, everything else in another: a delayed kill never delays freeing the disk.
  const lane = async (faults: Fault[]) => {
    for (const fault of faults) await execute(fault);
  };
  await Promise.all([lane(schedule.filter((f) => f.kind === 'gateway-sigkill')), lane(schedule.filter((f) => f.kind !== 'gateway-sigkill'))]);
  await pause(t0 + plan.durationS * 1000 - performance.now());
  sensor.stopPublishing();
  await alarm.stop();
  say(`publishing stopped at ${nowS().toFixed(0)}s: published ${sensor.published}, acked ${sensor.acked.size}, pending ${sensor.pending}; draining`);

  const runStartMs = Date.now() - nowS() * 1000;
  const measure = async () => {
    const series = await township.vm!.exportSeries(`{__name__="${SEQ_METRIC}",source="${SEQ_SOURCE}"}`);
    return {
      m: countMeasurements(series, sensor.published, sensor.acked, sensor.sends),
      a: countAlarms(alarm.toggles, await readTownshipEvents(township.workerDirs, GATEWAY_ID, `${ALARM_SOURCE}.`), runStartMs),
    };
  };
  const drainStart = performance.now();
  let lastProgress = lastFaultEnd;
  let seen = -1;
  let result = await measure();
  for (;;) {
    const arrived = result.m.stored + result.a.arrived + sensor.acked.size;
    if (arrived !== seen) {
      seen = arrived;
      lastProgress = performance.now();
    }
    const complete = sensor.pending === 0 && result.m.lost === 0 && result.a.lost === 0;
    const quiet = performance.now() - lastProgress > o.drainQuietS * 1000 && unreceiptedBatches(disk.path) === 0;
    const overdue = performance.now() - drainStart > o.drainMaxS * 1000;
    if (complete || quiet || overdue) break;
    await pause(2000);
    result = await measure();
  }
  clearInterval(status);
  const { m, a } = result;
  const drainComplete = sensor.pending === 0 && m.lost === 0 && a.lost === 0;
  const unreceiptedAtEnd = unreceiptedBatches(disk.path);
  say(`drained: acked ${m.acknowledged} stored ${m.stored} lost ${m.lost} doubled ${m.doubled}; alarm transitions ${a.transitionsAcknowledged} arrived ${a.arrived} lost ${a.lost}${m.lost > 0 ? `; lost ${m.lostRanges.join(',')}` : ''}${unreceiptedAtEnd > 0 ? `; the gateway still holds ${unreceiptedAtEnd} unreceipted batch(es)` : ''}`);

  const count = (kind: FaultKind) => executed.filter((f) => f.kind === kind && f.done).length;
  const window = (from: FaultKind, to: FaultKind) => {
    const start = executed.find((f) => f.kind === from);
    const end = executed.find((f) => f.kind === to);
    return start && end ? Number((end.atS - start.atS).toFixed(1)) : 0;
  };
  const faults = {
    gatewaySigkill: count('gateway-sigkill'),
    gatewayExitedByItself: gateway.unplannedExits,
    ingestSigkill: count('ingest-sigkill'),
    ingestExitedByItself: township.workers.reduce((n, w) => n + w.unplannedExits, 0),
    mosquittoRestart: township.mosquittoRestarts,
    mosquittoSigkill: township.mosquittoKills,
    dbDownS: window('db-stop', 'db-start'),
    diskFullS: window('disk-fill', 'disk-free'),
  };
  const gatewayLog = join(dir, 'gateway.log');
  const logs = {
    gatewayCorruptRecordLines: countInFile(gatewayLog, 'corrupt record'),
    gatewayEnospcLines: countInFile(gatewayLog, 'ENOSPC'),
    mosquittoQueueDropWarnings: township.mosquittoDropWarnings(),
    sensorReconnects: Math.max(0, sensor.connects - 1),
  };
  await sensor.end();
  await gateway.stop();
  await township.stop();
  disk.unmount();
  // A run that lost or doubled anything keeps its folder (gateway.log, the workers' logs, the spool):
  // the figures say that something went wrong, the logs say what.
  const faulty = !drainComplete || m.doubled > 0 || a.doubled > 0;
  if (faulty && !o.keep) {
    resources.untrackDir(dir);
    say(`kept ${dir} for its logs (something was lost or doubled)`);
  }
  return {
    shape: o.shape,
    seed: o.seed,
    durationS: plan.durationS,
    measurements: m,
    alarms: a,
    drainS: Number(((Math.max(lastProgress, lastFaultEnd) - lastFaultEnd) / 1000).toFixed(1)),
    drainComplete,
    unreceiptedAtEnd,
    faults,
    logs,
    schedule: executed.sort((x, y) => x.atS - y.atS),
    ...(o.keep || faulty ? { runDir: dir } : {}),
  };
}

/** Published telemetry batches without a receipt, as the gateway's spool cursor lists them (read by the spool's own CursorStore). */
function unreceiptedBatches(spoolDir: string): number {
  return new CursorStore(join(spoolDir, 'telemetry'), 'telemetry', silentLogger(), new Stats()).load(0, Number.MAX_SAFE_INTEGER).inflight.length;
}

async function waitUntil(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > deadline) return false;
    await pause(50);
  }
  return true;
}
