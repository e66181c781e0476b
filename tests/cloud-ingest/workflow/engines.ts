// The workflow store's two engines for one test suite: embedded SQLite (a temp file) and a real
// PostgreSQL 15 started by the suite. Each open() is a fresh, migrated database.
import type { Db } from '../../../cloud-ingest/db/db.js';
import { openDatabase } from '../../../cloud-ingest/db/open.js';
import { silentLogger } from '../../../contract/logger.js';
import { tempDir } from '../../helpers/peers.js';
import { startPostgres, type Postgres } from '../../helpers/postgres.js';

export type EngineName = 'sqlite' | 'postgres';
export const ENGINES: readonly EngineName[] = ['sqlite', 'postgres'];

export class Engines {
  private postgres: Postgres | undefined;
  private readonly dirs: { remove: () => void }[] = [];
  private readonly open: Db[] = [];
  private n = 0;

  async start(): Promise<void> {
    this.postgres = await startPostgres();
  }

  /** A URL (postgres) or a data dir (sqlite) for a fresh database, for tests that start whole services. */
  async settings(engine: EngineName): Promise<{ url?: string; dataDir: string }> {
    const dir = tempDir(`wf-${engine}`);
    this.dirs.push(dir);
    if (engine === 'sqlite') return { dataDir: dir.path };
    return { url: await this.postgres!.createDatabase(`t${process.pid}_${++this.n}`), dataDir: dir.path };
  }

  async db(engine: EngineName, now: () => number = Date.now, options: { migrate?: boolean } = {}): Promise<Db> {
    const s = await this.settings(engine);
    const db = await openDatabase({ url: s.url, poolSize: 4, skipMigrations: options.migrate === false }, s.dataDir, silentLogger(), now);
    this.open.push(db);
    return db;
  }

  async stop(): Promise<void> {
    for (const db of this.open.splice(0)) await db.close().catch(() => undefined);
    await this.postgres?.stop();
    for (const d of this.dirs.splice(0)) d.remove();
  }
}
