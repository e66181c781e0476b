// A simulated microcontroller sensor node, speaking the node side of PROTOCOL.md: HELLO until the gateway
// answers, then heartbeats at the agreed interval, DATA periodically or on demand, EVENTs on demand. Tests
// and the demo use it; fault hooks drop answers (so the node retransmits) and put garbage on the line.
import type { Duplex } from 'node:stream';
import { ReliableLink, type SendOutcome } from './link.js';
import { CAPABILITY, EVENT_CODES, PROTOCOL_MAJOR, PROTOCOL_MINOR, type DataEntry, type EventName, type Hello, type Message, type MessageKind, type Nak, type Version } from './protocol/messages.js';

export interface NodeSimulatorOptions {
  readonly nodeId: number;
  /** Heartbeat interval the node proposes in HELLO (the gateway may choose another). */
  readonly heartbeatMs?: number;
  /** Send DATA with readPoints() this often once accepted; 0 or absent: only on sendData(). */
  readonly dataEveryMs?: number;
  readonly readPoints?: () => DataEntry[];
  readonly protocol?: Version;
  readonly firmware?: Hello['firmware'];
  readonly model?: string;
  readonly batteryMv?: number;
  readonly ackTimeoutMs?: number;
  readonly maxRetries?: number;
  /** Pause between HELLO rounds while the gateway does not answer. */
  readonly helloRetryMs?: number;
}

export type NodeState = 'idle' | 'hello' | 'ready' | 'rejected' | 'stopped';

export class NodeSimulator {
  readonly link: ReliableLink;
  state: NodeState = 'idle';
  /** Interval the gateway asked for in HELLO_ACK. */
  agreedHeartbeatMs: number | undefined;
  /** Wall time the gateway sent in TIME, if any. */
  gatewayTimeMs: number | undefined;
  readonly naks: Nak[] = [];
  private answersToDrop = 0;
  private dropFor: MessageKind | undefined;
  /** Last state per event code, re-sent after every HELLO (PROTOCOL.md §4.4). */
  private readonly eventStates = new Map<number, boolean>();
  answersDropped = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly startedAt = Date.now();
  private readyWaiters: (() => void)[] = [];

  constructor(
    private readonly stream: Duplex,
    private readonly options: NodeSimulatorOptions,
  ) {
    this.link = new ReliableLink(
      {
        role: 'node',
        nodeId: options.nodeId,
        ackTimeoutMs: options.ackTimeoutMs,
        maxRetries: options.maxRetries,
        acceptAnswer: (_node, _answer, request) => {
          if (this.answersToDrop === 0) return true;
          if (this.dropFor !== undefined && request?.kind !== this.dropFor) return true;
          this.answersToDrop--;
          this.answersDropped++;
          return false;
        },
      },
      { onRequest: (_node, message) => this.onRequest(message) },
    );
  }

  start(): void {
    this.link.attach(this.stream);
    void this.hello();
  }

  /** The node dies: no more frames, nothing answered. The line (stream) stays with its owner. */
  stop(): void {
    this.state = 'stopped';
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.link.close();
  }

  /** Resolves once the gateway accepted the HELLO. */
  ready(timeoutMs = 5000): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${this.options.nodeId} not accepted within ${timeoutMs} ms (state ${this.state}, NAKs: ${JSON.stringify(this.naks)})`)), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  sendData(entries: readonly DataEntry[] = this.options.readPoints?.() ?? []): Promise<SendOutcome> {
    return this.request({ kind: 'data', body: { entries } });
  }

  /** Events go ahead of queued DATA, as an alarm must not wait behind telemetry. */
  sendEvent(event: EventName | number, active: boolean, entries: readonly DataEntry[] = []): Promise<SendOutcome> {
    const code = typeof event === 'number' ? event : EVENT_CODES[event];
    this.eventStates.set(code, active);
    return this.request({ kind: 'event', body: { code, active, entries } }, true);
  }

  /**
   * Ignores the next n answers (ACK, NAK, HELLO_ACK) as if the line lost them, so the node retransmits;
   * with `to`, only answers to requests of that kind (e.g. 'data', leaving heartbeats alone).
   */
  dropNextAnswers(count: number, to?: MessageKind): void {
    this.answersToDrop = count;
    this.dropFor = to;
  }

  /** Writes bytes that are not a frame onto the line (a noisy cable, a node printing debug text). */
  injectGarbage(bytes: Uint8Array): void {
    this.link.writeRaw(bytes);
  }

  private async request(message: Message, urgent = false): Promise<SendOutcome> {
    const outcome = await this.link.send(this.options.nodeId, message, { urgent });
    if (outcome.kind === 'nak') {
      this.naks.push(outcome.nak);
      if (outcome.nak.reason === 'hello_required' && this.state === 'ready') void this.hello();
    }
    return outcome;
  }

  private onRequest(message: Message): { kind: 'ack' } | { kind: 'nak'; reason: 'unknown_type'; text: string } {
    if (message.kind === 'time') {
      this.gatewayTimeMs = message.body.unixMs;
      return { kind: 'ack' };
    }
    return { kind: 'nak', reason: 'unknown_type', text: `node does not take ${message.kind}` };
  }

  private later(ms: number, run: () => void): void {
    if (this.state === 'stopped') return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.state !== 'stopped') run();
    }, ms);
    this.timers.add(timer);
  }

  private async hello(): Promise<void> {
    if (this.state === 'hello' || this.state === 'stopped') return;
    this.state = 'hello';
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const o = this.options;
    const hello: Hello = {
      protocol: o.protocol ?? { major: PROTOCOL_MAJOR, minor: PROTOCOL_MINOR },
      firmware: o.firmware ?? { major: 1, minor: 0, patch: 0 },
      capabilities: CAPABILITY.data | CAPABILITY.events | CAPABILITY.time | (o.batteryMv ? CAPABILITY.battery : 0),
      heartbeatMs: o.heartbeatMs ?? 1000,
      model: o.model ?? 'lastmile-sim',
    };
    const outcome = await this.link.send(o.nodeId, { kind: 'hello', body: hello });
    if (this.state !== 'hello') return;
    if (outcome.kind === 'acked' && outcome.answer.kind === 'hello_ack') {
      this.state = 'ready';
      this.agreedHeartbeatMs = outcome.answer.body.heartbeatMs;
      for (const wake of this.readyWaiters.splice(0)) wake();
      for (const [code, active] of this.eventStates) void this.request({ kind: 'event', body: { code, active, entries: [] } }, true);
      this.heartbeatLoop();
      if (o.dataEveryMs) this.dataLoop(o.dataEveryMs);
      return;
    }
    if (outcome.kind === 'nak') {
      this.naks.push(outcome.nak);
      if (outcome.nak.reason === 'unsupported_version' || outcome.nak.reason === 'unknown_node') {
        this.state = 'rejected';
        return;
      }
    }
    this.state = 'idle';
    this.later(o.helloRetryMs ?? 1000, () => void this.hello());
  }

  private heartbeatLoop(): void {
    this.later(this.agreedHeartbeatMs ?? 1000, async () => {
      const outcome = await this.request({ kind: 'heartbeat', body: { uptimeS: Math.floor((Date.now() - this.startedAt) / 1000), batteryMv: this.options.batteryMv ?? 0 } });
      if (this.state !== 'ready') return;
      // Nobody acknowledged even the retransmits: the gateway may have restarted; introduce ourselves again.
      if (outcome.kind === 'gave_up') void this.hello();
      else this.heartbeatLoop();
    });
  }

  private dataLoop(everyMs: number): void {
    this.later(everyMs, () => {
      if (this.state !== 'ready') return;
      void this.sendData();
      this.dataLoop(everyMs);
    });
  }
}
