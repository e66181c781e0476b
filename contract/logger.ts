// Logging: pino, JSON lines on stdout (journald keeps them); scoped children name the stage,
// e.g. `driver:modbus:meter-1`. Secrets are redacted by key name wherever they appear.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = ['password', 'passwordFile', '*.password', '*.*.password', 'token', '*.token', 'secret', '*.secret', 'key', '*.key'];

/** `level` is the config's log.level; LASTMILE_LOG_LEVEL, when set, wins (turn on debug for one run without editing the config). */
export function createLogger(options: { level?: string; pretty?: boolean } = {}): Logger {
  const level = process.env.LASTMILE_LOG_LEVEL || options.level || 'info';
  const redact = { paths: REDACT, censor: '[redacted]' };
  if (options.pretty) {
    return pino({ level, redact, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino({ level, redact });
}

/** A logger that drops everything, for tests that assert on behaviour rather than log lines. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Child logger scoped to one stage and instance, e.g. scope(log, 'driver', 'modbus', 'meter-1'). */
export function scope(log: Logger, ...parts: string[]): Logger {
  return log.child({ scope: parts.join(':') });
}
