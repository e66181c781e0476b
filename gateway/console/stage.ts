// The installer console stage: on when the site config has `console` with a passwordFile. Without a
// password hash it refuses to start and logs why (there is no default password); the gateway itself
// runs on either way, because a missing console must never stop alarms.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { RuntimeContext, Stage } from '../pipeline/stage.js';
import { parsePasswordHash } from '../../contract/password-hash.js';
import { scope, type Logger } from '../../contract/logger.js';
import { LiveState } from './live-state.js';
import { type ConsoleProviders, type SpoolStatus, type UplinkStatus } from './providers.js';
import { Sessions } from './sessions.js';
import { configValidation } from './validation.js';

export class ConsoleStage implements Stage {
  readonly name = 'console';
  private readonly live: LiveState;
  private app: FastifyInstance | undefined;
  /** The port actually bound (the configured one, or the OS's pick for port 0 in tests). */
  port: number | undefined;

  constructor(
    private readonly context: RuntimeContext,
    private readonly sessions: Sessions,
    private readonly listen: { host: string; port: number },
    private readonly providers: ConsoleProviders,
    private readonly sessionTimeoutMs: number,
    private readonly log: Logger,
  ) {
    this.live = new LiveState(context);
  }

  async start(): Promise<void> {
    // fastify is loaded here, not at import: a gateway without the console never loads it (issue 12, RSS).
    const { buildConsoleServer } = await import('./server.js');
    const { context } = this;
    const app = buildConsoleServer({
      gateway: context.site.gateway,
      sessions: this.sessions,
      sessionTimeoutMs: this.sessionTimeoutMs,
      live: this.live,
      providers: this.providers,
      emitCommand: (command) => context.events.emit('command', command),
      log: this.log,
      tls: context.site.console?.tls,
    });
    this.app = app;
    this.live.start();
    await app.listen({ host: this.listen.host, port: this.listen.port });
    const address = app.server.address();
    this.port = typeof address === 'object' && address ? address.port : this.listen.port;
    this.log.info({ host: this.listen.host, port: this.port }, 'installer console listening');
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
    this.live.stop();
  }
}

function spoolStatus(context: RuntimeContext): (() => SpoolStatus | undefined) | undefined {
  if (!context.site.uplink) return undefined;
  return () => {
    const spool = context.services.get('spool');
    if (!spool) return undefined;
    const waiting = (lane: 'alarm' | 'telemetry') => Math.max(0, spool.lane(lane).durableEnd() - spool.lane(lane).firstSeq());
    return { bytes: spool.bytes(), dropped: spool.dropped(), backlog: { alarm: waiting('alarm'), telemetry: waiting('telemetry') } };
  };
}

/** The uplink's counters, shown beside its state; without the uplink stage's `uplinkStatus` the state itself is unknown. */
function uplinkFromStats(context: RuntimeContext): (() => UplinkStatus) | undefined {
  const url = context.site.uplink?.url;
  if (url === undefined) return undefined;
  return () => {
    const { stats } = context;
    return {
      connected: undefined,
      url,
      detail: `连接 connects ${stats.counter('uplink.connect')}, 错误 errors ${stats.total('uplink.error')}, 已发 published ${stats.counter('uplink.published', { lane: 'telemetry' })} telemetry / ${stats.counter('uplink.published', { lane: 'alarm' })} alarm`,
    };
  };
}

/** The uplink stage's connection state (its `uplinkStatus` service, offered when it starts), with the counters as detail. */
function uplinkStatus(context: RuntimeContext, fromStats: (() => UplinkStatus) | undefined): () => UplinkStatus | undefined {
  return () => {
    const counted = fromStats?.();
    const reported = context.services.get('uplinkStatus')?.();
    if (!reported) return counted;
    return { ...reported, detail: reported.detail ?? counted?.detail };
  };
}

export interface ConsoleStageOptions {
  /** Providers that win over the services' and the default ones (tests). */
  readonly providers?: ConsoleProviders;
  /** The config file to re-validate; defaults to LASTMILE_CONFIG. */
  readonly configFile?: string;
}

export function createConsoleStage(context: RuntimeContext, options: ConsoleStageOptions = {}): ConsoleStage | undefined {
  const settings = context.site.console;
  if (!settings?.enabled) return undefined;
  const log = scope(context.log, 'console');
  if (settings.passwordFile === undefined) {
    log.error('console.passwordFile is not set: the installer console stays off (no default password). Make one with `lastmile passwd --out <file>`');
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(settings.passwordFile, 'utf8');
  } catch (error) {
    log.error({ file: settings.passwordFile, code: (error as NodeJS.ErrnoException).code }, 'console.passwordFile cannot be read: the installer console stays off');
    return undefined;
  }
  const hash = parsePasswordHash(text);
  if ('error' in hash) {
    log.error({ file: settings.passwordFile, reason: hash.error }, 'console.passwordFile is not a password hash: the installer console stays off');
    return undefined;
  }
  const sessionTimeoutMs = settings.sessionTimeout;
  // Looked up per request: the spool and uplink stages may offer theirs after this factory ran.
  const defaultSpool = spoolStatus(context);
  const defaultUplink = uplinkFromStats(context);
  const providers: ConsoleProviders = {
    validation: options.providers?.validation ?? configValidation(context.site, options.configFile ?? process.env.LASTMILE_CONFIG),
    spool: options.providers?.spool ?? defaultSpool,
    uplink: options.providers?.uplink ?? uplinkStatus(context, defaultUplink),
  };
  return new ConsoleStage(context, new Sessions(hash, sessionTimeoutMs), { host: settings.host, port: settings.port }, providers, sessionTimeoutMs, log);
}
