// What the console sends to the page: alarm cases, gateway status and series, filtered to one township.
import { nextSteps, type WorkflowPolicy } from '../alarms/policy.js';
import type { AlarmCase, WorkflowStep } from '../alarms/types.js';
import type { GatewaySeen } from '../ingest/ingest.js';
import type { GatewayRegistry } from '../registry/registry.js';
import { heartbeatMs, type ViewsConfig } from '../views/options.js';

/** A case as the board shows it: the steps an officer may take next, its latest events only (a flapping sensor can have thousands). */
export type BoardCase = AlarmCase & { readonly next: WorkflowStep[] };

export function boardCase(c: AlarmCase, policy: WorkflowPolicy): BoardCase {
  return { ...c, events: c.events.slice(-BOARD_EVENTS), next: nextSteps(policy, c) };
}

const BOARD_EVENTS = 20;

export interface GatewayView {
  readonly gateway: string;
  readonly compound: string;
  readonly connected: boolean;
  readonly lastSeen: number;
  readonly offlineForMs: number | undefined;
  readonly spool: { telemetryBytes: number; alarmEvents: number; dropped: number } | undefined;
  /** heartbeatMs: an event-only source, judged by its heartbeat contract rather than silence between events. */
  readonly sources: { source: string; online: boolean; lastSeen: number | undefined; lastError?: string | undefined; heartbeatMs?: number | undefined }[];
}

export function gatewayView(seen: GatewaySeen, now: number, views: ViewsConfig): GatewayView {
  const s = seen.status;
  return {
    gateway: seen.identity.gateway,
    compound: seen.identity.compound,
    connected: seen.connected,
    lastSeen: seen.lastSeen,
    offlineForMs: seen.connected ? undefined : now - seen.lastSeen,
    spool: s?.spool ? { telemetryBytes: s.spool.telemetryBytes, alarmEvents: s.spool.alarmEvents, dropped: s.spool.dropped } : undefined,
    sources: Object.entries(s?.sources ?? {}).map(([source, v]) => {
      const heartbeat = heartbeatMs(views, seen.identity.gateway, source);
      // An access controller is quiet between events: heard from within its contract, it is online.
      const online = heartbeat === undefined ? v.online : v.online || (v.lastSeen !== undefined && now - v.lastSeen <= heartbeat);
      return { source, online: seen.connected && online, lastSeen: v.lastSeen, lastError: v.lastError, heartbeatMs: heartbeat };
    }),
  };
}

/**
 * A township's gateways as the board shows them: those seen since start, and provisioned ones that never
 * connected (never seen is the worst kind of offline), by compound then id.
 */
export function townshipGateways(service: { readonly ingest: { readonly gateways: ReadonlyMap<string, GatewaySeen> }; readonly registry: GatewayRegistry; readonly config: { readonly views: ViewsConfig } }, township: string, now: number): GatewayView[] {
  const seen = [...service.ingest.gateways.values()].filter((g) => g.identity.township === township).map((g) => gatewayView(g, now, service.config.views));
  const known = new Set(seen.map((g) => g.gateway));
  const never = service.registry
    .list()
    .filter((g) => g.township === township && !known.has(g.id))
    .map((g) => ({ gateway: g.id, compound: g.compound, connected: false, lastSeen: 0, offlineForMs: undefined, spool: undefined, sources: [] }));
  return [...seen, ...never].sort((a, b) => a.compound.localeCompare(b.compound) || a.gateway.localeCompare(b.gateway));
}
