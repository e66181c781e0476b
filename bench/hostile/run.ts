// bench:hostile (issue 13): one township (cloud-ingest in this process, VictoriaMetrics), an honest
// gateway publishing throughout, and a hostile one running each flood in turn: the 10,300-case corpus,
// a login flood on the township broker, one on the township console, and an alarm flood. Prints JSON:
// cases tried, crashes, the longest event-loop stall, the honest gateway's PUBACK and receipt p99 during
// each flood, honest lines lost, RSS before and after. Progress on stderr.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { topics } from '../../cloud-ingest/contract.js';
import { alarmEvent } from '../../tests/cloud-ingest/fixture.js';
import { FULL_CORPUS, hostileCorpus } from './corpus.js';
import { CONSOLE_USER, HonestGateway, ReceiptTracker, sendCorpus, startHostileTownship, storedSamples, type HostileTownship } from './township.js';
import { countScriptsExecuted } from './xss.js';

const SEED = 20261202;
const log = (message: string) => process.stderr.write(`[bench:hostile] ${message}\n`);

interface Phase {
  readonly name: string;
  readonly durationMs: number;
  readonly honestPubackP99Ms: number;
  readonly honestReceiptP99Ms: number;
  readonly honestBatches: number;
  readonly longestStallMs: number;
  readonly detail: Record<string, unknown>;
}

let crashes = 0;
process.on('uncaughtException', (error) => {
  crashes++;
  log(`uncaught: ${error.message}`);
});
process.on('unhandledRejection', (error) => {
  crashes++;
  log(`unhandled rejection: ${String(error)}`);
});

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function phase(name: string, honest: HonestGateway, run: () => Promise<Record<string, unknown>>): Promise<Phase> {
  log(`${name} …`);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  honest.takePhase();
  delay.enable();
  const started = performance.now();
  const detail = await run();
  const durationMs = Math.round(performance.now() - started);
  delay.disable();
  const latency = honest.takePhase();
  const result = { name, durationMs, honestPubackP99Ms: round(latency.pubackP99), honestReceiptP99Ms: round(latency.receiptP99), honestBatches: latency.batches, longestStallMs: round(delay.max / 1e6), detail };
  log(`${name}: ${JSON.stringify(result)}`);
  return result;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Parallel wrong logins on the township broker (known and unknown ids) for `ms`. */
async function brokerLoginFlood(town: HostileTownship, ms: number, parallel = 64): Promise<Record<string, unknown>> {
  const end = Date.now() + ms;
  let attempts = 0;
  let accepted = 0;
  const one = async (i: number): Promise<void> => {
    while (Date.now() < end) {
      attempts++;
      const id = i % 2 ? 'gw-hostile' : `gw-ghost-${i}`;
      const client = await mqtt
        .connectAsync(`mqtt://127.0.0.1:${town.service.brokerPort}`, { clientId: id, username: id, password: `wrong-${attempts}`, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4 })
        .catch(() => undefined);
      if (client) {
        accepted++;
        client.end(true);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, (_, i) => one(i)));
  return { attempts, accepted };
}

/** Parallel wrong logins on the township console for `ms`. */
async function consoleLoginFlood(town: HostileTownship, ms: number, parallel = 40): Promise<Record<string, unknown>> {
  const end = Date.now() + ms;
  const statuses: Record<string, number> = {};
  const one = async (i: number): Promise<void> => {
    while (Date.now() < end) {
      const res = await fetch(`http://127.0.0.1:${town.service.consolePort}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: i % 2 ? CONSOLE_USER.name : `ghost-${i}`, password: `guess-${i}-${Math.random()}` }) }).catch(() => undefined);
      const key = String(res?.status ?? 'error');
      statuses[key] = (statuses[key] ?? 0) + 1;
      await res?.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: parallel }, (_, i) => one(i)));
  return { statuses };
}

/** `count` fake fire alarms from the hostile gateway, at most `window` unreceipted. */
async function alarmFlood(client: mqtt.MqttClient, count: number, window = 16): Promise<Record<string, unknown>> {
  const tracker = new ReceiptTracker(client, 'gw-hostile');
  let receipted = 0;
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    while (inFlight.size >= window) await Promise.race(inFlight);
    const eventId = `flood-${SEED}-${i}`;
    const event = alarmEvent({ eventId, alarmId: `smoke-${i % 300}:smoke`, source: `smoke-${i % 300}`, level: 'fire' });
    const receipt = tracker.wait('a', eventId, 30_000);
    const work = client.publishAsync(topics.alarm('gw-hostile', eventId), Buffer.from(JSON.stringify(event)), { qos: 1 }).then(async () => {
      if (await receipt) receipted++;
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }
  await Promise.all([...inFlight]);
  return { sent: count, receipted };
}

async function main(): Promise<void> {
  const town = await startHostileTownship();
  try {
    const honestClient = await town.connect('gw-honest');
    const hostileClient = await town.connect('gw-hostile');
    const honest = new HonestGateway(honestClient, 'gw-honest', Date.now() - 3_600_000, 100, 50);
    gc();
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    honest.start();
    const phases: Phase[] = [];
    let cases = 0;
    phases.push(await phase('baseline', honest, async () => (await new Promise((r) => setTimeout(r, 3000)), {})));
    // Made before the phase: compressing the bombs here would be the bench's own stall, not ingest's.
    let corpus = [...hostileCorpus(SEED, FULL_CORPUS)];
    phases.push(
      await phase('corpus', honest, async () => {
        const outcome = await sendCorpus(hostileClient, 'gw-hostile', corpus);
        corpus = []; // not kept alive into the RSS figure
        cases += outcome.cases;
        return { ...outcome };
      }),
    );
    phases.push(await phase('broker-login-flood', honest, () => brokerLoginFlood(town, 5000)));
    // The board first: the console flood locks the officer's name and this address out, as it should.
    let scriptsExecuted: number | undefined;
    phases.push(
      await phase('board-xss', honest, async () => {
        const result = await countScriptsExecuted(town, hostileClient);
        scriptsExecuted = result.scriptsExecuted;
        return result;
      }),
    );
    phases.push(await phase('alarm-flood', honest, () => alarmFlood(hostileClient, 3000)));
    phases.push(await phase('console-login-flood', honest, () => consoleLoginFlood(town, 5000)));
    await honest.stop();
    await town.vm.waitForSamples('{gateway="gw-honest"}', honest.receiptedLines, 60_000).catch(() => undefined);
    const stored = await storedSamples(town.vm, 'gw-honest');
    gc();
    await new Promise((r) => setTimeout(r, 500));
    gc();
    const rssAfter = process.memoryUsage().rss;
    const heapAfter = process.memoryUsage().heapUsed;
    const result = {
      seed: SEED,
      casesTried: cases,
      crashes,
      longestStallMs: Math.max(...phases.filter((p) => p.name !== 'board-xss').map((p) => p.longestStallMs)),
      honest: { receiptedLines: honest.receiptedLines, storedLines: stored, linesLost: Math.max(0, honest.receiptedLines - stored), unreceiptedBatches: honest.unreceipted },
      scriptsExecuted,
      rssBeforeMB: Math.round(rssBefore / 1e6),
      rssAfterMB: Math.round(rssAfter / 1e6),
      heapUsedBeforeMB: Math.round(heapBefore / 1e6),
      heapUsedAfterMB: Math.round(heapAfter / 1e6),
      phases,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await town.stop();
  }
}

await main().catch((error: Error) => {
  log(`failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
