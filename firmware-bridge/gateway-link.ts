// The gateway's end of the firmware-bridge (PROTOCOL.md §6, §7): HELLO and version negotiation, which
// nodes may talk, and "node silent" when heartbeats stop. Reliability itself is the ReliableLink's job.
import type { Duplex } from 'node:stream';
import { ReliableLink, type Answer, type LinkOptions } from './link.js';
import { CAPABILITY, PROTOCOL_MAJOR, PROTOCOL_MINOR, type Hello, type Message } from './protocol/messages.js';
import type { NodeLinkEmit } from './topics.js';

/** A node the gateway has a source for, and the longest heartbeat interval its profile allows. */
export interface ExpectedNode {
  readonly node: number;
  readonly maxHeartbeatMs: number;
}

export interface GatewayLinkOptions extends Omit<LinkOptions, 'role' | 'nodeId' | 'acceptAnswer'> {
  /** Heartbeat intervals missed before a node counts as silent (PROTOCOL.md §7: 3). */
  readonly silentAfterBeats?: number;
  /** Shortest heartbeat interval the gateway agrees to, so a chatty node cannot flood the line. */
  readonly minHeartbeatMs?: number;
  readonly clock: { mono(): number; now(): number; synced(): boolean };
}

export const DEFAULT_SILENT_AFTER_BEATS = 3;
export const DEFAULT_MIN_HEARTBEAT_MS = 100;

interface Session {
  readonly expected: ExpectedNode;
  hello: Hello | undefined;
  heartbeatMs: number;
  online: boolean | undefined;
  lastHeard: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class GatewayLink {
  readonly link: ReliableLink;
  private readonly sessions: Map<number, Session>;
  private readonly silentAfterBeats: number;
  private readonly minHeartbeatMs: number;
  private attached = false;

  constructor(
    nodes: readonly ExpectedNode[],
    private readonly options: GatewayLinkOptions,
    private readonly emit: NodeLinkEmit,
  ) {
    this.silentAfterBeats = options.silentAfterBeats ?? DEFAULT_SILENT_AFTER_BEATS;
    this.minHeartbeatMs = options.minHeartbeatMs ?? DEFAULT_MIN_HEARTBEAT_MS;
    this.sessions = new Map(nodes.map((expected) => [expected.node, { expected, hello: undefined, heartbeatMs: expected.maxHeartbeatMs, online: undefined, lastHeard: undefined, timer: undefined }]));
    this.link = new ReliableLink(
      { ...options, role: 'gateway' },
      {
        onRequest: (node, message, info) => this.onRequest(node, message, info.seq),
        onIssue: (issue) => {
          if (issue.kind === 'undecodable' && issue.reason === 'unsupported_version') {
            this.emit('rejected', { node: issue.node, reason: 'unsupported_version', detail: issue.detail, mono: this.options.clock.mono() });
          }
          this.emit('issue', issue);
        },
      },
    );
  }

  /** Starts talking on the stream; every expected node must say HELLO within its silence window. */
  attach(stream: Duplex): void {
    this.link.attach(stream);
    this.attached = true;
    for (const session of this.sessions.values()) this.arm(session);
  }

  /**
   * Stops using the stream (port closed); silence timers stop, sessions are kept for when it reopens.
   * Whether each node is online is unknown from here on, so the first request after reopening reports
   * it online again (cause 'resumed') and silence reports it silent.
   */
  detach(): void {
    this.attached = false;
    this.link.detach();
    for (const session of this.sessions.values()) {
      this.disarm(session);
      session.online = undefined;
    }
  }

  close(): void {
    this.detach();
    this.link.close();
  }

  private onRequest(node: number, message: Message, seq: number): Answer {
    const session = this.sessions.get(node);
    const mono = this.options.clock.mono();
    if (!session) {
      const detail = `node ${node} is not configured on this bus`;
      this.emit('rejected', { node, reason: 'unknown_node', detail, mono });
      return { kind: 'nak', reason: 'unknown_node', text: detail };
    }
    switch (message.kind) {
      case 'hello':
        return this.onHello(session, message.body, seq, mono);
      case 'data':
      case 'event':
      case 'heartbeat': {
        // After a gateway restart the node does not know it must introduce itself again: tell it.
        if (!session.hello) return { kind: 'nak', reason: 'hello_required', text: `node ${node}: send HELLO first` };
        this.heard(session, mono);
        if (message.kind === 'data') this.emit('data', { node, entries: message.body.entries, mono });
        else if (message.kind === 'event') this.emit('event', { node, event: message.body, mono });
        else this.emit('heartbeat', { node, heartbeat: message.body, mono });
        return { kind: 'ack' };
      }
      default:
        return { kind: 'nak', reason: 'unknown_type', text: `a node does not send ${message.kind}` };
    }
  }

  private onHello(session: Session, hello: Hello, seq: number, mono: number): Answer {
    const { node, maxHeartbeatMs } = session.expected;
    const proposed = hello.heartbeatMs === 0 ? maxHeartbeatMs : hello.heartbeatMs;
    session.heartbeatMs = Math.min(Math.max(proposed, this.minHeartbeatMs), maxHeartbeatMs);
    session.hello = hello;
    this.link.resetPeer(node, seq);
    session.online = true;
    session.lastHeard = mono;
    this.arm(session);
    this.emit('online', { node, hello, heartbeatMs: session.heartbeatMs, cause: 'hello', mono });
    if ((hello.capabilities & CAPABILITY.time) !== 0 && this.options.clock.synced()) {
      // After the HELLO_ACK has gone out, not before it.
      setImmediate(() => {
        if (this.attached) void this.link.send(node, { kind: 'time', body: { unixMs: this.options.clock.now() } });
      });
    }
    return { kind: 'hello_ack', body: { protocol: { major: PROTOCOL_MAJOR, minor: PROTOCOL_MINOR }, heartbeatMs: session.heartbeatMs } };
  }

  private heard(session: Session, mono: number): void {
    session.lastHeard = mono;
    if (session.online !== true && session.hello) {
      session.online = true;
      this.emit('online', { node: session.expected.node, hello: session.hello, heartbeatMs: session.heartbeatMs, cause: 'resumed', mono });
    }
    this.arm(session);
  }

  private arm(session: Session): void {
    this.disarm(session);
    if (!this.attached) return;
    // A heartbeat may need every retransmit before it gets through, so the window covers them too.
    const retries = (this.options.maxRetries ?? 3) * (this.options.ackTimeoutMs ?? 300);
    const windowMs = session.heartbeatMs * this.silentAfterBeats + retries;
    session.timer = setTimeout(() => {
      session.timer = undefined;
      if (session.online === false) return;
      session.online = false;
      const mono = this.options.clock.mono();
      this.emit('silent', {
        node: session.expected.node,
        silentMs: session.lastHeard === undefined ? windowMs : mono - session.lastHeard,
        heartbeatMs: session.heartbeatMs,
        everHeard: session.lastHeard !== undefined,
        mono,
      });
    }, windowMs);
  }

  private disarm(session: Session): void {
    if (session.timer) clearTimeout(session.timer);
    session.timer = undefined;
  }
}
