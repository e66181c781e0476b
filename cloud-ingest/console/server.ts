// The township console: login, the live alarm board (Server-Sent Events), workflow actions, gateway
// status and recent series. Every route answers only with the logged-in user's township.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import type { Logger } from '../../gateway/shared/logger.js';
import { WORKFLOW_STEPS, type AlarmCase, type WorkflowStep } from '../alarms/types.js';
import { WorkflowError } from '../alarms/store.js';
import type { CloudIngest } from '../service.js';
import { CONSOLE_PAGE } from './page.js';
import { SESSION_COOKIE, Sessions, type Session } from './sessions.js';
import { boardOrder, gatewayView } from './views.js';

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
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  await app.register(cookie);
  app.decorateRequest('staff', undefined);
  app.addHook('onRequest', async (request) => {
    request.staff = sessions.get(request.cookies[SESSION_COOKIE]);
  });
  const requireStaff = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.staff) return reply.code(401).send({ error: 'login required / 请先登录' });
  };

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(CONSOLE_PAGE));

  app.post<{ Body: { user?: string; password?: string } }>('/api/login', async (request, reply) => {
    const { user, password } = request.body ?? {};
    const token = typeof user === 'string' && typeof password === 'string' ? sessions.login(user, password) : undefined;
    if (!token) {
      log.warn({ user, ip: request.ip }, 'console login failed');
      return reply.code(401).send({ error: '用户名或密码错误 / wrong user name or password' });
    }
    log.info({ user }, 'console login');
    reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure: config.secureCookie });
    return { ok: true };
  });

  app.post('/api/logout', async (request, reply) => {
    sessions.logout(request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  const mine = (staff: Session) => (c: AlarmCase) => c.township === staff.township;

  app.get('/api/me', { preHandler: requireStaff }, async (request) => ({ user: request.staff!.user, displayName: request.staff!.displayName, township: request.staff!.township, storesHistory: service.storesHistory }));

  app.get('/api/alarms', { preHandler: requireStaff }, async (request) => service.alarms.list(mine(request.staff!)).sort(boardOrder));

  app.post<{ Params: { caseId: string }; Body: { step?: string; to?: string; note?: string } }>('/api/alarms/:caseId/step', { preHandler: requireStaff }, async (request, reply) => {
    const staff = request.staff!;
    const c = service.alarms.get(request.params.caseId);
    if (!c || c.township !== staff.township) return reply.code(404).send({ error: '没有这个警情 / no such alarm case' });
    const step = request.body?.step as WorkflowStep;
    if (!WORKFLOW_STEPS.includes(step)) return reply.code(400).send({ error: `step must be one of ${WORKFLOW_STEPS.join(', ')}` });
    try {
      const details = { ...(request.body.to ? { to: String(request.body.to) } : {}), ...(request.body.note ? { note: String(request.body.note) } : {}) };
      return await service.workflow.advance(c.caseId, step, staff.user, details);
    } catch (error) {
      if (error instanceof WorkflowError) return reply.code(409).send({ error: error.message });
      throw error;
    }
  });

  app.get('/api/gateways', { preHandler: requireStaff }, async (request) => {
    const now = Date.now();
    const township = request.staff!.township;
    const seen = [...service.ingest.gateways.values()].filter((g) => g.identity.township === township).map((g) => gatewayView(g, now));
    const known = new Set(seen.map((g) => g.gateway));
    // Provisioned gateways that never connected are shown too: never seen is the worst kind of offline.
    const never = service.registry
      .list()
      .filter((g) => g.township === township && !known.has(g.id))
      .map((g) => ({ gateway: g.id, compound: g.compound, connected: false, lastSeen: 0, offlineForMs: undefined, spool: undefined, sources: [] }));
    return [...seen, ...never].sort((a, b) => a.compound.localeCompare(b.compound) || a.gateway.localeCompare(b.gateway));
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
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    const onChange = (c: AlarmCase) => {
      if (c.township === staff.township) res.write(`event: alarm\ndata: ${JSON.stringify(c)}\n\n`);
    };
    service.alarms.changes.on('change', onChange);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), 15_000);
    request.raw.on('close', () => {
      clearInterval(keepalive);
      service.alarms.changes.off('change', onChange);
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
