// Versioned schema of the workflow store, in the SQL both SQLite and PostgreSQL accept. A migration is
// never edited once released: add the next version. Applied in order, each in its own transaction,
// under a lock, so two workers starting at once against one PostgreSQL migrate it once.
import type { Db } from './db.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'cases, alarms in a case, events, steps, staff and duty roster',
    statements: [
      `CREATE TABLE cases (
        case_id TEXT PRIMARY KEY,
        township TEXT NOT NULL,
        compound TEXT NOT NULL,
        gateway TEXT NOT NULL,
        source TEXT NOT NULL,
        group_key TEXT NOT NULL,
        level TEXT NOT NULL,
        level_rank INTEGER NOT NULL,
        is_test INTEGER NOT NULL DEFAULT 0,
        step TEXT NOT NULL,
        version INTEGER NOT NULL,
        revision INTEGER NOT NULL DEFAULT 1,
        gateway_state TEXT NOT NULL,
        text_zh TEXT NOT NULL,
        text_en TEXT NOT NULL,
        point TEXT,
        value TEXT,
        tags TEXT NOT NULL,
        opened_at BIGINT NOT NULL,
        first_raised_at BIGINT NOT NULL,
        last_raised_at BIGINT NOT NULL,
        raise_count INTEGER NOT NULL,
        confirmation TEXT,
        confirm_method TEXT,
        assignee TEXT,
        due_step TEXT,
        due_at BIGINT,
        overdue INTEGER NOT NULL DEFAULT 0,
        escalations INTEGER NOT NULL DEFAULT 0,
        cause TEXT,
        closed_at BIGINT,
        updated_at BIGINT NOT NULL
      )`,
      'CREATE INDEX cases_open ON cases (township, closed_at)',
      'CREATE INDEX cases_group ON cases (group_key, closed_at)',
      'CREATE INDEX cases_due ON cases (due_at)',
      `CREATE TABLE case_alarms (
        case_id TEXT NOT NULL REFERENCES cases (case_id),
        alarm_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        level TEXT NOT NULL,
        state TEXT NOT NULL,
        last_transition TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (case_id, alarm_id)
      )`,
      'CREATE INDEX case_alarms_alarm ON case_alarms (alarm_id)',
      `CREATE TABLE case_events (
        event_key TEXT PRIMARY KEY,
        case_id TEXT,
        alarm_id TEXT NOT NULL,
        transition TEXT NOT NULL,
        state TEXT NOT NULL,
        level TEXT NOT NULL,
        ts BIGINT NOT NULL,
        received_at BIGINT NOT NULL
      )`,
      'CREATE INDEX case_events_case ON case_events (case_id)',
      `CREATE TABLE case_steps (
        case_id TEXT NOT NULL REFERENCES cases (case_id),
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        by_user TEXT NOT NULL,
        at BIGINT NOT NULL,
        details TEXT NOT NULL,
        PRIMARY KEY (case_id, seq)
      )`,
      `CREATE TABLE staff (
        name TEXT PRIMARY KEY,
        township TEXT NOT NULL,
        display_name TEXT NOT NULL,
        phone TEXT,
        team TEXT,
        role TEXT NOT NULL
      )`,
      `CREATE TABLE duty_roster (
        township TEXT NOT NULL,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (township, position)
      )`,
      'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    ],
  },
  {
    version: 2,
    name: 'notification log: one row per attempt with the channel answer',
    statements: [
      `CREATE TABLE notifications (
        id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        reason TEXT NOT NULL,
        recipient TEXT,
        attempt INTEGER NOT NULL,
        status TEXT NOT NULL,
        answer TEXT NOT NULL,
        at BIGINT NOT NULL
      )`,
      'CREATE INDEX notifications_case ON notifications (case_id)',
    ],
  },
  {
    version: 3,
    name: 'cases opened per gateway (the alarm-flood limit counts them); a case\'s newest events',
    statements: ['CREATE INDEX cases_gateway_opened ON cases (gateway, opened_at)', 'CREATE INDEX case_events_case_received ON case_events (case_id, received_at)'],
  },
];

/** Brings the schema up to `target` (default: the newest); returns the versions applied now. */
export async function migrate(db: Db, now: () => number, target = MIGRATIONS[MIGRATIONS.length - 1]!.version): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of MIGRATIONS.filter((m) => m.version <= target)) {
    const done = await db.transaction(async (tx) => {
      // The lock comes first: CREATE TABLE IF NOT EXISTS itself races between two PostgreSQL sessions.
      await tx.lock('lastmile:schema_migrations');
      await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const rows = await tx.all('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
      if (rows.length > 0) return false;
      for (const statement of migration.statements) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, now()]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}

export async function schemaVersion(db: Db): Promise<number> {
  const rows = await db.all<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return Number(rows[0]?.v ?? 0);
}
