// GET /api/stats: the township's case statistics and each compound's (cloud-ingest/stats), over the last
// `days` (default 30) or [from, to) in ms; only the logged-in user's township.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CloudIngest } from '../service.js';
import { caseStats } from '../stats/case-stats.js';
import { casesOpenedSince } from '../stats/load.js';
import type { Session } from './sessions.js';

const DAY = 86_400_000;
const REPEAT_WINDOW = 7 * DAY;

export function addStatsRoute(app: FastifyInstance, service: CloudIngest, requireStaff: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void {
  app.get<{ Querystring: { days?: string; from?: string; to?: string } }>('/api/stats', { preHandler: requireStaff }, async (request, reply) => {
    const staff = request.staff as Session;
    const q = request.query;
    const to = q.to !== undefined ? Number(q.to) : service.clock.now();
    const from = q.from !== undefined ? Number(q.from) : to - Math.min(366, Math.max(1, Number(q.days ?? 30) || 30)) * DAY;
    if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to || to - from > 366 * DAY) return reply.code(400).send({ error: 'from < to, at most 366 days / 时间范围无效（最长 366 天）' });
    const cases = await casesOpenedSince(service.alarms.db, staff.township, Math.min(from, to - REPEAT_WINDOW), to);
    return caseStats(cases, { from, to, ...service.config.views.stats, repeatWindowMs: REPEAT_WINDOW });
  });
}
