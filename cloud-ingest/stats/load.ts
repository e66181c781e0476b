// The cases statistics need, read from the workflow database: a township's cases opened since `since`
// (at most `limit`, newest first; a township's month is thousands, not millions).
import type { AlarmCase } from '../alarms/types.js';
import { loadCases, type CaseRow } from '../alarms/case-rows.js';
import type { Queryable } from '../db/db.js';

export async function casesOpenedSince(db: Queryable, township: string, since: number, until: number, limit = 50_000): Promise<AlarmCase[]> {
  const rows = await db.all<CaseRow>('SELECT * FROM cases WHERE township = ? AND opened_at >= ? AND opened_at < ? ORDER BY opened_at DESC LIMIT ?', [township, since, until, limit]);
  return loadCases(db, rows, false);
}
