// What the console sends to the page: alarm cases, gateway status and series, filtered to one township.
import { alarmLevelRank } from '../../gateway/pipeline/types.js';
import type { AlarmCase } from '../alarms/types.js';
import type { GatewaySeen } from '../ingest/ingest.js';

/** Board order: unclosed first, then most urgent level (fire first), then newest. */
export function boardOrder(a: AlarmCase, b: AlarmCase): number {
  const closed = Number(a.step === 'closed') - Number(b.step === 'closed');
  if (closed !== 0) return closed;
  const rank = alarmLevelRank(a.level) - alarmLevelRank(b.level);
  if (rank !== 0) return rank;
  return b.openedAt - a.openedAt;
}

export interface GatewayView {
  readonly gateway: string;
  readonly compound: string;
  readonly connected: boolean;
  readonly lastSeen: number;
  readonly offlineForMs: number | undefined;
  readonly spool: { telemetryBytes: number; alarmEvents: number; dropped: number } | undefined;
  readonly sources: { source: string; online: boolean; lastSeen: number | undefined; lastError?: string | undefined }[];
}

export function gatewayView(seen: GatewaySeen, now: number): GatewayView {
  const s = seen.status;
  return {
    gateway: seen.identity.gateway,
    compound: seen.identity.compound,
    connected: seen.connected,
    lastSeen: seen.lastSeen,
    offlineForMs: seen.connected ? undefined : now - seen.lastSeen,
    spool: s?.spool ? { telemetryBytes: s.spool.telemetryBytes, alarmEvents: s.spool.alarmEvents, dropped: s.spool.dropped } : undefined,
    sources: Object.entries(s?.sources ?? {}).map(([source, v]) => ({ source, online: v.online, lastSeen: v.lastSeen, lastError: v.lastError })),
  };
}
