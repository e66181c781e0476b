// The wire contract the gateway builds on (STYLE.md habit 10): what the gateway side of the link reports,
// as an event → payload map. The driver in gateway/drivers/serial imports these types, never the internals.
import type { LinkIssue } from './link.js';
import type { DataEntry, EventMessage, Heartbeat, Hello, NakReason } from './protocol/messages.js';

export type { DataEntry, EventMessage, Heartbeat, Hello, LinkIssue, NakReason };
export { EVENT_CODES, eventName, PROTOCOL_MAJOR, PROTOCOL_MINOR } from './protocol/messages.js';

export interface NodeLinkEvents {
  /** A node was accepted by HELLO, or a hello'd node was heard again after going silent. */
  online: { readonly node: number; readonly hello: Hello; readonly heartbeatMs: number; readonly cause: 'hello' | 'resumed'; readonly mono: number };
  /** A node was not heard for silentAfterBeats heartbeat intervals (or never said HELLO). */
  silent: { readonly node: number; readonly silentMs: number; readonly heartbeatMs: number; readonly everHeard: boolean; readonly mono: number };
  /** A node was refused: unknown protocol major, or a node id this gateway has no source for. */
  rejected: { readonly node: number; readonly reason: NakReason; readonly detail: string; readonly mono: number };
  /** Point values from a DATA frame (delivered once even when the node retransmitted it). */
  data: { readonly node: number; readonly entries: readonly DataEntry[]; readonly mono: number };
  /** An EVENT frame: an alarm-ish state change (smoke, tamper, low battery …). */
  event: { readonly node: number; readonly event: EventMessage; readonly mono: number };
  heartbeat: { readonly node: number; readonly heartbeat: Heartbeat; readonly mono: number };
  /** Line noise and link repairs (CRC errors, dropped bytes with stream offsets, retransmits, duplicates). */
  issue: LinkIssue;
}

export type NodeLinkEmit = <K extends keyof NodeLinkEvents>(event: K, payload: NodeLinkEvents[K]) => void;
