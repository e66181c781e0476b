// The township console: login, the live alarm board (Server-Sent Events, fed by every worker's changes
// through the workflow database), workflow actions with who did them, reset, the archive, gateway status
// and recent series. Every route answers only with the logged-in user's township.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import { tlsServerOptions } from '../../contract/listener-tls.js';
import type { Logger } from '../../contract/logger.js';
import type { AlarmCase } from '../alarms/types.js';
import { ConflictError, WorkflowError } from '../alarms/store.js';
import type { CloudIngest } from '../service.js';
import { CONSOLE_PAGE, CONSOLE_SCRIPT, CONSOLE_STYLE, UPLOT } from './page.js';
import { addSecurityHeaders, RAW_SECURITY_HEADERS } from './security.js';
import { SESSION_COOKIE, Sessions, type Session } from './sessions.js';
import { addHistoryRoute } from './history-route.js';
import { addStatsRoute } from './stats-route.js';
import { addPhoneRoutes } from './phone-route.js';
import { parseStepBody } from './step-body.js';
import { boardCase, townshipGateways } from './views.js';

/** Live-feed heartbeat period; the page declares the server lost after 5 s without one. */
const HEARTBEAT_MS = 2000;

export interface ConsoleServer {
  readonly port: number;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    staff: Session | undefined;
  }
}

export async function startConsole(service: CloudIngest, log: Logger): Promise<ConsoleServer> {
  const config = service.config.console;
  const sessions = new Sessions(config.users);
  if (config.users.length === 0) log.warn('console has no users configured: nobody can log in (there is no default password)');
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, ...(config.tls ? { https: tlsServerOptions(config.tls, 'console.tls') } : {}) });
  await app.register(cookie);
  addSecurityHeaders(app);
  if (config.tls) {
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('strict-transport-security', 'max-age=31536000');
      return payload;
    });
  }
  app.decorateRequest('staff', undefined);
  app.addHook('onRequest', async (request) => {
    request.staff = sessions.get(request.cookies[SESSION_COOKIE]);
  });
  const requireStaff = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.staff) return reply.code(401).send({ error: 'login required / 请先登录' });
  };

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(CONSOLE_PAGE));
  app.get('/console.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-store').send(CONSOLE_SCRIPT));
  app.get('/uplot.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=86400').send(UPLOT.script));
  app.get('/uplot.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=86400').send(UPLOT.style));
  app.get('/console.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-store').send(CONSOLE_STYLE));

  app.post<{ Body: { user?: string; password?: string } }>('/api/login', async (request, reply) => {
    const { user, password } = request.body ?? {};
    const result = typeof user === 'string' && typeof password === 'string' ? await sessions.login(user, password, request.ip) : ({ ok: false, why: 'wrong' } as const);
    if (!('token' in result)) {
      log.warn({ user: typeof user === 'string' ? user.slice(0, 64) : undefined, ip: request.ip, why: result.why }, 'console login failed');
      if (result.why === 'wrong') return reply.code(401).send({ error: '用户名或密码错误 / wrong user name or password' });
      const wait = Math.ceil((result.why === 'locked' ? result.retryAfterMs : 1000) / 1000);
      return reply.code(429).header('retry-after', String(wait)).send({ error: `尝试过多，请 ${wait} 秒后再试 / too many attempts, try again in ${wait} s` });
    }
    const token = result.token;
    log.info({ user }, 'console login');
    reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure: config.secureCookie || config.tls !== undefined });
    return { ok: true };
  });

  app.post('/api/logout', async (request, reply) => {
    sessions.logout(request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/me', { preHandler: requireStaff }, async (request) => ({ user: request.staff!.user, displayName: request.staff!.displayName, township: request.staff!.township, storesHistory: service.storesHistory }));

  /** The case when it belongs to the staff member's township, else a 404 sent. */
  const ownCase = async (staff: Session, caseId: string, reply: FastifyReply): Promise<AlarmCase | undefined> => {
    const c = await service.alarms.get(caseId);
    if (!c || c.township !== staff.township) {
      await reply.code(404).send({ error: '没有这个警情 / no such alarm case' });
      return undefined;
    }
    return c;
  };
  const workflowAnswer = async (reply: FastifyReply, action: () => Promise<AlarmCase>) => {
    try {
      return boardCase(await action(), service.alarms.policy);
    } catch (error) {
      if (error instanceof ConflictError) return reply.code(409).send({ error: error.message, conflict: true });
      if (error instanceof WorkflowError) return reply.code(409).send({ error: error.message });
      throw error;
    }
  };

  app.get('/api/alarms', { preHandler: requireStaff }, async (request) => (await service.alarms.listOpen(request.staff!.township)).map((c) => boardCase(c, service.alarms.policy)));

  app.get<{ Querystring: { q?: string } }>('/api/archive', { preHandler: requireStaff }, async (request) =>
    (await service.alarms.archive(request.staff!.township, String(request.query.q ?? '').slice(0, 100))).map((c) => boardCase(c, service.alarms.policy)),
  );

  app.get<{ Params: { caseId: string } }>('/api/alarms/:caseId', { preHandler: requireStaff }, async (request, reply) => {
    const c = await ownCase(request.staff!, request.params.caseId, reply);
    if (!c) return reply;
    return { ...boardCase(c, service.alarms.policy), notifications: await service.workflowServices!.notifier.history(c.caseId) };
  });

  /** False-alarm rates per device from closing causes, over the last `days` (default 30). */
  app.get<{ Querystring: { days?: string } }>('/api/stats/causes', { preHandler: requireStaff }, async (request) => {
    const days = Math.min(366, Math.max(1, Number(request.query.days ?? 30) || 30));
    return service.alarms.closureCauses(request.staff!.township, Date.now() - days * 86_400_000);
  });

  app.get('/api/staff', { preHandler: requireStaff }, async (request) => {
    const staff = service.workflowServices!.staff;
    return { staff: await staff.list(request.staff!.township), ladder: (await staff.ladder(request.staff!.township)).map((s) => s.name) };
  });

  app.post<{ Params: { caseId: string } }>('/api/alarms/:caseId/step', { preHandler: requireStaff }, async (request, reply) => {
    const staff = request.staff!;
    const c = await ownCase(staff, request.params.caseId, reply);
    if (!c) return reply;
    const parsed = parseStepBody(request.body);
    if (!parsed.ok) return reply.code(400).send({ error: parsed.error });
    return workflowAnswer(reply, () => service.workflow.step(c.caseId, parsed.request, staff.user, parsed.version));
  });

  app.post<{ Params: { caseId: string } }>('/api/alarms/:caseId/reset', { preHandler: requireStaff }, async (request, reply) => {
    const staff = request.staff!;
    const c = await ownCase(staff, request.params.caseId, reply);
    if (!c) return reply;
    return workflowAnswer(reply, () => service.workflow.reset(c.caseId, staff.user));
  });

  app.get('/api/gateways', { preHandler: requireStaff }, async (request) => townshipGateways(service, request.staff!.township, Date.now()));

  addHistoryRoute(app, service, requireStaff);
  addStatsRoute(app, service, requireStaff);
  addPhoneRoutes(app, service, requireStaff);

  /** Display names and field units of this township, for the page to show names with ids on hover. */
  app.get('/api/views', { preHandler: requireStaff }, async (request) => {
    const v = service.config.views;
    const township = request.staff!.township;
    // Only this township's names: another township's compound names are not for this board.
    const own = service.registry.list().filter((g) => g.township === township);
    const gateways = new Set(own.map((g) => g.id));
    const compounds = new Set(own.map((g) => g.compound));
    const pick = (names: Record<string, string>, keep: (key: string) => boolean) => Object.fromEntries(Object.entries(names).filter(([k]) => keep(k)));
    const names = {
      townships: pick(v.names.townships, (k) => k === township),
      compounds: pick(v.names.compounds, (k) => compounds.has(k)),
      gateways: pick(v.names.gateways, (k) => gateways.has(k)),
      sources: pick(v.names.sources, (k) => !k.includes('/') || gateways.has(k.split('/')[0]!)),
    };
    return { names, fields: v.fields.map((f) => ({ field: f.field, measurement: f.measurement, unit: f.unit, name: f.name })), heartbeatMs: HEARTBEAT_MS };
  });

  app.get('/api/series', { preHandler: requireStaff }, async (request) => service.window.list((s) => s.township === request.staff!.township));

  app.get<{ Querystring: { gateway?: string; source?: string; field?: string } }>('/api/series/points', { preHandler: requireStaff }, async (request, reply) => {
    const { gateway = '', source = '', field = '' } = request.query;
    const points = service.window.points({ gateway, source, field });
    if (!points || points.info.township !== request.staff!.township) return reply.code(404).send({ error: 'no such series' });
    return points;
  });

  app.get('/api/events', { preHandler: requireStaff }, (request, reply) => {
    const staff = request.staff!;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', ...RAW_SECURITY_HEADERS });
    res.write('retry: 1000\n\n');
    const store = service.alarms;
    const onChange = (c: AlarmCase) => {
      if (c.township === staff.township) res.write(`event: alarm\ndata: ${JSON.stringify(boardCase(c, store.policy))}\n\n`);
    };
    // Notices were lost (the PostgreSQL listener reconnected): the page reloads its cases.
    const onResync = () => res.write('event: resync\ndata: {}\n\n');
    store.changes.on('change', onChange);
    store.changes.on('resync', onResync);
    // The page's proof the server is there: no heartbeat for 5 s and it shows a red banner (issue 16).
    const keepalive = setInterval(() => res.write(`event: heartbeat\ndata: ${Date.now()}\n\n`), HEARTBEAT_MS);
    request.raw.on('close', () => {
      clearInterval(keepalive);
      store.changes.off('change', onChange);
      store.changes.off('resync', onResync);
    });
  });

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    port,
    close: async () => {
      // SSE responses are hijacked; end them so close() does not wait for browsers.
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
