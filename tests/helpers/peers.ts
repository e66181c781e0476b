// Real peers for integration tests, started by the tests themselves on 127.0.0.1 and stopped afterwards.
// Every peer gets a free port and a private temp dir; nothing is left running when a test file ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Ports handed out below Linux's ephemeral range (ip_local_port_range, 32768-60999 by default). A port the
 * OS picked for `listen(0)` comes from that range, and so does the local port of every outgoing connection:
 * with the suite's many connections, one of them took a port between freePort() closing it and its test
 * listening on it (EADDRINUSE in tests/e2e/demo-compound.test.ts). Below the range only another freePort()
 * can take it: each vitest worker (VITEST_POOL_ID; its files run one after another) picks from a slice of
 * its own, and never hands a port out twice. Outside vitest (the benches) slice 0.
 */
const SLICE_PORTS = 1_700;
const SLICE_BASE = 15_000 + (Number(process.env.VITEST_POOL_ID ?? 0) % 10) * SLICE_PORTS;
const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port nobody listens on right now, and none the OS hands to outgoing connections. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = SLICE_BASE + Math.floor(Math.random() * SLICE_PORTS);
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found between ${SLICE_BASE} and ${SLICE_BASE + SLICE_PORTS}`);
}

export async function waitForPort(port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `lastmile-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Fails loudly (never skips) when a peer binary is missing: CI installs them with scripts/install-test-peers.sh. */
export function requireBinary(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: run "bash scripts/install-test-peers.sh" (CI does)`);
  return path;
}

export interface Peer {
  readonly port: number;
  readonly process: ChildProcess;
  /** Everything the peer printed, for assertion messages. */
  output(): string;
  stop(): Promise<void>;
  /** SIGKILL, for fault tests (broker dies mid-run). */
  kill(): Promise<void>;
}

export async function startPeer(command: string, args: readonly string[], port: number, options: { cwd?: string; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {}): Promise<Peer> {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    await Promise.race([
      waitForPort(port, options.readyTimeoutMs ?? 10_000),
      exited.then(() => {
        throw new Error(`${command} exited before listening on ${port}: ${output}`);
      }),
    ]);
  } catch (error) {
    await stopWith('SIGKILL');
    throw error;
  }
  return { port, process: child, output: () => output, stop: () => stopWith('SIGTERM'), kill: () => stopWith('SIGKILL') };
}

export interface MosquittoOptions {
  port?: number;
  /** Extra mosquitto.conf lines (password_file, acl_file, listener options). Default: anonymous on loopback. */
  extraConfig?: string[];
  dir?: string;
}

/** mosquitto 2.0 on 127.0.0.1; restartable on the same port for outage tests. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Peer & { dir: string; config: string }> {
  const bin = requireBinary('/usr/sbin/mosquitto');
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? tempDir('mosquitto').path;
  const config = join(dir, 'mosquitto.conf');
  const lines = [`listener ${port} 127.0.0.1`, 'log_dest stderr', 'log_type error', 'log_type warning', 'persistence true', `persistence_location ${dir}/`, 'autosave_interval 1'];
  if (!(options.extraConfig ?? []).some((l) => l.startsWith('password_file') || l.startsWith('allow_anonymous'))) lines.push('allow_anonymous true');
  // Started as root (CI), mosquitto would switch to user "mosquitto" and silently fail to write its
  // persistence file and read our 0600 password/ACL files in the test's private temp dir.
  if (process.getuid?.() === 0 && !(options.extraConfig ?? []).some((l) => l.startsWith('user '))) lines.push('user root');
  writeFileSync(config, [...lines, ...(options.extraConfig ?? [])].join('\n') + '\n');
  const peer = await startPeer(bin, ['-c', config], port);
  return { ...peer, dir, config };
}
