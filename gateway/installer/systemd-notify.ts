// Tells systemd the gateway is up (READY=1) and keeps petting its watchdog (WATCHDOG=1) only while the
// gateway is healthy: the event loop turns (this timer fires) and, when there are polled sources, the
// bus pollers keep issuing requests. When either stops, the pings stop and systemd restarts the service
// after WatchdogSec; with the hardware watchdog enabled in system.conf, a hung systemd resets the board.
//
// How: Node has no unix datagram sockets, so each message goes through the `systemd-notify` binary.
// The unit sets NotifyAccess=all because that process is a child, not the main PID. On systemd < 254
// a message from a child that has already exited can occasionally not be matched to the service; a lost
// WATCHDOG=1 is harmless (pings go every WatchdogSec/3), and READY=1 is repeated until systemd has seen
// it (sd_notify ignores repeats), so start-up does not hang on one lost datagram.
import { execFile } from 'node:child_process';
import type { RuntimeContext } from '../pipeline/stage.js';
import { scope, type Logger } from '../../contract/logger.js';

/** One health condition; returns undefined when healthy, or the reason it is not. */
export type HealthCheck = () => string | undefined;

export type NotifySend = (state: string) => Promise<void>;

export function systemdNotifyBinary(binary = 'systemd-notify'): NotifySend {
  return (state) =>
    new Promise((resolve, reject) => {
      execFile(binary, [state], { timeout: 5000 }, (error) => (error ? reject(error) : resolve()));
    });
}

/** Sum of every counter with this name, whatever its labels. */
function counterTotal(snapshot: Record<string, number>, name: string): number {
  let total = 0;
  for (const [key, value] of Object.entries(snapshot)) if (key === name || key.startsWith(`${name}{`)) total += value;
  return total;
}

/**
 * Healthy while the Modbus pollers made a request within `stallMs`. Offline devices still count: a
 * poller backing off still asks. Restarting cannot fix a dead device, only a stuck poller.
 */
export function pollersAlive(context: Pick<RuntimeContext, 'sources' | 'stats'>, now: () => number, stallMs: number): HealthCheck {
  const polled = context.sources.some((s) => s.profile.driver === 'modbus');
  let last = counterTotal(context.stats.snapshot(), 'modbus.requests');
  let lastChange = now();
  return () => {
    if (!polled) return undefined;
    const current = counterTotal(context.stats.snapshot(), 'modbus.requests');
    if (current !== last) {
      last = current;
      lastChange = now();
    }
    const idle = now() - lastChange;
    return idle > stallMs ? `no Modbus request for ${Math.round(idle / 1000)} s` : undefined;
  };
}

export interface NotifierOptions {
  readonly send: NotifySend;
  readonly intervalMs: number;
  readonly checks: readonly HealthCheck[];
  readonly log: Logger;
  /** READY=1 is repeated this many times (one per interval) in case one datagram was lost. */
  readonly readyRepeats?: number;
}

export class SystemdNotifier {
  private timer: NodeJS.Timeout | undefined;
  private readySent = 0;
  private unhealthy: string | undefined;

  constructor(private readonly options: NotifierOptions) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.send('STOPPING=1');
  }

  private tick(): void {
    if (this.readySent < (this.options.readyRepeats ?? 3)) {
      this.readySent++;
      void this.send('READY=1');
    }
    const reasons = this.options.checks.map((check) => check()).filter((r): r is string => r !== undefined);
    if (reasons.length > 0) {
      const reason = reasons.join('; ');
      if (reason !== this.unhealthy) this.options.log.error({ reason }, 'unhealthy: watchdog pings stopped, systemd will restart the gateway');
      this.unhealthy = reason;
      return;
    }
    if (this.unhealthy !== undefined) this.options.log.info('healthy again: watchdog pings resumed');
    this.unhealthy = undefined;
    void this.send('WATCHDOG=1');
  }

  private async send(state: string): Promise<void> {
    try {
      await this.options.send(state);
    } catch (error) {
      this.options.log.warn({ state, err: error }, 'systemd-notify failed');
    }
  }
}

/**
 * Starts notifying when run by systemd with Type=notify (NOTIFY_SOCKET set); returns undefined otherwise.
 * Call after the runtime has started (READY=1 means drivers are polling), stop() before it stops.
 */
export function startSystemdNotifier(context: Pick<RuntimeContext, 'sources' | 'stats' | 'log'>, env: NodeJS.ProcessEnv = process.env): SystemdNotifier | undefined {
  if (!env.NOTIFY_SOCKET) return undefined;
  const watchdogUs = Number(env.WATCHDOG_USEC ?? 0);
  const intervalMs = watchdogUs > 0 ? Math.max(500, Math.floor(watchdogUs / 1000 / 3)) : 10_000;
  const checks = [pollersAlive(context, () => performance.now(), 180_000)];
  const notifier = new SystemdNotifier({ send: systemdNotifyBinary(), intervalMs, checks, log: scope(context.log, 'systemd') });
  notifier.start();
  return notifier;
}
