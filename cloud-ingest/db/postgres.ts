// Production store: PostgreSQL through pg, shared by every worker. Change notices travel by
// LISTEN/NOTIFY on one dedicated connection; NOTIFY is sent inside the transaction, so PostgreSQL
// delivers it only on commit. When the listening connection drops, it reconnects and announces '*'
// ("reload everything"), since notices sent meanwhile are lost.
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from '../../contract/logger.js';
import { NOTICE_CHANNEL, type Db, type Row, type SqlValue, type Tx } from './db.js';

/** `?` placeholders (the SQL both engines share) → PostgreSQL's $1, $2 … */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

// BIGINT (timestamps in ms, counts) as a JS number, not pg's default string; per pool, never global.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

export async function openPostgres(url: string, log: Logger, poolSize = 8): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
  pool.on('error', (error) => log.warn({ err: error.message }, 'idle PostgreSQL connection failed'));
  const notices = new EventEmitter();
  let closing = false;
  let listener: pg.Client | undefined;

  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url, types });
    client.on('notification', (n) => {
      if (n.channel === NOTICE_CHANNEL) notices.emit(NOTICE_CHANNEL, n.payload ?? '*');
    });
    client.on('error', (error) => {
      if (closing) return;
      log.warn({ err: error.message }, 'PostgreSQL LISTEN connection lost; reconnecting');
      listener = undefined;
      const retry = () => {
        if (closing) return;
        listen().then(
          () => notices.emit(NOTICE_CHANNEL, '*'),
          () => setTimeout(retry, 1000).unref(),
        );
      };
      setTimeout(retry, 500).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${NOTICE_CHANNEL}`);
    listener = client;
  };
  await listen();

  const on = (q: { query: pg.Pool['query'] } | pg.PoolClient) => ({
    all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => (await q.query(numberPlaceholders(sql), params as SqlValue[])).rows as T[],
    run: async (sql: string, params: readonly SqlValue[] = []) => (await q.query(numberPlaceholders(sql), params as SqlValue[])).rowCount ?? 0,
  });
  const direct = on(pool);

  return {
    engine: 'postgres',
    all: direct.all,
    run: direct.run,
    async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const pending: string[] = [];
      const q = on(client);
      const tx: Tx = {
        ...q,
        lock: async (key) => {
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
        },
        notify: (payload) => pending.push(payload),
      };
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        for (const payload of pending) await client.query('SELECT pg_notify($1, $2)', [NOTICE_CHANNEL, payload]);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    onNotice: (fn) => {
      notices.on(NOTICE_CHANNEL, fn);
      return () => notices.off(NOTICE_CHANNEL, fn);
    },
    async close() {
      closing = true;
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
