// The embedded store: SQLite through better-sqlite3, one file under dataDir. WAL with synchronous=FULL,
// so a committed transaction survives a power cut. better-sqlite3 is synchronous; one queue keeps the
// async transactions of this process from interleaving (one process owns the file: the embedded default
// runs a single worker; several workers share PostgreSQL instead). Inside a transaction, use only its tx
// object: the database itself waits for the transaction to finish.
import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import { NOTICE_CHANNEL, type Db, type Row, type SqlValue, type Tx } from './db.js';

export function openSqlite(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const notices = new EventEmitter();
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T> | T): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const all = <T extends Row>(sql: string, params: readonly SqlValue[] = []) => db.prepare(sql).all(...params) as T[];
  const run = (sql: string, params: readonly SqlValue[] = []) => db.prepare(sql).run(...params).changes;

  return {
    engine: 'sqlite',
    all: (sql, params) => exclusive(() => all(sql, params)),
    run: (sql, params) => exclusive(() => run(sql, params)),
    transaction: <T>(fn: (tx: Tx) => Promise<T>) =>
      exclusive(async () => {
        const pending: string[] = [];
        const tx: Tx = {
          all: async (sql, params) => all(sql, params),
          run: async (sql, params) => run(sql, params),
          lock: async () => undefined,
          notify: (payload) => pending.push(payload),
        };
        db.exec('BEGIN IMMEDIATE');
        let result: T;
        try {
          result = await fn(tx);
          db.exec('COMMIT');
        } catch (error) {
          db.exec('ROLLBACK');
          throw error;
        }
        // After the commit, like PostgreSQL's NOTIFY.
        for (const payload of pending) notices.emit(NOTICE_CHANNEL, payload);
        return result;
      }),
    onNotice: (listener) => {
      notices.on(NOTICE_CHANNEL, listener);
      return () => notices.off(NOTICE_CHANNEL, listener);
    },
    close: () =>
      exclusive(() => {
        db.close();
      }),
  };
}
