// The retained status the township sees for this gateway: online, time sync, spool backlog, sources.
import type { GatewayStatus } from '../../contract/wire.js';
import type { Clock, SourceStatus } from '../pipeline/types.js';
import type { Spool } from '../spool/spool.js';

export const GATEWAY_VERSION = '0.1.0';

export class StatusTracker {
  private readonly sources = new Map<string, { online: boolean; lastSeen: number | undefined; lastError?: string }>();
  private readonly startedMono: number;

  constructor(
    private readonly gateway: string,
    private readonly clock: Clock,
    private readonly spool: Spool,
    sourceIds: readonly string[],
  ) {
    this.startedMono = clock.mono();
    for (const id of sourceIds) this.sources.set(id, { online: false, lastSeen: undefined });
  }

  /** Follows 'source.status' events from the drivers. */
  onSourceStatus(status: SourceStatus): void {
    const lastSeen = status.online ? this.clock.now() - (this.clock.mono() - status.mono) : this.sources.get(status.source)?.lastSeen;
    const entry: { online: boolean; lastSeen: number | undefined; lastError?: string } = { online: status.online, lastSeen };
    if (status.lastError) entry.lastError = `${status.lastError.kind}: ${status.lastError.message}`;
    this.sources.set(status.source, entry);
  }

  status(online: boolean): GatewayStatus {
    const { clock, spool } = this;
    const pendingAlarms = spool.alarm.durableEnd() - spool.alarm.acked();
    return {
      gateway: this.gateway,
      online,
      // A 1970 clock is never reported: before sync the township sees timeSynced false and its own receive time matters.
      ts: Math.round(clock.now()),
      timeSynced: clock.synced(),
      version: GATEWAY_VERSION,
      uptimeS: Math.round((clock.mono() - this.startedMono) / 1000),
      spool: { telemetryBytes: spool.telemetry.bytes(), alarmEvents: pendingAlarms, dropped: spool.dropped(), oldestMs: undefined },
      sources: Object.fromEntries(this.sources),
    };
  }
}
