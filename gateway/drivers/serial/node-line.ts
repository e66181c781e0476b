// One serial-node bus: its serial port (reopened after failures), the gateway end of the firmware-bridge
// link on it, and the mapping of node messages to readings and source status for the nodes' sources.
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import type { Bus } from '../../../config/sections/buses.js';
import { GatewayLink } from '../../../firmware-bridge/gateway-link.js';
import type { LinkIssue, NodeLinkEvents } from '../../../firmware-bridge/topics.js';
import { type RawValue, type SourceFault, sourceFault } from '../../pipeline/types.js';
import type { DriverContext, ResolvedSource } from '../driver.js';
import { dataFields, eventFields, hasField, heartbeatFields, helloFields, type NodeFields } from './fields.js';
import { partialFrameTimeoutFor, type SerialLinkTiming } from './options.js';

export type SerialNodeBus = Extract<Bus, { type: 'serial-node' }>;

/** Opens the bus's port; resolves with an open stream or rejects with the OS error. */
export type PortOpener = (bus: SerialNodeBus) => Promise<Duplex>;

export const openSerialPort: PortOpener = (bus) =>
  new Promise((resolve, reject) => {
    const port = new SerialPort({ path: bus.port, baudRate: bus.baud, autoOpen: false });
    port.open((error) => (error ? reject(error) : resolve(port)));
  });

/** At most one warning per kind of line trouble per this period; the rest are counted. */
const WARN_EVERY_MS = 10_000;

export class SerialNodeLine {
  private readonly byNode: ReadonlyMap<number, ResolvedSource>;
  private readonly link: GatewayLink;
  private port: Duplex | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private running = false;
  /** Each source's last reported state: 'online', or the kind of fault it went offline for. */
  private readonly reported = new Map<string, 'online' | SourceFault['kind']>();
  private readonly lastWarn = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly context: DriverContext,
    private readonly bus: SerialNodeBus,
    sources: readonly ResolvedSource[],
    private readonly timing: SerialLinkTiming,
    private readonly openPort: PortOpener = openSerialPort,
  ) {
    this.byNode = new Map(sources.map((s) => [s.config.node!, s]));
    const nodes = sources.map((s) => ({ node: s.config.node!, maxHeartbeatMs: s.profile.heartbeat.every }));
    const partialFrameTimeoutMs = timing.partialFrameTimeoutMs ?? partialFrameTimeoutFor(bus.baud);
    this.link = new GatewayLink(nodes, { ...timing, partialFrameTimeoutMs, clock: context.clock }, (event, payload) => this.onLinkEvent(event, payload));
  }

  start(): void {
    this.running = true;
    void this.open();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    this.link.close();
    const port = this.port;
    this.port = undefined;
    if (port && !port.destroyed) {
      await new Promise<void>((resolve) => {
        port.once('close', () => resolve());
        if (port instanceof SerialPort) port.close(() => resolve());
        else port.destroy();
      });
    }
  }

  private async open(): Promise<void> {
    const { log, stats } = this.context;
    let port: Duplex;
    try {
      port = await this.openPort(this.bus);
    } catch (error) {
      stats.inc('serial.open_failed', { bus: this.bus.id });
      this.lineDown(`cannot open ${this.bus.port}: ${(error as Error).message}`);
      return;
    }
    if (!this.running) {
      port.destroy();
      return;
    }
    this.port = port;
    log.info({ bus: this.bus.id, port: this.bus.port, baud: this.bus.baud }, 'serial-node port open');
    port.on('error', (error: Error) => {
      stats.inc('serial.port_error', { bus: this.bus.id });
      log.warn({ bus: this.bus.id, port: this.bus.port, err: error }, 'serial-node port error');
    });
    port.once('close', () => {
      if (this.port !== port) return;
      this.port = undefined;
      this.link.detach();
      this.lineDown(`${this.bus.port} closed (adapter unplugged?)`);
    });
    this.link.attach(port);
  }

  /** The port is gone: every node on it is offline for a connection reason; try again later. */
  private lineDown(message: string): void {
    if (!this.running) return;
    this.warn('port', { bus: this.bus.id, error: message, retryMs: this.timing.reopenDelayMs }, 'serial-node port unavailable');
    for (const source of this.byNode.values()) this.status(source, false, sourceFault('connection', message));
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (this.running) void this.open();
    }, this.timing.reopenDelayMs);
  }

  private onLinkEvent<K extends keyof NodeLinkEvents>(event: K, payload: NodeLinkEvents[K]): void {
    const e = { event, payload } as { [E in keyof NodeLinkEvents]: { event: E; payload: NodeLinkEvents[E] } }[keyof NodeLinkEvents];
    const { log, stats } = this.context;
    if (e.event === 'issue') {
      this.onIssue(e.payload);
      return;
    }
    const source = this.byNode.get(e.payload.node);
    switch (e.event) {
      case 'online':
        if (!source) return;
        if (e.payload.cause === 'hello') {
          const { hello } = e.payload;
          log.info({ source: source.config.id, node: hello.model, firmware: helloFields(hello).node, heartbeatMs: e.payload.heartbeatMs }, 'serial node said hello');
          this.reading(source, helloFields(hello), e.payload.mono);
        }
        this.status(source, true);
        return;
      case 'silent': {
        if (!source) return;
        const { silentMs, heartbeatMs, everHeard } = e.payload;
        const message = everHeard
          ? `node ${e.payload.node} silent for ${(silentMs / 1000).toFixed(1)} s (heartbeat every ${(heartbeatMs / 1000).toFixed(1)} s)`
          : `node ${e.payload.node} has not said HELLO on ${this.bus.port}`;
        this.status(source, false, sourceFault('timeout', message));
        return;
      }
      case 'rejected':
        stats.inc('serial.rejected', { bus: this.bus.id, reason: e.payload.reason });
        this.warn(`rejected-${e.payload.node}`, { bus: this.bus.id, node: e.payload.node, reason: e.payload.reason, detail: e.payload.detail }, 'serial node refused');
        if (source) this.status(source, false, sourceFault('exception', e.payload.detail));
        return;
      case 'data':
        if (source) this.reading(source, dataFields(e.payload.entries), e.payload.mono);
        return;
      case 'event':
        if (source) this.reading(source, eventFields(e.payload.event), e.payload.mono);
        return;
      case 'heartbeat':
        if (source) this.reading(source, heartbeatFields(e.payload.heartbeat), e.payload.mono);
        return;
    }
  }

  private onIssue(issue: LinkIssue): void {
    const { stats, log } = this.context;
    const labels = { bus: this.bus.id };
    switch (issue.kind) {
      case 'dropped':
        stats.inc('serial.dropped_bytes', labels, issue.count);
        log.debug({ ...labels, offset: issue.offset, count: issue.count }, 'bytes between frames dropped');
        return;
      case 'crc_error':
        stats.inc('serial.crc_error', labels);
        this.warn('crc', { ...labels, offset: issue.offset, length: issue.length }, 'frame failed its CRC (noise or wiring)');
        return;
      case 'undecodable':
        stats.inc('serial.bad_frame', { ...labels, reason: issue.reason });
        this.warn(`bad-${issue.node}`, { ...labels, node: issue.node, offset: issue.offset, reason: issue.reason, detail: issue.detail }, 'frame could not be understood');
        return;
      case 'retransmit':
      case 'duplicate':
      case 'gave_up':
      case 'stale_answer': {
        const source = this.byNode.get(issue.node);
        stats.inc(`serial.${issue.kind}`, source ? { ...labels, source: source.config.id } : labels);
        log.debug({ ...labels, ...issue }, `link ${issue.kind}`);
        return;
      }
    }
  }

  private reading(source: ResolvedSource, fields: NodeFields, mono: number): void {
    const values = new Map<string, RawValue>();
    const raw: RawValue = { kind: 'json', value: fields };
    for (const point of source.resolved.points) {
      if (point.json !== undefined && hasField(fields, point.json)) values.set(point.id, raw);
    }
    if (values.size > 0) this.context.events.emit('reading', { source: source.config.id, mono, values });
  }

  private status(source: ResolvedSource, online: boolean, lastError?: SourceFault): void {
    const id = source.config.id;
    const state = online ? 'online' : (lastError?.kind ?? 'timeout');
    const previous = this.reported.get(id);
    if (previous === state) return;
    // Already offline: only a lost port replaces the earlier cause. A node that fell silent because its
    // adapter was unplugged is a connection fault, and whichever the link noticed first (the missed
    // heartbeats or the closed port) depends on timing; a silence noticed after the port is gone is not news.
    if (!online && previous !== undefined && previous !== 'online' && state !== 'connection') return;
    this.reported.set(id, state);
    const mono = this.context.clock.mono();
    if (online) this.context.log.info({ source: id, node: source.config.node }, 'source online');
    else this.context.log.warn({ source: id, node: source.config.node, kind: lastError?.kind, code: lastError?.code, error: lastError?.message }, 'source offline');
    this.context.events.emit('source.status', lastError ? { source: id, online, mono, lastError } : { source: id, online, mono });
  }

  /** Warns at most once per WARN_EVERY_MS per key, saying how many were held back. */
  private warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.context.clock.mono();
    const last = this.lastWarn.get(key);
    if (last !== undefined && now - last < WARN_EVERY_MS) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
      return;
    }
    this.lastWarn.set(key, now);
    const held = this.suppressed.get(key) ?? 0;
    this.suppressed.delete(key);
    this.context.log.warn(held > 0 ? { ...fields, heldBack: held } : fields, message);
  }
}
