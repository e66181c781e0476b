// Crash test: a child process runs spool + uplink and prints every number the spool acknowledged; we
// SIGKILL it at random moments (more than 20 times), restart it on the same spool, finally let it
// drain, and check that every acknowledged number reached a subscriber on a real mosquitto.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, tempDir, type Peer } from '../../helpers/peers.js';
import { TestSubscriber } from './subscriber.js';

const KILLS = 22;
const cleanups: (() => Promise<void> | void)[] = [];
let childBundle = '';

beforeAll(async () => {
  // One bundled file starts in well under a second (tsx would transform on every one of the 23 starts,
  // and its CLI runs the script in a grandchild that a SIGKILL to the CLI would not reach).
  const dir = join(process.cwd(), '.tmp');
  mkdirSync(dir, { recursive: true });
  childBundle = join(dir, `crash-child-${process.pid}.mjs`);
  await build({ entryPoints: [join(import.meta.dirname, 'crash-child.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: childBundle, logLevel: 'error' });
  cleanups.push(() => rmSync(childBundle, { force: true }));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Run {
  readonly acked: { telemetry: number[]; alarm: number[] };
  readonly output: () => string;
  readonly ready: Promise<void>;
  readonly drained: Promise<void>;
  readonly exited: Promise<number | null>;
  kill(): void;
}

function runChild(spoolDir: string, url: string, first: number, mode?: 'drain'): Run {
  const child = spawn(process.execPath, [childBundle, spoolDir, url, String(first), ...(mode ? [mode] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked = { telemetry: [] as number[], alarm: [] as number[] };
  let stderr = '';
  let partial = '';
  let onReady: () => void = () => undefined;
  let onDrained: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  const drained = new Promise<void>((r) => (onDrained = r));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') onReady();
      else if (line === 'drained') onDrained();
      else {
        const [, lane, n] = line.split(' ');
        acked[lane as 'telemetry' | 'alarm'].push(Number(n));
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { acked, ready, drained, exited, output: () => stderr, kill: () => child.kill('SIGKILL') };
}

describe('spool + uplink under SIGKILL', () => {
  // Bounded, but generous: each of the 23 runs starts a tsx child, which takes seconds on a loaded 2-core box.
  it(`delivers every acknowledged measurement and alarm through ${KILLS} kills`, { timeout: 240_000 }, async () => {
    const broker: Peer = await startMosquitto();
    cleanups.push(() => broker.stop());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const subscriber = await TestSubscriber.start(url, 'gw-crash');
    cleanups.push(() => subscriber.stop());
    const spool = tempDir('crash-spool');
    cleanups.push(() => spool.remove());

    const acked = { telemetry: new Set<number>(), alarm: new Set<number>() };
    for (let run = 0; run < KILLS; run++) {
      const child = runChild(spool.path, url, run * 1_000_000);
      await Promise.race([child.ready, child.exited.then((code) => Promise.reject(new Error(`child exited (${code}) before ready: ${child.output()}`)))]);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 500));
      child.kill();
      await child.exited;
      for (const n of child.acked.telemetry) acked.telemetry.add(n);
      for (const n of child.acked.alarm) acked.alarm.add(n);
    }
    expect(acked.telemetry.size).toBeGreaterThan(KILLS * 20); // the runs really did acknowledge data

    const final = runChild(spool.path, url, 0, 'drain');
    await Promise.race([final.drained, new Promise((_, reject) => setTimeout(() => reject(new Error(`no drain: ${final.output()}`)), 60_000))]);
    expect(await final.exited).toBe(0);

    const received = new Set(subscriber.telemetryNumbers()); // also throws if a batch id came back with other content
    const receivedAlarms = new Set(subscriber.alarmIds());
    const missing = [...acked.telemetry].filter((n) => !received.has(n));
    const missingAlarms = [...acked.alarm].filter((n) => !receivedAlarms.has(`crash-${n}`));
    expect(missing).toEqual([]);
    expect(missingAlarms).toEqual([]);
  });
});
