// npm run bench:delivery — issue 11's harness: is what a sensor was told is safe ever lost or doubled on
// its way to the township's database, through gateway SIGKILLs, cloud-ingest SIGKILLs, township broker
// restarts, a database outage and a full spool disk? Counts at the edges only: the sensor's PUBACKs,
// the alarm source's acknowledged toggles, the database and the township's alarm log after the drain.
// One JSON object on stdout; progress on stderr. Every process and mount is cleaned up on exit, error
// or Ctrl-C.
import { cpus, loadavg } from 'node:os';
import { parseDeliveryArgs, type DeliveryOptions } from './options.js';
import { Resources } from './resources.js';
import { runShape, type ShapeResult } from './shape-run.js';

export interface DeliveryReport {
  readonly bench: 'delivery';
  readonly setup: Record<string, unknown>;
  readonly shapes: Partial<Record<'embedded' | 'mosquitto', ShapeResult>>;
}

/** Runs every shape in turn with the same seed; releases everything it started before returning or throwing. */
export async function runDelivery(options: DeliveryOptions, resources: Resources, progress: (line: string) => void): Promise<DeliveryReport> {
  const shapes: DeliveryReport['shapes'] = {};
  try {
    for (const shape of options.shapes) {
      shapes[shape] = await runShape({ ...options, shape, resources, progress });
    }
  } finally {
    await resources.release();
  }
  return {
    bench: 'delivery',
    setup: {
      seed: options.seed,
      quick: options.quick,
      plan: options.plan,
      sensorRatePerS: options.ratePerS,
      alarmToggleEveryMs: options.alarmIntervalMs,
      spool: { tmpfsBytes: options.tmpfsBytes, maxBytes: '64MB', syncEvery: '200ms', segmentBytes: '1MB' },
      mosquitto: 'persistence true, autosave_interval 1, default queue limits (max_queued_messages 1000, max_inflight_messages 20); 2 workers x 4 connections in $share/ingest',
      cpus: cpus().length,
      loadAverage1m: Number(loadavg()[0]!.toFixed(1)),
    },
    shapes,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let options: DeliveryOptions;
  try {
    options = parseDeliveryArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const resources = new Resources();
  const progress = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  process.on('exit', () => resources.releaseNow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping every process and unmounting`);
      void resources.release().finally(() => process.exit(130));
    });
  }
  try {
    const report = await runDelivery(options, resources, progress);
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } catch (error) {
    progress(`bench:delivery failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  }
}
