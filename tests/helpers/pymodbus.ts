// An independent Modbus slave for integration tests: pymodbus 3.0 in /usr/bin/python3 (see
// pymodbus_slave.py), over TCP on a free loopback port or over RTU on one end of a socat pty pair.
// Everything started here is stopped by the returned stop()/kill(); tests call them in afterAll.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, requireBinary, startPeer, tempDir, type Peer } from './peers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'pymodbus_slave.py');

/** Register contents of one unit: [wire address, values] ranges per table. Unlisted addresses answer exception 2. */
export interface SlaveUnit {
  hr?: [number, number[]][];
  ir?: [number, number[]][];
  co?: [number, (0 | 1)[]][];
  di?: [number, (0 | 1)[]][];
}
/** Unit id → contents; unit ids not listed never answer (a dead slave). */
export type SlaveUnits = Record<number, SlaveUnit>;

/** A float32 as two registers, high word first (ABCD), as Eastron and Chint meters send it. */
export function float32Words(value: number): [number, number] {
  const buffer = Buffer.alloc(4);
  buffer.writeFloatBE(value, 0);
  return [buffer.readUInt16BE(0), buffer.readUInt16BE(2)];
}

/** pymodbus TCP slave on 127.0.0.1; pass `port` to restart one on the same port after kill(). */
export async function startPymodbusTcp(units: SlaveUnits, options: { port?: number } = {}): Promise<Peer> {
  requireBinary(PYTHON);
  const port = options.port ?? (await freePort());
  return startPeer(PYTHON, [SCRIPT, JSON.stringify({ mode: 'tcp', port, units })], port);
}

export interface PtyPair {
  /** The end the gateway opens. */
  readonly gatewaySide: string;
  /** The end the slave opens (tests may also write junk into it: it arrives at the gateway side). */
  readonly deviceSide: string;
  stop(): Promise<void>;
}

/** A real pty pair from socat (baud and parity are ignored on a pty). */
export async function startPtyPair(): Promise<PtyPair> {
  const socat = requireBinary('/usr/bin/socat');
  const dir = tempDir('pty');
  const gatewaySide = join(dir.path, 'gateway');
  const deviceSide = join(dir.path, 'device');
  const child = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${gatewaySide}`, `pty,raw,echo=0,link=${deviceSide}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    await stopChild(child);
    dir.remove();
  };
  const deadline = Date.now() + 5000;
  // socat logs "starting data transfer loop" once both ptys exist.
  while (!(existsSync(gatewaySide) && existsSync(deviceSide) && output.includes('starting data transfer loop'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`socat did not create the pty pair: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { gatewaySide, deviceSide, stop };
}

/** pymodbus RTU slave on a pty (the device side of a startPtyPair()). */
export async function startPymodbusRtu(device: string, units: SlaveUnits): Promise<Omit<Peer, 'port'>> {
  requireBinary(PYTHON);
  const child = spawn(PYTHON, [SCRIPT, JSON.stringify({ mode: 'rtu', device, units })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!output.includes('READY')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child, 'SIGKILL');
      throw new Error(`pymodbus RTU slave did not start on ${device}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { process: child, output: () => output, stop: () => stopChild(child), kill: () => stopChild(child, 'SIGKILL') };
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}
