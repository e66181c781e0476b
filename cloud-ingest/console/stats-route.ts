// GET /api/stats: the township's case statistics and each compound's (cloud-ingest/stats), over the last
// `days` (default 30) or [from, to) in ms; /api/stats.csv the same per compound as CSV; /api/risk the
// risk colour of each compound with its gateways; /api/quality data quality now. Only the logged-in user's
// township.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CloudIngest } from '../service.js';
import { caseStats, type TownshipStats } from '../stats/case-stats.js';
import { toCsv } from '../stats/csv.js';
import { casesOpenedSince } from '../stats/load.js';
import { dataQuality } from '../stats/quality.js';
import { riskColour, riskInputs, type RiskColour } from '../stats/risk.js';
import { fieldView } from '../views/options.js';
import { townshipGateways } from './views.js';
import type { Session } from './sessions.js';

const DAY = 86_400_000;
const REPEAT_WINDOW = 7 * DAY;

type Query = { days?: string; from?: string; to?: string };

export interface CompoundRisk {
  readonly compound: string;
  readonly colour: RiskColour;
  readonly reasons: string[];
  readonly gateways: { gateway: string; connected: boolean }[];
}

export function addStatsRoute(app: FastifyInstance, service: CloudIngest, requireStaff: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void {
  const period = (q: Query) => {
    const to = q.to !== undefined ? Number(q.to) : service.clock.now();
    const from = q.from !== undefined ? Number(q.from) : to - Math.min(366, Math.max(1, Number(q.days ?? 30) || 30)) * DAY;
    return Number.isFinite(from) && Number.isFinite(to) && from < to && to - from <= 366 * DAY ? { from, to } : undefined;
  };
  const stats = async (township: string, from: number, to: number): Promise<TownshipStats> => {
    const cases = await casesOpenedSince(service.alarms.db, township, Math.min(from, to - REPEAT_WINDOW), to);
    return caseStats(cases, { from, to, ...service.config.views.stats, repeatWindowMs: REPEAT_WINDOW });
  };
  const badPeriod = (reply: FastifyReply) => reply.code(400).send({ error: 'from < to, at most 366 days / 时间范围无效（最长 366 天）' });

  app.get<{ Querystring: Query }>('/api/stats', { preHandler: requireStaff }, async (request, reply) => {
    const p = period(request.query);
    if (!p) return badPeriod(reply);
    return stats((request.staff as Session).township, p.from, p.to);
  });

  const risks = async (township: string): Promise<CompoundRisk[]> => {
    const now = service.clock.now();
    const s = await stats(township, now - 30 * DAY, now);
    const open = await service.alarms.listOpen(township);
    const gateways = new Map<string, { gateway: string; connected: boolean }[]>();
    for (const g of service.registry.list().filter((x) => x.township === township)) {
      const seen = service.ingest.gateways.get(g.id);
      gateways.set(g.compound, [...(gateways.get(g.compound) ?? []), { gateway: g.id, connected: seen?.connected ?? false }]);
    }
    const compounds = [...new Set([...gateways.keys(), ...Object.keys(s.compounds), ...open.map((c) => c.compound)])].sort();
    return compounds.map((compound) => {
      const gws = gateways.get(compound) ?? [];
      const { colour, reasons } = riskColour(service.config.views.risk, riskInputs(open.filter((c) => c.compound === compound), s.compounds[compound], gws.filter((g) => !g.connected).length));
      return { compound, colour, reasons, gateways: gws };
    });
  };

  app.get('/api/risk', { preHandler: requireStaff }, async (request) => risks((request.staff as Session).township));

  /** Data quality now: online shares, silent sensors, stuck and out-of-range values in the recent window. */
  app.get('/api/quality', { preHandler: requireStaff }, async (request) => {
    const township = (request.staff as Session).township;
    const series = service.window.list((x) => x.township === township).flatMap((info) => {
      const p = service.window.points(info);
      return p ? [{ gateway: info.gateway, compound: info.compound, source: info.source, measurement: info.measurement, field: info.field, values: p.values }] : [];
    });
    return dataQuality(townshipGateways(service, township, service.clock.now()), series, { stuckMinPoints: 10, range: (m, f) => fieldView(service.config.views, m, f)?.range });
  });

  app.get<{ Querystring: Query }>('/api/stats.csv', { preHandler: requireStaff }, async (request, reply) => {
    const p = period(request.query);
    if (!p) return badPeriod(reply);
    const township = (request.staff as Session).township;
    const s = await stats(township, p.from, p.to);
    const colour = new Map((await risks(township)).map((r) => [r.compound, r.colour]));
    const names = service.config.views.names.compounds;
    const sec = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms / 1000));
    const rows = Object.entries(s.compounds).map(([compound, c]) => {
      const fa = s.falseAlarmsByCompound.find((r) => r.compound === compound);
      return [compound, names[compound] ?? '', colour.get(compound) ?? '', c.cases, c.closed, c.closureRate, sec(c.toConfirm.median), sec(c.toConfirm.p90), sec(c.toDispatch.median), sec(c.toDispatch.p90), sec(c.toClose.median), sec(c.toClose.p90), c.overdue, c.overdueOpen, fa?.rate, fa?.flagged ? 1 : 0, c.repeatHazards.length, c.testCases];
    });
    const header = ['compound', '小区 name', '风险 risk', '警情 cases', '结案 closed', '结案率 closure_rate', '确认中位 confirm_median_s', 'confirm_p90_s', '派单中位 dispatch_median_s', 'dispatch_p90_s', '结案中位 close_median_s', 'close_p90_s', '超时 overdue', 'overdue_open', '误报率 false_alarm_rate', 'flagged', '重复隐患 repeat_hazards', '测试 tests'];
    const day = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="lastmile-${township}-${day(p.from)}-${day(p.to)}.csv"`)
      .send(toCsv(header, rows));
  });
}
