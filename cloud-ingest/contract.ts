// The wire contract between a gateway's uplink and cloud-ingest. The server side owns it; the gateway
// imports these types and helpers. MQTT 3.1.1-compatible (works on aedes, Mosquitto and EMQX).
//
// Topics (gateway id = MQTT username; township/compound come from provisioning, never from the payload):
//   lm/v1/<gateway>/t/<batchId>   telemetry: gzip'd InfluxDB line protocol, ms precision, QoS 1
//   lm/v1/<gateway>/a/<eventId>   alarm event: JSON AlarmEvent, QoS 1 (alarm lane, sent before telemetry)
//   lm/v1/<gateway>/status        health: JSON GatewayStatus, QoS 1, retained; also the LWT ("offline")
//   lm/v1/<gateway>/cmd           commands down: JSON CommandMessage, QoS 1 (gateway subscribes)
//   lm/v1/<gateway>/cmd/result    command results: JSON CommandResult, QoS 1
import type { AlarmEvent, GatewayCommand } from '../gateway/pipeline/types.js';

export const TOPIC_ROOT = 'lm/v1';

export const topics = {
  telemetry: (gateway: string, batchId: string) => `${TOPIC_ROOT}/${gateway}/t/${batchId}`,
  alarm: (gateway: string, eventId: string) => `${TOPIC_ROOT}/${gateway}/a/${eventId}`,
  status: (gateway: string) => `${TOPIC_ROOT}/${gateway}/status`,
  command: (gateway: string) => `${TOPIC_ROOT}/${gateway}/cmd`,
  commandResult: (gateway: string) => `${TOPIC_ROOT}/${gateway}/cmd/result`,
} as const;

/** Subscriptions cloud-ingest makes (wrap in $share/<group>/ for several workers). */
export const INGEST_SUBSCRIPTIONS = [`${TOPIC_ROOT}/+/t/+`, `${TOPIC_ROOT}/+/a/+`, `${TOPIC_ROOT}/+/status`, `${TOPIC_ROOT}/+/cmd/result`] as const;

export type ParsedTopic =
  | { kind: 'telemetry'; gateway: string; batchId: string }
  | { kind: 'alarm'; gateway: string; eventId: string }
  | { kind: 'status'; gateway: string }
  | { kind: 'command'; gateway: string }
  | { kind: 'commandResult'; gateway: string };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'lm' || parts[1] !== 'v1' || !ID.test(parts[2] ?? '')) return undefined;
  const gateway = parts[2]!;
  const rest = parts.slice(3);
  if (rest.length === 2 && rest[0] === 't' && ID.test(rest[1]!)) return { kind: 'telemetry', gateway, batchId: rest[1]! };
  if (rest.length === 2 && rest[0] === 'a' && ID.test(rest[1]!)) return { kind: 'alarm', gateway, eventId: rest[1]! };
  if (rest.length === 1 && rest[0] === 'status') return { kind: 'status', gateway };
  if (rest.length === 1 && rest[0] === 'cmd') return { kind: 'command', gateway };
  if (rest.length === 2 && rest[0] === 'cmd' && rest[1] === 'result') return { kind: 'commandResult', gateway };
  return undefined;
}

/** The alarm payload: the gateway's AlarmEvent as JSON (ts in ms; timeSynced false = re-based or flagged). */
export type AlarmMessage = AlarmEvent;

export interface GatewayStatus {
  readonly gateway: string;
  readonly online: boolean;
  readonly ts: number;
  readonly timeSynced: boolean;
  readonly version: string;
  readonly uptimeS: number;
  readonly spool: { readonly telemetryBytes: number; readonly alarmEvents: number; readonly dropped: number; readonly oldestMs: number | undefined };
  /** Per source: online, last seen (ms), last error. */
  readonly sources: Readonly<Record<string, { online: boolean; lastSeen: number | undefined; lastError?: string }>>;
}

export interface CommandMessage {
  readonly id: string;
  readonly command: GatewayCommand;
}

export interface CommandResult {
  readonly id: string;
  readonly ok: boolean;
  readonly message: string;
  readonly data?: unknown;
}
