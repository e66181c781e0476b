// One query layer for the township's workflow store, over two engines: SQLite (better-sqlite3, the
// embedded default: nothing to install, ~50 MB) and PostgreSQL (pg, production, shared by every worker).
// Queries are written once in the SQL both engines speak (`?` placeholders, ON CONFLICT, RETURNING);
// the PostgreSQL adapter numbers the placeholders. Change notices (LISTEN/NOTIFY on PostgreSQL, an
// in-process emitter on SQLite) tell every worker's board that a case changed.

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

/** What a transaction (or the database outside one) can do. */
export interface Queryable {
  /** Rows of a SELECT (or of a statement with RETURNING). */
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface Tx extends Queryable {
  /**
   * Serializes transactions touching one key (a gateway source, a case) across workers until commit:
   * pg_advisory_xact_lock on PostgreSQL; SQLite transactions are serialized already.
   */
  lock(key: string): Promise<void>;
  /** Queues a change notice, delivered to every worker (this one too) only if the transaction commits. */
  notify(payload: string): void;
}

export interface Db extends Queryable {
  readonly engine: 'sqlite' | 'postgres';
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Change notices from every worker sharing the database; returns the unsubscribe function. */
  onNotice(listener: (payload: string) => void): () => void;
  close(): Promise<void>;
}

/** The notice channel (PostgreSQL LISTEN name). */
export const NOTICE_CHANNEL = 'lastmile_cases';
