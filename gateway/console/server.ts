// The installer console's HTTP side: fastify on the LAN, login with the installer password, a session
// cookie (httpOnly, SameSite=Strict), one page polling /api/state, and the test-siren command.
// POSTs only accept JSON: a cross-site form cannot send it, and SameSite=Strict keeps the cookie home.
// With console.tls it is HTTPS only, and the cookie is Secure.
import { readFileSync } from 'node:fs';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { tlsServerOptions, type ListenerTls } from '../../contract/listener-tls.js';
import { ALARM_LEVELS, type AlarmLevel, type GatewayCommand } from '../pipeline/types.js';
import type { Logger } from '../../contract/logger.js';
import type { LiveState } from './live-state.js';
import type { ConsoleProviders } from './providers.js';
import type { Sessions } from './sessions.js';

export const SESSION_COOKIE = 'lastmile_session';
export const TEST_SIREN_MAX_MS = 60_000;

const STATIC: Record<string, { file: string; type: string }> = {
  '/static/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/static/login.js': { file: 'login.js', type: 'text/javascript; charset=utf-8' },
  '/static/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

function asset(name: string): string {
  return readFileSync(new URL(`./static/${name}`, import.meta.url), 'utf8');
}

export interface ConsoleServerOptions {
  readonly gateway: { id: string; township: string; compound: string; name?: { zh: string; en: string } | undefined };
  readonly sessions: Sessions;
  readonly sessionTimeoutMs: number;
  readonly live: LiveState;
  readonly providers: ConsoleProviders;
  readonly emitCommand: (command: GatewayCommand) => void;
  readonly log: Logger;
  /** PEM files: the console is served over HTTPS and its cookie is Secure. */
  readonly tls?: ListenerTls | undefined;
}

export function buildConsoleServer(options: ConsoleServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024, trustProxy: false, ...(options.tls ? { https: tlsServerOptions(options.tls, 'console.tls') } : {}) });
  void app.register(cookie);
  // JSON bodies only (issue 13 item 13): fastify also parses text/plain by default, which a cross-site
  // <form enctype="text/plain"> can send; without a parser for it, such a POST is refused with 415.
  // A POST with no body skips parsing altogether, so the content type itself is required too: a page
  // on another port of this host is same-site, and a bodiless fetch from it would carry the cookie.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'POST' && !(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      await reply.code(415).send({ error: 'POST bodies must be application/json / 仅接受 JSON' });
    }
  });
  const { sessions, log } = options;
  const tokenOf = (request: FastifyRequest) => request.cookies[SESSION_COOKIE];

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    if (options.tls) reply.header('Strict-Transport-Security', 'max-age=31536000');
    reply.header('Referrer-Policy', 'no-referrer');
    if (request.url.startsWith('/api/')) reply.header('Cache-Control', 'no-store');
    return payload;
  });

  const requireSession = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!sessions.valid(tokenOf(request))) await reply.code(401).send({ error: 'login required / 请先登录' });
  };

  app.get('/', async (request, reply) => {
    if (!sessions.valid(tokenOf(request))) return reply.redirect('/login');
    return reply.type('text/html; charset=utf-8').send(asset('index.html'));
  });
  app.get('/login', async (_request, reply) => reply.type('text/html; charset=utf-8').send(asset('login.html')));
  for (const [path, { file, type }] of Object.entries(STATIC)) app.get(path, async (_request, reply) => reply.type(type).send(asset(file)));

  app.post<{ Body: { password?: unknown } }>('/api/login', async (request, reply) => {
    const password = typeof request.body?.password === 'string' ? request.body.password : '';
    const result = await sessions.login(request.ip, password);
    if (!('token' in result)) {
      log.warn({ from: request.ip, why: result.why }, 'console login refused');
      if (result.why === 'wrong') return reply.code(401).send({ error: 'wrong password / 密码错误' });
      const wait = Math.ceil((result.why === 'locked' ? result.retryAfterMs : 1000) / 1000);
      return reply.code(429).header('Retry-After', String(wait)).send({ error: `尝试过多，请等待 ${wait} 秒 / too many attempts, wait ${wait} s` });
    }
    log.info({ from: request.ip }, 'console login');
    reply.setCookie(SESSION_COOKIE, result.token, { httpOnly: true, sameSite: 'strict', secure: options.tls !== undefined, path: '/', maxAge: Math.floor(options.sessionTimeoutMs / 1000) });
    return { ok: true };
  });

  app.post('/api/logout', async (request, reply) => {
    sessions.logout(tokenOf(request));
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/state', { preHandler: requireSession }, async () => ({
    gateway: options.gateway,
    now: Date.now(),
    sources: options.live.snapshot(),
    alarms: options.live.alarms(),
    outputs: options.live.outputs(),
    validation: options.providers.validation?.() ?? null,
    spool: options.providers.spool?.() ?? null,
    uplink: options.providers.uplink?.() ?? null,
  }));

  app.post<{ Body: { level?: unknown; seconds?: unknown } }>('/api/test-siren', { preHandler: requireSession }, async (request, reply) => {
    const level = (request.body?.level ?? 'alarm') as AlarmLevel;
    if (!ALARM_LEVELS.includes(level)) return reply.code(400).send({ error: `level must be one of ${ALARM_LEVELS.join(', ')}` });
    const seconds = typeof request.body?.seconds === 'number' ? request.body.seconds : 10;
    const forMs = Math.round(Math.min(Math.max(seconds, 1) * 1000, TEST_SIREN_MAX_MS));
    const command: GatewayCommand = { kind: 'test_alarm', by: `console@${request.ip}`, level, forMs };
    log.info({ level, forMs, from: request.ip }, 'test siren requested from the console');
    options.emitCommand(command);
    return { ok: true, level, forMs };
  });

  // Acknowledge or silence one alarm from the page: the same commands the button and the township send.
  app.post<{ Body: { action?: unknown; alarmId?: unknown } }>('/api/alarm-action', { preHandler: requireSession }, async (request, reply) => {
    const { action, alarmId } = request.body ?? {};
    if (typeof alarmId !== 'string' || alarmId.length === 0 || alarmId.length > 200) return reply.code(400).send({ error: 'alarmId must be an alarm id' });
    const by = `console@${request.ip}`;
    let command: GatewayCommand;
    if (action === 'acknowledge') command = { kind: 'acknowledge', alarmId, by };
    else if (action === 'silence') command = { kind: 'silence', alarmId, by, forMs: 0 };
    else return reply.code(400).send({ error: 'action must be acknowledge or silence' });
    log.info({ action, alarmId, from: request.ip }, 'alarm action from the console');
    options.emitCommand(command);
    return { ok: true, action, alarmId };
  });

  return app;
}
