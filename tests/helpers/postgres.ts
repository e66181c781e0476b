// A real PostgreSQL 15 (Debian's postgresql) for tests: initdb into a temp dir and postgres on a free
// port on 127.0.0.1, as user nobody when the tests run as root (postgres refuses to run as root).
// Each test suite makes its own databases with createDatabase(); stop() ends the server and removes the dir.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, requireBinary, tempDir, waitForPort } from './peers.js';

const BIN = '/usr/lib/postgresql/15/bin';
const NOBODY = 65534;

export interface Postgres {
  readonly port: number;
  /** A URL for a fresh, empty database. */
  createDatabase(name: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

/** fsync off by default (tests); benchmarks measure with it on. */
export async function startPostgres(options: { fsync?: boolean } = {}): Promise<Postgres> {
  requireBinary(join(BIN, 'postgres'));
  const dir = tempDir('postgres');
  const data = join(dir.path, 'data');
  mkdirSync(data, { mode: 0o700 });
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
  if (asRoot) {
    chownSync(dir.path, NOBODY, NOBODY);
    chownSync(data, NOBODY, NOBODY);
  }
  execFileSync(join(BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'lastmile', '-E', 'UTF8', '--locale=C', '--no-sync'], { ...user, stdio: 'pipe', cwd: dir.path });
  const port = await freePort();
  const child = spawn(join(BIN, 'postgres'), ['-D', data, '-k', dir.path, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `fsync=${options.fsync ? 'on' : 'off'}`, '-c', 'max_connections=200'], {
    ...user,
    cwd: dir.path,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); // fast shutdown
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    dir.remove();
  };
  try {
    await waitForPort(port, 20_000);
    // Listening comes a moment before accepting; the first connection is retried until it is ready.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'lastmile', database: 'postgres' });
      try {
        await client.connect();
        await client.end();
        break;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`postgres on ${port} never accepted a connection: ${(error as Error).message}\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    output: () => output,
    stop,
    async createDatabase(name: string) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'lastmile', database: 'postgres' });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return `postgres://lastmile@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
  };
}
