// One transmission device (one source): the TCP listener it connects to, the connection in use, and the
// mapping of what it says to the bus: readings for the profile's points, per-component alarm conditions,
// source status. Also the gateway's own commands: clock sync (type 90) while the gateway clock is synced,
// duty checks (type 91) on the configured schedule, and a device-state read (type 81) on connect.
import { createServer, type Server, type Socket } from 'node:net';
import type { Gbt26875Source } from '../../../config/sections/gbt26875.js';
import { LogThrottle } from '../../local-broker/log-throttle.js';
import { type RawValue, type SourceFaultKind, sourceFault } from '../../pipeline/types.js';
import type { DriverContext, ResolvedSource } from '../driver.js';
import { COMMAND, formatFrameTime, frameTimeOf, HEADER_BYTES, type ControlUnit } from './codec/frame.js';
import type { AppUnit } from './codec/objects.js';
import { ComponentAlarms } from './component-alarms.js';
import { DeviceConnection, type CommandOutcome, type LinkIssue } from './connection.js';
import type { Gbt26875Timing } from './options.js';
import { componentKey, PanelState } from './panel-state.js';

/** How often a live link is recorded as a measurement (devices heartbeat every 20–30 s). */
const LINK_READING_MS = 20_000;

export type DutyCheckState = 'requested' | 'answered' | 'unanswered' | 'refused';

export class DeviceLink {
  private readonly config: Gbt26875Source;
  private readonly panel = new PanelState();
  private readonly alarms: ComponentAlarms;
  private readonly throttle: LogThrottle;
  private server: Server | undefined;
  private connection: DeviceConnection | undefined;
  private running = false;
  private online = false;
  private relistenTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private clockTimer: NodeJS.Timeout | undefined;
  private dutyTimer: NodeJS.Timeout | undefined;
  private dutyAnswerTimer: NodeJS.Timeout | undefined;
  private dutyState: DutyCheckState | undefined;
  private syncedThisConnection = false;
  private lastLinkReading: number | undefined;

  constructor(
    private readonly context: DriverContext,
    private readonly source: ResolvedSource,
    private readonly timing: Gbt26875Timing,
  ) {
    this.config = source.config.gbt26875!;
    this.throttle = new LogThrottle(() => context.clock.mono(), 10_000);
    this.alarms = new ComponentAlarms({
      source: this.id,
      tags: source.tags,
      map: this.config.components,
      events: context.events,
      onUnmapped: (component) =>
        context.log.warn(
          { source: this.id, component: component.key, description: component.description, hint: `add "${component.key}" under sources.${this.id}.gbt26875.components` },
          'panel component not in the location map; alarms use the source location / 部件未配置位置',
        ),
    });
  }

  get id(): string {
    return this.source.config.id;
  }

  /** The port actually bound (port 0 in tests picks a free one). */
  port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  connected(): boolean {
    return this.connection !== undefined;
  }

  dutyCheckState(): DutyCheckState | undefined {
    return this.dutyState;
  }

  /** Resolves once listening, or after the first failure (retried in the background). */
  start(): Promise<void> {
    this.running = true;
    return this.listen();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of [this.relistenTimer, this.idleTimer, this.clockTimer, this.dutyTimer, this.dutyAnswerTimer]) clearTimeout(timer);
    this.connection?.close();
    this.connection = undefined;
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Sends a duty check (查岗) now; resolves with what became of it (answered or not within answerWithin). */
  async dutyCheck(): Promise<DutyCheckState> {
    const connection = this.connection;
    if (!connection) return this.setDuty('refused', 'no device connected');
    const answerWithinMs = this.config.dutyCheck?.answerWithin ?? 600_000;
    const minutes = Math.min(255, Math.max(1, Math.round(answerWithinMs / 60_000)));
    const outcome = await connection.command(COMMAND.control, [{ kind: 'duty_check', minutes }]);
    if (outcome.kind !== 'confirmed') return this.setDuty('refused', `the device did not confirm the duty check (${outcome.kind})`);
    this.setDuty('requested');
    clearTimeout(this.dutyAnswerTimer);
    return new Promise((resolve) => {
      this.dutyAnswerTimer = setTimeout(() => resolve(this.setDuty('unanswered')), answerWithinMs);
      this.dutyResolve = resolve;
    });
  }

  private dutyResolve: ((state: DutyCheckState) => void) | undefined;

  private setDuty(state: DutyCheckState, why?: string): DutyCheckState {
    this.dutyState = state;
    const { log, stats } = this.context;
    stats.inc('gbt26875.duty_check', { source: this.id, state });
    if (state === 'unanswered' || state === 'refused') log.warn({ source: this.id, state, why }, 'duty check not answered / 查岗未应答');
    else log.info({ source: this.id, state }, 'duty check');
    if (state !== 'refused') this.reading({ duty_check: { state } });
    if (state !== 'requested') {
      const resolve = this.dutyResolve;
      this.dutyResolve = undefined;
      clearTimeout(this.dutyAnswerTimer);
      resolve?.(state);
    }
    return state;
  }

  private listen(): Promise<void> {
    const { host, port } = this.config.listen;
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve) => {
      server.once('error', (error) => {
        this.context.stats.inc('gbt26875.listen_failed', { source: this.id });
        this.context.log.error({ source: this.id, host, port, err: error.message, retryMs: this.timing.relistenDelayMs }, 'cannot listen for the transmission device / 无法监听传输装置端口');
        this.markOffline('connection', `cannot listen on ${host}:${port}: ${error.message}`);
        server.close();
        if (this.server === server) this.server = undefined;
        if (this.running) this.relistenTimer = setTimeout(() => void this.listen(), this.timing.relistenDelayMs);
        resolve();
      });
      server.listen(port, host, () => {
        this.context.log.info({ source: this.id, host, port: this.port() }, 'listening for the transmission device');
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    const { log, stats, clock } = this.context;
    socket.setNoDelay(true);
    socket.on('error', (error) => {
      stats.inc('gbt26875.socket_error', { source: this.id });
      log.debug({ source: this.id, err: error.message }, 'transmission device socket error');
    });
    if (!this.running) return void socket.destroy();
    // A new connection is a candidate until its first sound packet from the right address (heard()):
    // then it replaces the current one (a device that lost its link without a FIN reconnects while the
    // old socket still looks open). A stranger on the port never displaces the real device.
    const connection = new DeviceConnection(
      socket,
      { timing: this.timing, clock, timeZone: this.config.timeZone, centreAddress: this.config.centreAddress, deviceAddress: this.config.address },
      {
        heard: (control) => this.heard(connection, control),
        unit: (unit, control, offset) => {
          if (this.connection === connection) this.unit(unit, control, offset);
        },
        issue: (issue) => this.issue(issue),
      },
    );
    stats.inc('gbt26875.accepted', { source: this.id });
    log.info({ source: this.id, remote: socket.remoteAddress }, 'connection on the transmission device port');
    const candidateTimer = setTimeout(() => {
      if (this.connection !== connection) connection.close();
    }, this.timing.idleTimeoutMs);
    socket.once('close', () => {
      clearTimeout(candidateTimer);
      if (this.connection !== connection) return;
      this.connection = undefined;
      clearTimeout(this.idleTimer);
      clearTimeout(this.clockTimer);
      clearTimeout(this.dutyTimer);
      stats.inc('gbt26875.disconnected', { source: this.id });
      this.markOffline('connection', 'the transmission device closed the connection (or it broke)');
    });
  }

  /** The candidate's first sound packet: it becomes the device's connection. */
  private promote(connection: DeviceConnection): void {
    const { log, stats } = this.context;
    const previous = this.connection;
    this.connection = connection;
    this.syncedThisConnection = false;
    stats.inc('gbt26875.connected', { source: this.id });
    if (previous) {
      stats.inc('gbt26875.replaced', { source: this.id });
      log.warn({ source: this.id }, 'transmission device connected again; closing the older connection');
      previous.close();
    }
  }

  /** Any bytes keep the connection alive; silence past idleTimeout means a dead link (no FIN on a cut cable). */
  private touch(connection: DeviceConnection): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.connection !== connection) return;
      this.context.stats.inc('gbt26875.idle_timeout', { source: this.id });
      this.connection = undefined;
      connection.close();
      this.markOffline('timeout', `nothing heard for ${Math.round(this.timing.idleTimeoutMs / 1000)} s (heartbeats stopped)`);
    }, this.timing.idleTimeoutMs);
  }

  private heard(connection: DeviceConnection, control: ControlUnit): void {
    if (this.connection !== connection) this.promote(connection);
    this.touch(connection);
    // A quiet panel sends only heartbeats for hours: a `link.up` reading (at most every LINK_READING_MS)
    // keeps the rules stage's "sensor silent" heartbeat rule fed while the device is alive.
    const mono = this.context.clock.mono();
    if (this.lastLinkReading === undefined || mono - this.lastLinkReading >= LINK_READING_MS) {
      this.lastLinkReading = mono;
      this.reading({ link: { up: true } }, mono);
    }
    if (!this.online) {
      this.online = true;
      this.context.log.info({ source: this.id, address: control.source, deviceTime: formatFrameTime(control.time) }, 'source online');
      this.context.events.emit('source.status', { source: this.id, online: true, mono: this.context.clock.mono() });
    }
    if (!this.syncedThisConnection) {
      this.syncedThisConnection = true;
      void this.onFirstPacket(connection);
    }
  }

  private async onFirstPacket(connection: DeviceConnection): Promise<void> {
    this.syncClock(connection);
    this.scheduleDutyCheck(connection);
    const outcome = await connection.command(COMMAND.request, [{ kind: 'read_device_state' }]);
    this.commandOutcome('read device state', outcome);
  }

  /** Sends the gateway time (type 90) now and every clockSyncEvery, only while the gateway clock is synced. */
  private syncClock(connection: DeviceConnection): void {
    const { clock } = this.context;
    if (this.connection !== connection) return;
    if (clock.synced()) {
      void connection.command(COMMAND.control, [{ kind: 'sync_clock', time: frameTimeOf(clock.now(), this.config.timeZone) }]).then((outcome) => this.commandOutcome('clock sync', outcome));
    } else this.context.stats.inc('gbt26875.clock_sync_skipped', { source: this.id });
    this.clockTimer = setTimeout(() => this.syncClock(connection), this.config.clockSyncEvery);
  }

  private scheduleDutyCheck(connection: DeviceConnection): void {
    const every = this.config.dutyCheck === undefined ? undefined : this.config.dutyCheck.every;
    if (every === undefined) return;
    this.dutyTimer = setTimeout(() => {
      if (this.connection !== connection) return;
      void this.dutyCheck();
      this.scheduleDutyCheck(connection);
    }, every);
  }

  private commandOutcome(what: string, outcome: CommandOutcome): void {
    this.context.stats.inc('gbt26875.command', { source: this.id, outcome: outcome.kind });
    if (outcome.kind === 'denied' || outcome.kind === 'timeout') this.context.log.warn({ source: this.id, command: what, outcome: outcome.kind }, 'transmission device did not accept a command');
  }

  private unit(unit: AppUnit, control: ControlUnit, offset: number): void {
    const { stats } = this.context;
    stats.inc('gbt26875.unit', { source: this.id, type: String(unit.type) });
    for (const object of unit.objects) {
      if (object.kind === 'component_state' && object.descriptionHex !== undefined) {
        this.issue({ kind: 'bad_description', offset: offset + HEADER_BYTES + object.descriptionAt, component: componentKey(object.component), hex: object.descriptionHex });
      }
    }
    const mono = this.context.clock.mono();
    const outcome = this.panel.apply(unit);
    // Fire first: component conditions (fire before faults) reach the alarm engine before the readings.
    this.alarms.changed(outcome.changes, mono);
    if (outcome.fields) this.reading(outcome.fields, mono);
    if (outcome.dutyAnswered && this.dutyState === 'requested') this.setDuty('answered');
    this.context.log.debug({ source: this.id, serial: control.serial, type: unit.type, objects: unit.objects.length, deviceTime: formatFrameTime(control.time) }, 'unit');
  }

  private reading(fields: Record<string, unknown>, mono = this.context.clock.mono()): void {
    const values = new Map<string, RawValue>();
    const raw: RawValue = { kind: 'json', value: fields };
    for (const point of this.source.resolved.points) if (point.json !== undefined && hasField(fields, point.json)) values.set(point.id, raw);
    if (values.size > 0) this.context.events.emit('reading', { source: this.id, mono, values });
  }

  private issue(issue: LinkIssue): void {
    const { stats, log } = this.context;
    const labels = { source: this.id };
    if (issue.kind === 'dropped') {
      stats.inc('gbt26875.dropped_bytes', labels, issue.count);
      return;
    }
    if (issue.kind === 'bad_unit') stats.inc('gbt26875.bad_unit', { ...labels, reason: issue.reason });
    else stats.inc(`gbt26875.${issue.kind}`, labels);
    if (issue.kind === 'retransmit' || issue.kind === 'duplicate') return void log.debug({ ...labels, ...issue }, `link ${issue.kind}`);
    const suppressed = this.throttle.admit(issue.kind);
    if (suppressed !== undefined) log.warn({ ...labels, ...issue, suppressed }, `transmission device packet problem: ${issue.kind} / 传输装置报文错误`);
  }

  private markOffline(kind: SourceFaultKind, message: string): void {
    if (!this.online) return;
    this.online = false;
    this.context.log.warn({ source: this.id, kind, error: message }, 'source offline / 传输装置离线');
    this.context.events.emit('source.status', { source: this.id, online: false, mono: this.context.clock.mono(), lastError: sourceFault(kind, message) });
  }
}

/** True when the dotted path names a present field (the decoder picks it the same way). */
function hasField(fields: Record<string, unknown>, path: string): boolean {
  let node: unknown = fields;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return node !== undefined;
}
