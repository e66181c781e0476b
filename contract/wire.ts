// The wire contract between a gateway's uplink and cloud-ingest. The server side owns it; the gateway
// imports these types and helpers. MQTT 3.1.1-compatible (works on aedes, Mosquitto and EMQX).
//
// Topics (gateway id = MQTT username; township/compound come from provisioning, never from the payload):
//   lm/v1/<gateway>/t/<batchId>   telemetry: gzip'd InfluxDB line protocol, ms precision, QoS 1
//   lm/v1/<gateway>/a/<eventId>   alarm event: JSON AlarmEvent, QoS 1 (alarm lane, sent before telemetry)
//   lm/v1/<gateway>/status        health: JSON GatewayStatus, QoS 1, retained; also the LWT ("offline")
//   lm/v1/<gateway>/cmd           commands down: JSON CommandMessage, QoS 1 (gateway subscribes)
//   lm/v1/<gateway>/cmd/result    command results: JSON CommandResult, QoS 1
//   lm/v1/<gateway>/receipt       receipts down: JSON Receipt, QoS 1 (RECEIPT_QOS; gateway subscribes at QoS 1)
//
// Delivery is at least once end to end: the gateway frees a spooled batch or alarm event only when a
// receipt names its id, sent by cloud-ingest after the database (or the alarm store) has it. A broker's
// PUBACK means nothing for the spool: a broker can restart, lose a $share subscription or drop from a
// full queue. Unreceipted messages are resent with the same ids; cloud-ingest drops repeated ids.
import type { AlarmEvent, GatewayCommand } from './vocabulary.js';

export const TOPIC_ROOT = 'lm/v1';

/**
 * The QoS cloud-ingest publishes receipts at. QoS 0 was tried (issue 19): a receipt is idempotent, and a
 * lost one should only cost a resend (tests/cloud-ingest/lost-receipt.test.ts checks both QoS), at about
 * 30 µs less broker CPU per receipt, which was inside bench:fleet's noise. One bench:delivery run at QoS 0
 * (fa4a544, embedded shape) lost 2,455 acknowledged measurements and 23 alarm transitions after a gateway
 * SIGKILL near the end (the gateway's data never reached the township within the drain). Nine more runs
 * at QoS 0 on 09a8182 (one with that run's seed) and six at QoS 1 (five embedded, one mosquitto) lost
 * nothing, so the cause was not found; bench:delivery now keeps a faulty run's logs. Receipts stay at QoS 1: a persistent session
 * keeps them for a gateway that is away, and the saving does not pay for an unexplained loss.
 */
export const RECEIPT_QOS: 0 | 1 = 1;

export const topics = {
  telemetry: (gateway: string, batchId: string) => `${TOPIC_ROOT}/${gateway}/t/${batchId}`,
  alarm: (gateway: string, eventId: string) => `${TOPIC_ROOT}/${gateway}/a/${eventId}`,
  status: (gateway: string) => `${TOPIC_ROOT}/${gateway}/status`,
  command: (gateway: string) => `${TOPIC_ROOT}/${gateway}/cmd`,
  commandResult: (gateway: string) => `${TOPIC_ROOT}/${gateway}/cmd/result`,
  receipt: (gateway: string) => `${TOPIC_ROOT}/${gateway}/receipt`,
} as const;

/** Subscriptions cloud-ingest makes (wrap in $share/<group>/ for several workers). */
export const INGEST_SUBSCRIPTIONS = [`${TOPIC_ROOT}/+/t/+`, `${TOPIC_ROOT}/+/a/+`, `${TOPIC_ROOT}/+/status`, `${TOPIC_ROOT}/+/cmd/result`] as const;

export type ParsedTopic =
  | { kind: 'telemetry'; gateway: string; batchId: string }
  | { kind: 'alarm'; gateway: string; eventId: string }
  | { kind: 'status'; gateway: string }
  | { kind: 'command'; gateway: string }
  | { kind: 'commandResult'; gateway: string }
  | { kind: 'receipt'; gateway: string };

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
  if (rest.length === 1 && rest[0] === 'receipt') return { kind: 'receipt', gateway };
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

/** Topics a gateway may only read, never publish on (the township writes them). */
export function isDownlinkTopic(gateway: string, topic: string): boolean {
  return topic === topics.command(gateway) || topic === topics.receipt(gateway);
}

/**
 * One message's fate, as cloud-ingest tells the gateway:
 * - stored: in the database (now, or already before: a resend of a stored id);
 * - refused: it can never be stored (not gzip, not JSON, refused by the database); resending is futile.
 * Both free the spool; refused is counted and logged on both sides with the reason.
 */
export interface ReceiptItem {
  /** t = telemetry batch id, a = alarm event id (the last topic segment the gateway published on). */
  readonly kind: 't' | 'a';
  readonly id: string;
  readonly status: 'stored' | 'refused';
  readonly reason?: string;
}

/** Receipts for one gateway, grouped: cloud-ingest coalesces what it wrote in one tick. */
export interface Receipt {
  readonly v: 1;
  readonly items: readonly ReceiptItem[];
}

/** Parses a receipt payload; returns undefined (never throws) for anything that is not one. */
export function parseReceipt(payload: Buffer | string): Receipt | undefined {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const r = json as { v?: unknown; items?: unknown };
  if (r === null || typeof r !== 'object' || r.v !== 1 || !Array.isArray(r.items)) return undefined;
  const items: ReceiptItem[] = [];
  for (const raw of r.items as unknown[]) {
    const item = raw as Partial<ReceiptItem> | null;
    if (item === null || typeof item !== 'object') return undefined;
    if ((item.kind !== 't' && item.kind !== 'a') || typeof item.id !== 'string' || !ID.test(item.id)) return undefined;
    if (item.status !== 'stored' && item.status !== 'refused') return undefined;
    items.push({ kind: item.kind, id: item.id, status: item.status, ...(typeof item.reason === 'string' ? { reason: item.reason.slice(0, 500) } : {}) });
  }
  return { v: 1, items };
}
