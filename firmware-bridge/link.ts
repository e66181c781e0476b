// The reliable link (PROTOCOL.md §5) over any Duplex byte stream: a serialport, a pty, an in-memory pair.
// Stop-and-wait per peer: one request in flight, retransmitted with the same seq until answered or
// maxRetries is spent; a repeated seq is answered again but delivered once. Used by both ends: the
// gateway (one channel per node id) and the node simulator (one channel, its own id).
import type { Duplex } from 'node:stream';
import { FrameDecoder, type DecoderEvent } from './protocol/decoder.js';
import { BROADCAST_NODE, encodeFrame, type Frame } from './protocol/frame.js';
import { ANSWER_KINDS, decodeMessage, encodeMessageFrame, type HelloAck, type Message, type Nak, type NakReason } from './protocol/messages.js';

/** What the receiver of a request sends back. */
export type Answer = { readonly kind: 'ack' } | { readonly kind: 'nak'; readonly reason: NakReason; readonly text: string } | { readonly kind: 'hello_ack'; readonly body: HelloAck };

export type SendOutcome =
  | { readonly kind: 'acked'; readonly answer: Message; readonly attempts: number }
  | { readonly kind: 'nak'; readonly nak: Nak; readonly attempts: number }
  | { readonly kind: 'gave_up'; readonly attempts: number }
  | { readonly kind: 'cancelled' };

/** Everything that went wrong or was repaired on the line, with the stream offset where it applies. */
export type LinkIssue =
  | { readonly kind: 'crc_error'; readonly offset: number; readonly length: number; readonly received: number; readonly computed: number }
  | { readonly kind: 'dropped'; readonly offset: number; readonly count: number }
  | { readonly kind: 'undecodable'; readonly offset: number; readonly node: number; readonly seq: number; readonly reason: 'unknown_type' | 'bad_payload' | 'unsupported_version'; readonly detail: string }
  | { readonly kind: 'duplicate'; readonly offset: number; readonly node: number; readonly seq: number }
  | { readonly kind: 'stale_answer'; readonly offset: number; readonly node: number; readonly seq: number }
  | { readonly kind: 'retransmit'; readonly node: number; readonly seq: number; readonly attempt: number }
  | { readonly kind: 'gave_up'; readonly node: number; readonly seq: number; readonly message: Message['kind'] };

export interface LinkHandlers {
  /** A request from the peer, delivered once per seq; returns the answer to send (undefined: none). */
  onRequest(node: number, message: Message, info: { readonly seq: number; readonly offset: number }): Answer | undefined;
  /** Line noise, repairs and failures, for counters and logs. */
  onIssue?(issue: LinkIssue): void;
}

export interface LinkOptions {
  readonly role: 'gateway' | 'node';
  /** The node's own id (node role only): frames for other nodes on a shared line are ignored. */
  readonly nodeId?: number;
  readonly ackTimeoutMs?: number;
  readonly maxRetries?: number;
  /** A frame not complete this long after its start marker arrived is given up and its bytes rescanned. */
  readonly partialFrameTimeoutMs?: number;
  /** Test hook (node simulator): return false to act as if a received answer was lost on the line. */
  readonly acceptAnswer?: (node: number, answer: Message, request: Message | undefined) => boolean;
}

export const DEFAULT_ACK_TIMEOUT_MS = 300;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_PARTIAL_FRAME_TIMEOUT_MS = 50;

interface Pending {
  readonly message: Message;
  readonly urgent: boolean;
  readonly resolve: (outcome: SendOutcome) => void;
}
interface InFlight extends Pending {
  readonly seq: number;
  readonly bytes: Buffer;
  attempts: number;
  timer: NodeJS.Timeout | undefined;
}
interface Channel {
  nextSeq: number;
  /** Seq of the last request delivered and acked, for duplicate suppression. */
  lastDelivered: number | undefined;
  queue: Pending[];
  inFlight: InFlight | undefined;
}

export interface LinkCounters {
  framesSent: number;
  framesReceived: number;
  retransmits: number;
  duplicates: number;
  gaveUp: number;
  naksSent: number;
  naksReceived: number;
}

export class ReliableLink {
  private stream: Duplex | undefined;
  private decoder: FrameDecoder | undefined;
  private partialTimer: NodeJS.Timeout | undefined;
  /** Stream offset of the partial frame the timer is for. */
  private partialAt = -1;
  private readonly channels = new Map<number, Channel>();
  private readonly ackTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly partialFrameTimeoutMs: number;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  readonly counters: LinkCounters = { framesSent: 0, framesReceived: 0, retransmits: 0, duplicates: 0, gaveUp: 0, naksSent: 0, naksReceived: 0 };

  constructor(
    private readonly options: LinkOptions,
    private readonly handlers: LinkHandlers,
  ) {
    if (options.role === 'node' && (options.nodeId === undefined || options.nodeId < 1 || options.nodeId > 254)) {
      throw new RangeError(`node link needs a nodeId 1–254, got ${String(options.nodeId)}`);
    }
    this.ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.partialFrameTimeoutMs = options.partialFrameTimeoutMs ?? DEFAULT_PARTIAL_FRAME_TIMEOUT_MS;
  }

  /** Starts reading frames from the stream and writing to it; stream offsets in issues restart at 0. */
  attach(stream: Duplex): void {
    this.detach();
    this.stream = stream;
    this.decoder = new FrameDecoder((event) => this.onDecoded(event));
    stream.on('data', this.onData);
  }

  /** Stops using the stream (requests in flight keep their timers and give up if it does not come back). */
  detach(): void {
    this.stream?.off('data', this.onData);
    this.stream = undefined;
    this.decoder = undefined;
    this.clearPartialTimer();
  }

  private clearPartialTimer(): void {
    if (this.partialTimer) clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
    this.partialAt = -1;
  }

  /** Detaches and cancels every queued and in-flight request. */
  close(): void {
    this.detach();
    for (const channel of this.channels.values()) {
      if (channel.inFlight) this.finish(channel, { kind: 'cancelled' });
      for (const pending of channel.queue.splice(0)) pending.resolve({ kind: 'cancelled' });
    }
  }

  /**
   * Sends a request reliably; urgent requests (events) go ahead of queued ordinary ones but stay in
   * order among themselves (smoke active must not overtake an earlier smoke cleared). Never rejects.
   */
  send(node: number, message: Message, options: { urgent?: boolean } = {}): Promise<SendOutcome> {
    return new Promise((resolve) => {
      const channel = this.channel(node);
      const urgent = options.urgent ?? false;
      const at = urgent ? channel.queue.findIndex((p) => !p.urgent) : -1;
      if (at === -1) channel.queue.push({ message, urgent, resolve });
      else channel.queue.splice(at, 0, { message, urgent, resolve });
      this.pump(node, channel);
    });
  }

  /** Forgets duplicate-suppression state for a peer (it restarted: its seq numbering starts over). */
  resetPeer(node: number, helloSeq: number): void {
    this.channel(node).lastDelivered = helloSeq;
  }

  /** Writes raw bytes to the line (the simulator uses it to inject garbage). */
  writeRaw(bytes: Uint8Array): void {
    this.stream?.write(bytes);
  }

  /** Requests waiting or in flight for a node. */
  backlog(node: number): number {
    const channel = this.channels.get(node);
    return channel === undefined ? 0 : channel.queue.length + (channel.inFlight ? 1 : 0);
  }

  private channel(node: number): Channel {
    let channel = this.channels.get(node);
    if (!channel) {
      // Random first seq, so a restarted sender rarely repeats the seq the peer saw last.
      channel = { nextSeq: Math.floor(Math.random() * 256), lastDelivered: undefined, queue: [], inFlight: undefined };
      this.channels.set(node, channel);
    }
    return channel;
  }

  private get fromGateway(): boolean {
    return this.options.role === 'gateway';
  }

  private write(message: Message, seq: number, node: number): void {
    const bytes = encodeFrame(encodeMessageFrame(message, { seq, node, fromGateway: this.fromGateway }));
    this.counters.framesSent++;
    if (this.stream?.writable) this.stream.write(bytes);
  }

  private pump(node: number, channel: Channel): void {
    if (channel.inFlight) return;
    const next = channel.queue.shift();
    if (!next) return;
    const seq = channel.nextSeq;
    channel.nextSeq = (seq + 1) & 0xff;
    const bytes = encodeFrame(encodeMessageFrame(next.message, { seq, node, fromGateway: this.fromGateway }));
    // In flight before the write: an in-memory peer may answer inside write().
    const flight: InFlight = { ...next, seq, bytes, attempts: 1, timer: undefined };
    channel.inFlight = flight;
    this.arm(node, channel, flight);
    this.counters.framesSent++;
    if (this.stream?.writable) this.stream.write(bytes);
  }

  private arm(node: number, channel: Channel, flight: InFlight): void {
    // Up to 25 % jitter, so nodes that collided on a shared line do not collide again.
    const wait = this.ackTimeoutMs * (1 + Math.random() * 0.25);
    flight.timer = setTimeout(() => {
      if (channel.inFlight !== flight) return;
      if (flight.attempts > this.maxRetries) {
        this.counters.gaveUp++;
        this.handlers.onIssue?.({ kind: 'gave_up', node, seq: flight.seq, message: flight.message.kind });
        this.finish(channel, { kind: 'gave_up', attempts: flight.attempts });
        this.pump(node, channel);
        return;
      }
      flight.attempts++;
      this.counters.retransmits++;
      this.counters.framesSent++;
      this.handlers.onIssue?.({ kind: 'retransmit', node, seq: flight.seq, attempt: flight.attempts });
      this.arm(node, channel, flight);
      if (this.stream?.writable) this.stream.write(flight.bytes);
    }, wait);
  }

  private finish(channel: Channel, outcome: SendOutcome): void {
    const flight = channel.inFlight;
    if (!flight) return;
    if (flight.timer) clearTimeout(flight.timer);
    channel.inFlight = undefined;
    flight.resolve(outcome);
  }

  private receive(chunk: Buffer): void {
    const decoder = this.decoder;
    if (!decoder) return;
    decoder.push(chunk);
    this.watchPartial(decoder);
  }

  /**
   * A false start marker with a large length would hold real frames back until 248 bytes arrived. The
   * clock runs from the moment a partial frame is first held (more bytes do not restart it, or steady
   * retransmits could keep it alive), and restarts only when a different partial frame is held.
   */
  private watchPartial(decoder: FrameDecoder): void {
    if (decoder.buffered === 0) {
      this.clearPartialTimer();
      return;
    }
    if (this.partialTimer && this.partialAt === decoder.bufferedOffset) return;
    this.clearPartialTimer();
    this.partialAt = decoder.bufferedOffset;
    this.partialTimer = setTimeout(() => {
      this.partialTimer = undefined;
      this.partialAt = -1;
      if (this.decoder !== decoder) return;
      decoder.flushPartial();
      this.watchPartial(decoder);
    }, this.partialFrameTimeoutMs);
  }

  private onDecoded(event: DecoderEvent): void {
    if (event.kind !== 'frame') {
      this.handlers.onIssue?.(event);
      return;
    }
    this.onFrame(event.frame, event.offset);
  }

  private onFrame(frame: Frame, offset: number): void {
    const result = decodeMessage(frame);
    // Our own frames echoed back (RS-485 adapters that hear themselves) and, on a node, frames for other nodes.
    if (result.fromGateway === this.fromGateway) return;
    if (this.options.role === 'node' && frame.node !== this.options.nodeId && frame.node !== BROADCAST_NODE) return;
    this.counters.framesReceived++;
    const { node, seq } = frame;
    if (!result.ok) {
      this.handlers.onIssue?.({ kind: 'undecodable', offset, node, seq, reason: result.reason, detail: result.detail });
      this.answer({ kind: 'nak', reason: result.reason, text: result.detail }, seq, node);
      return;
    }
    const { message } = result;
    if (ANSWER_KINDS.has(message.kind)) {
      this.onAnswer(message, node, seq, offset);
      return;
    }
    const channel = this.channel(node);
    if (message.kind !== 'hello' && channel.lastDelivered === seq) {
      this.counters.duplicates++;
      this.handlers.onIssue?.({ kind: 'duplicate', offset, node, seq });
      this.answer({ kind: 'ack' }, seq, node);
      return;
    }
    const answer = this.handlers.onRequest(node, message, { seq, offset });
    if (answer === undefined) return;
    if (answer.kind !== 'nak') channel.lastDelivered = seq;
    this.answer(answer, seq, node);
  }

  private onAnswer(message: Message, node: number, seq: number, offset: number): void {
    const channel = this.channels.get(node);
    const flight = channel?.inFlight;
    if (this.options.acceptAnswer && !this.options.acceptAnswer(node, message, flight?.message)) return;
    const matches = flight !== undefined && flight.seq === seq && (message.kind !== 'hello_ack' || flight.message.kind === 'hello');
    if (!channel || !matches) {
      this.handlers.onIssue?.({ kind: 'stale_answer', offset, node, seq });
      return;
    }
    if (message.kind === 'nak') {
      this.counters.naksReceived++;
      this.finish(channel, { kind: 'nak', nak: message.body, attempts: flight.attempts });
    } else {
      this.finish(channel, { kind: 'acked', answer: message, attempts: flight.attempts });
    }
    this.pump(node, channel);
  }

  private answer(answer: Answer, seq: number, node: number): void {
    if (answer.kind === 'nak') this.counters.naksSent++;
    const message: Message =
      answer.kind === 'ack' ? { kind: 'ack', body: {} } : answer.kind === 'nak' ? { kind: 'nak', body: { reason: answer.reason, text: answer.text } } : { kind: 'hello_ack', body: answer.body };
    this.write(message, seq, node);
  }
}
