// bench:workflow: the township workflow store on its two engines. Prints JSON on stdout only.
//   events:  gateway alarm events recorded (each one a committed transaction: durable before it resolves),
//            one at a time and 8 in flight, on embedded SQLite and on a real PostgreSQL 15 (fsync on).
//   notice:  two workers' stores on one PostgreSQL: from a step committed on worker 1 (its step() resolved;
//            and, as an upper bound, from the step() call) to worker 2's store announcing the changed case
//            (LISTEN/NOTIFY and the reload), p50/p95/p99/max over the samples,
//            nearest rank (bench/quantile.ts) with the sample count n beside them.
//   rss:     resident memory before and after opening and migrating the embedded store.
//   Each events figure is what was recorded in its measured window: the addEvent() calls that resolved,
//   the window's length and their rate.
// Run: npx tsx bench/workflow.ts [events=400] [notices=100]
import { performance } from 'node:perf_hooks';
import { buildPolicy } from '../cloud-ingest/alarms/policy.js';

// Many cases of one gateway on purpose (the store's throughput): the alarm-flood grouping is lifted.
const NO_FLOOD_LIMIT = { maxNewCases: 1_000_000, windowMs: 60_000 };
import { CaseStore } from '../cloud-ingest/alarms/store.js';
import type { AlarmCase } from '../cloud-ingest/alarms/types.js';
import type { Db } from '../cloud-ingest/db/db.js';
import { openDatabase } from '../cloud-ingest/db/open.js';
import { silentLogger } from '../contract/logger.js';
import { tempDir } from '../tests/helpers/peers.js';
import { startPostgres } from '../tests/helpers/postgres.js';
import { alarmEvent } from '../tests/cloud-ingest/fixture.js';
import { nearestRank, quantiles } from './quantile.js';

const EVENTS = Number(process.argv[2] ?? 400);
const NOTICES = Number(process.argv[3] ?? 100);
const log = silentLogger();
const gw = { gateway: 'gw-b', township: 't', compound: 'c' };
const progress = (text: string) => process.stderr.write(`${text}\n`);

/** Alarm events recorded in the measured window: how many addEvent() calls resolved, in what time, and the rate. */
async function recordEvents(db: Db, inFlight: number, tag: string): Promise<{ recorded: number; windowMs: number; perSecond: number }> {
  const store = new CaseStore(db, buildPolicy({}, 300, NO_FLOOD_LIMIT), { now: Date.now });
  const t0 = performance.now();
  let next = 0;
  let recorded = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < EVENTS) {
        const i = next++;
        await store.addEvent(gw, alarmEvent({ eventId: `${tag}-${i}`, alarmId: `s${i % 50}/x`, source: `s${i % 50}`, level: 'warning', transition: i % 2 === 0 ? 'raise' : 'clear', state: i % 2 === 0 ? 'raised' : 'cleared' }));
        recorded++;
      }
    }),
  );
  const windowMs = performance.now() - t0;
  store.close();
  return { recorded, windowMs: Math.round(windowMs), perSecond: Math.round(recorded / (windowMs / 1000)) };
}

const dir = tempDir('bench-workflow');
const rssBefore = process.memoryUsage().rss;
const sqlite = await openDatabase({ poolSize: 1 }, dir.path, log, Date.now);
const rssAfter = process.memoryUsage().rss;
progress('sqlite: events');
const sqliteSerial = await recordEvents(sqlite, 1, 'a');
const sqlite8 = await recordEvents(sqlite, 8, 'b');
await sqlite.close();

progress('postgres: starting');
const pg = await startPostgres({ fsync: true });
const url = await pg.createDatabase('bench');
const w1 = await openDatabase({ url, poolSize: 8 }, dir.path, log, Date.now);
const w2 = await openDatabase({ url, poolSize: 8 }, dir.path, log, Date.now);
progress('postgres: events');
const pgSerial = await recordEvents(w1, 1, 'c');
const pg8 = await recordEvents(w1, 8, 'd');

progress('postgres: cross-worker notices');
const one = new CaseStore(w1, buildPolicy({}, 300, NO_FLOOD_LIMIT), { now: Date.now });
const two = new CaseStore(w2, buildPolicy({}, 300, NO_FLOOD_LIMIT), { now: Date.now });
const latencies: number[] = [];
const fromCall: number[] = [];
for (let i = 0; i < NOTICES; i++) {
  const c = (await one.addEvent(gw, alarmEvent({ eventId: `n-${i}`, alarmId: `door${i}/open`, source: `door${i}`, level: 'warning' })))!;
  const seen = new Promise<number>((resolve) => {
    const on = (x: AlarmCase) => {
      if (x.caseId === c.caseId && x.step === 'dispatched') {
        two.changes.off('change', on);
        resolve(performance.now());
      }
    };
    two.changes.on('change', on);
  });
  const t0 = performance.now();
  await one.step(c.caseId, { step: 'dispatched', to: 'x' }, 'li', c.version);
  const committed = performance.now();
  const announced = await seen;
  latencies.push(announced - committed);
  fromCall.push(announced - t0);
}
one.close();
two.close();
await w1.close();
await w2.close();
await pg.stop();
dir.remove();
const notice = (values: number[]) => ({ ...quantiles(values, 1), p95: Number(nearestRank(values, 0.95).toFixed(1)) });
console.log(
  JSON.stringify(
    {
      events: EVENTS,
      eventsRecorded: { sqlite: { serial: sqliteSerial, inFlight8: sqlite8 }, postgres: { serial: pgSerial, inFlight8: pg8 } },
      // From step() resolving on worker 1: below 0 when worker 2 heard before worker 1's await returned.
      stepToOtherWorkerMs: notice(latencies),
      // From the step() call: an upper bound that includes the commit itself.
      stepCallToOtherWorkerMs: notice(fromCall),
      embeddedStoreRssMB: Math.round((rssAfter - rssBefore) / 1e5) / 10,
    },
    null,
    2,
  ),
);
