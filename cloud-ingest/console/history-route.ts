// GET /api/history: one sensor field over 1 h / 24 h / 7 d / 30 d, read back from the time-series
// database (Prometheus query API), with its unit, the rule thresholds and the alarm moments of that
// source. Without a database (or with views.history.query none) it answers the recent memory window and
// says so (`from: "memory"`), so the page never passes off a few minutes as history. GET /api/night-energy:
// each meter's night-time energy against its own baseline (history/night-energy.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { alarmMarks } from '../history/alarm-marks.js';
import { nightEnergy } from '../history/night-energy.js';
import { HistoryError, PrometheusHistory } from '../history/prometheus.js';
import { isHistoryRange } from '../history/ranges.js';
import type { CloudIngest } from '../service.js';
import { fieldView } from '../views/options.js';
import type { Session } from './sessions.js';

interface HistoryQuerystring {
  gateway?: string;
  source?: string;
  measurement?: string;
  field?: string;
  range?: string;
}

export function addHistoryRoute(app: FastifyInstance, service: CloudIngest, requireStaff: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void {
  const views = service.config.views;
  const influx = service.config.influx;
  const database = influx && views.history.query === 'prometheus' ? new PrometheusHistory(influx.url, views.history) : undefined;

  app.get<{ Querystring: HistoryQuerystring }>('/api/history', { preHandler: requireStaff }, async (request, reply) => {
    const staff = request.staff as Session;
    const { gateway = '', source = '', measurement = '', field = '', range = '24h' } = request.query;
    if (!isHistoryRange(range)) return reply.code(400).send({ error: 'range: 1h, 24h, 7d or 30d / 时间范围应为 1h、24h、7d 或 30d' });
    // The gateway must be this township's (registry or seen), so no one reads another township's series.
    const township = service.registry.list().find((g) => g.id === gateway)?.township ?? service.ingest.gateways.get(gateway)?.identity.township;
    if (township === undefined || township !== staff.township) return reply.code(404).send({ error: 'no such series / 没有这个数据序列' });
    const view = fieldView(views, measurement, field);
    const described = { gateway, source, measurement, field, range, unit: view?.unit, name: view?.name, thresholds: view?.thresholds ?? [] };
    const now = service.clock.now();
    if (!database) {
      const points = service.window.points({ gateway, source, field });
      return { ...described, from: 'memory', ts: points?.ts ?? [], values: points?.values ?? [], marks: [] };
    }
    try {
      const series = await database.series({ township, gateway, source, measurement, field }, range, now);
      const marks = await alarmMarks(service.alarms.db, { township, gateway, source }, series.from - series.stepMs, series.to + series.stepMs);
      return { ...described, from: 'database', stepMs: series.stepMs, start: series.from, end: series.to, ts: series.ts, values: series.values, marks };
    } catch (error) {
      if (error instanceof HistoryError) return reply.code(502).send({ error: `时序数据库不可用 / time-series database unavailable: ${error.message}` });
      throw error;
    }
  });

  /** Night-time electricity per meter against its own baseline; needs the database. */
  app.get('/api/night-energy', { preHandler: requireStaff }, async (request, reply) => {
    if (!database || !influx) return reply.code(404).send({ error: '未配置时序数据库 / no time-series database configured' });
    try {
      const o = { ...views.nightEnergy, utcOffsetMinutes: views.stats.utcOffsetMinutes, timeoutMs: views.history.timeoutMs };
      return { ...views.nightEnergy, meters: await nightEnergy(influx.url, (request.staff as Session).township, o, service.clock.now()) };
    } catch (error) {
      if (error instanceof HistoryError) return reply.code(502).send({ error: `时序数据库不可用 / time-series database unavailable: ${error.message}` });
      throw error;
    }
  });
}
