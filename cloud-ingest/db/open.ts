// Opens the workflow database named by the config: PostgreSQL when database.url is set (production,
// shared by every worker), else the embedded SQLite file under dataDir. Migrates before returning.
import { join } from 'node:path';
import type { Logger } from '../../contract/logger.js';
import type { Db } from './db.js';
import { migrate, MIGRATIONS, schemaVersion } from './migrations.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';

export interface DatabaseSettings {
  /** postgres://user@host:port/db; undefined = embedded SQLite. */
  readonly url?: string | undefined;
  /** Password for the URL's user, read from a file (never in the config or the log). */
  readonly password?: string | undefined;
  readonly poolSize: number;
  /** Tests of the migrations themselves open an empty database. */
  readonly skipMigrations?: boolean;
}

export const EMBEDDED_FILE = 'workflow.sqlite';

export async function openDatabase(settings: DatabaseSettings, dataDir: string, log: Logger, now: () => number): Promise<Db> {
  let db: Db;
  if (settings.url) {
    const url = new URL(settings.url);
    if (settings.password !== undefined) url.password = encodeURIComponent(settings.password);
    db = await openPostgres(url.toString(), log, settings.poolSize);
    log.info({ host: url.host, database: url.pathname.slice(1) }, 'workflow store: PostgreSQL');
  } else {
    const file = join(dataDir, EMBEDDED_FILE);
    db = openSqlite(file);
    log.info({ file }, 'workflow store: embedded SQLite (one worker; point database.url at PostgreSQL for several)');
  }
  if (settings.skipMigrations) return db;
  try {
    const applied = await migrate(db, now);
    if (applied.length > 0) log.info({ applied }, 'workflow store migrated');
    // A rolled-back cloud-ingest must not write into a schema it does not know.
    const version = await schemaVersion(db);
    const known = MIGRATIONS[MIGRATIONS.length - 1]!.version;
    if (version > known) throw new Error(`workflow store schema is version ${version}, newer than this cloud-ingest knows (${known}): upgrade cloud-ingest`);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
