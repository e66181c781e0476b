// bench:hostile (issue 13): one township (cloud-ingest in this process, VictoriaMetrics), an honest
// gateway publishing throughout, and a hostile one running each flood in turn: the 10,300-case corpus,
// a login flood on the township broker, one on the township console, and an alarm flood. Prints JSON:
// cases tried, crashes, the longest event-loop stall, the honest gateway's PUBACK and receipt p99 during
// each flood, honest lines lost, RSS before and after (memory.ts: how it is measured). Progress on stderr.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FLOOD_SOURCE } from '../../cloud-ingest/alarms/store.js';
import type { FloodTask } from './flood-worker.js';
import { CONSOLE_USER, HonestGateway, startHostileTownship, storedSamples, type HostileTownship } from './township.js';
import { MEMORY_METHOD, settledMemory, type MemoryFigures } from './memory.js';
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
  /** Right after the phase (two GCs, no settle). */
  readonly memoryAfter: MemoryFigures;
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
  const memory = await settledMemory(0);
  const result = { name, durationMs, honestPubackP99Ms: round(latency.pubackP99), honestReceiptP99Ms: round(latency.receiptP99), honestBatches: latency.batches, longestStallMs: round(delay.max / 1e6), memoryAfter: memory, detail };
  log(`${name}: ${JSON.stringify(result)}`);
  return result;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * Runs one flood in a child process: its own event loop and its own memory, so neither the floods'
 * clients (mqtt.js, fetch) nor what they allocate count as the township's stalls or RSS; only the CPU
 * is shared, as on a real server.
 */
function flood(town: HostileTownship, task: Pick<FloodTask, 'kind'> & Partial<FloodTask>): Promise<Record<string, unknown>> {
  const full: FloodTask = { brokerPort: town.service.brokerPort, consolePort: town.service.consolePort, gateway: 'gw-hostile', password: town.passwords['gw-hostile']!, seed: SEED, ms: 5000, parallel: 16, count: 0, consoleUser: CONSOLE_USER.name, ...task };
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./flood-worker.ts', import.meta.url)), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: Record<string, unknown> | undefined;
    child.once('message', (message: Record<string, unknown>) => {
      result = message;
    });
    child.once('error', reject);
    child.once('exit', (code) => (result ? resolve(result) : reject(new Error(`flood ${task.kind} exited with ${code} before reporting`))));
    child.send(full);
  });
}

async function main(): Promise<void> {
  const town = await startHostileTownship();
  try {
    const honestClient = await town.connect('gw-honest');
    const honest = new HonestGateway(honestClient, 'gw-honest', Date.now() - 3_600_000, 100, 50);
    const before = await settledMemory();
    honest.start();
    const phases: Phase[] = [];
    let cases = 0;
    phases.push(await phase('baseline', honest, async () => (await new Promise((r) => setTimeout(r, 3000)), {})));
    // Order matters: the login floods rightly lock this address out (the officer's and the hostile
    // gateway's logins from it too), so the phases that log in come first.
    let scriptsExecuted: number | undefined;
    phases.push(
      await phase('board-xss', honest, async () => {
        const hostileClient = await town.connect('gw-hostile');
        const result = await countScriptsExecuted(town, hostileClient);
        hostileClient.end(true);
        scriptsExecuted = result.scriptsExecuted;
        return result;
      }),
    );
    phases.push(
      await phase('corpus', honest, async () => {
        const outcome = await flood(town, { kind: 'corpus', parallel: 8 });
        cases += outcome.cases as number;
        return outcome;
      }),
    );
    phases.push(
      await phase('alarm-flood', honest, async () => {
        const outcome = await flood(town, { kind: 'alarm', count: 3000, parallel: 16 });
        // What the hostile gateway's township sees on its board: a few cases and one flood case.
        const board = (await town.service.alarms.listOpen('town-2')).filter((c) => c.gateway === 'gw-hostile');
        const floodCase = board.find((c) => c.source === FLOOD_SOURCE);
        return { ...outcome, openCases: board.length, floodCaseAlarmsCounted: floodCase?.raiseCount ?? 0 };
      }),
    );
    phases.push(await phase('broker-login-flood', honest, () => flood(town, { kind: 'broker-login', parallel: 64 })));
    phases.push(await phase('console-login-flood', honest, () => flood(town, { kind: 'console-login', parallel: 40 })));
    await honest.stop();
    await town.vm.waitForSamples('{gateway="gw-honest"}', honest.receiptedLines, 60_000).catch(() => undefined);
    const stored = await storedSamples(town.vm, 'gw-honest');
    const after = await settledMemory();
    const result = {
      seed: SEED,
      casesTried: cases,
      crashes,
      longestStallMs: Math.max(...phases.filter((p) => p.name !== 'board-xss').map((p) => p.longestStallMs)),
      honest: { receiptedLines: honest.receiptedLines, storedLines: stored, linesLost: Math.max(0, honest.receiptedLines - stored), unreceiptedBatches: honest.unreceipted },
      scriptsExecuted,
      rssBeforeMB: before.rssMB,
      rssAfterMB: after.rssMB,
      rssAfterOverBefore: Math.round((after.rssMB / before.rssMB) * 100) / 100,
      memoryMethod: MEMORY_METHOD,
      mallocMmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? 'glibc default (dynamic)',
      memoryBefore: before,
      memoryAfter: after,
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
