// The alarm moments drawn on a history chart: every raise of a case of that source within the range,
// read from the workflow database (case_events joined to cases, the township checked on the case).
import type { Queryable } from '../db/db.js';

export interface AlarmMark {
  readonly ts: number;
  readonly level: string;
  readonly caseId: string;
  readonly text: { zh: string; en: string };
}

const MAX_MARKS = 500;

export async function alarmMarks(db: Queryable, where: { township: string; gateway: string; source: string }, from: number, to: number): Promise<AlarmMark[]> {
  const rows = await db.all<{ ts: number | string; level: string; case_id: string; text_zh: string; text_en: string }>(
    `SELECT e.ts, e.level, c.case_id, c.text_zh, c.text_en FROM case_events e JOIN cases c ON c.case_id = e.case_id
     WHERE c.township = ? AND c.gateway = ? AND c.source = ? AND e.transition = 'raise' AND e.ts >= ? AND e.ts <= ?
     ORDER BY e.ts LIMIT ${MAX_MARKS}`,
    [where.township, where.gateway, where.source, from, to],
  );
  return rows.map((r) => ({ ts: Number(r.ts), level: r.level, caseId: r.case_id, text: { zh: r.text_zh, en: r.text_en } }));
}
