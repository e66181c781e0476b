// One OPC UA source: a client, a session and one subscription with a monitored item per point.
// Data changes are pushed by the server (monitored items), never polled. When the server goes away,
// node-opcua's client reconnects on its own (connectionStrategy), then restores the session and
// republishes the subscription ('session_restored'); the integration test restarts a server mid-run to
// prove readings resume. Bad status codes become counted point faults, never made-up values.
import type { ClientMonitoredItem, ClientSession, ClientSubscription, DataValue, OPCUAClient } from 'node-opcua-client';
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { type SourceFaultKind, sourceFault } from '../../pipeline/types.js';
import type { DriverContext, ResolvedSource } from '../driver.js';
import type { OpcuaLibrary } from './library.js';
import type { OpcuaDriverOptions } from './options.js';
import { rejectedCertificates } from './rejected-certificates.js';
import { statusSeverity, variantToRaw } from './values.js';

/** How long stop() waits for each of terminate/close/disconnect before giving up on a dead server. */
const STOP_STEP_TIMEOUT_MS = 3000;

async function bounded(step: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([step, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export class OpcuaSourceSession {
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private readonly items: ClientMonitoredItem[] = [];
  private running = false;
  private online: boolean | undefined;
  private connecting: Promise<void> | undefined;
  private readonly id: string;
  private readonly endpoint: string;
  private readonly nodes: readonly (readonly [pointId: string, nodeId: string])[];
  private readonly publishingMs: number;

  constructor(
    private readonly context: DriverContext,
    private readonly source: ResolvedSource,
    private readonly lib: OpcuaLibrary,
    private readonly certificates: OPCUACertificateManager,
    private readonly options: OpcuaDriverOptions,
  ) {
    const opcua = source.config.opcua!;
    this.id = source.config.id;
    this.endpoint = opcua.endpoint;
    this.nodes = Object.entries(opcua.nodes);
    this.publishingMs = opcua.publishingInterval;
  }

  /** Starts connecting in the background; keeps trying until stop(). */
  start(): void {
    this.running = true;
    this.connecting = this.connectUntilStopped();
  }

  async stop(): Promise<void> {
    this.running = false;
    const { subscription, session, client } = this;
    if (subscription) await bounded(subscription.terminate(), STOP_STEP_TIMEOUT_MS);
    if (session) await bounded(session.close(), STOP_STEP_TIMEOUT_MS);
    // disconnect() also aborts a connect() still retrying against a server that is down.
    if (client) await bounded(client.disconnect(), STOP_STEP_TIMEOUT_MS);
    await bounded(this.connecting ?? Promise.resolve(), STOP_STEP_TIMEOUT_MS);
    for (const item of this.items) item.removeAllListeners();
    this.items.length = 0;
    subscription?.removeAllListeners();
    session?.removeAllListeners();
    client?.removeAllListeners();
    this.subscription = this.session = this.client = undefined;
  }

  /**
   * node-opcua retries unreachable endpoints itself; what it gives up on (a rejected certificate, a
   * refused session, a NodeId problem at subscription time) is retried here after the longest back-off,
   * with a fresh client, so a server that is fixed later is picked up without restarting the gateway.
   */
  private async connectUntilStopped(): Promise<void> {
    while (this.running) {
      try {
        await this.connect();
        return;
      } catch (error) {
        if (!this.running) return;
        this.context.stats.inc('opcua.connect_error', { source: this.id });
        const message = error instanceof Error ? error.message : String(error);
        this.context.log.error({ source: this.id, endpoint: this.endpoint, err: error }, 'OPC UA source could not subscribe; trying again');
        // A refused server certificate waits in rejected/: name its thumbprint, to compare with the PLC's.
        const rejected = rejectedCertificates(this.options.pkiDir);
        for (const certificate of rejected) {
          this.context.log.warn({ source: this.id, endpoint: this.endpoint, file: certificate.file, thumbprint: certificate.thumbprint, subject: certificate.subject }, 'OPC UA server certificate not trusted: check its thumbprint, then move it to trusted/certs/');
        }
        const untrusted = rejected.map((c) => `${c.thumbprint} (${c.file})`).join('; ');
        this.setOnline(false, 'connection', `could not subscribe at ${this.endpoint}: ${message}${untrusted ? `; untrusted server certificate, thumbprint SHA-1 ${untrusted}: check it, then move it to trusted/certs/` : ''}`);
        const client = this.client;
        this.client = this.session = undefined;
        if (client) await bounded(client.disconnect(), STOP_STEP_TIMEOUT_MS);
        client?.removeAllListeners();
        await new Promise((resolve) => setTimeout(resolve, this.options.maxRetryDelay));
        // An installer may have moved the server certificate from rejected/ to trusted/ meanwhile; the
        // manager's file watchers can see the move's unlink and add in either order, so re-read the folders.
        await this.certificates.reloadCertificates();
      }
    }
  }

  private async connect(): Promise<void> {
    const { lib, options } = this;
    const client = lib.OPCUAClient.create({
      applicationName: options.applicationName,
      clientCertificateManager: this.certificates,
      securityMode: lib.MessageSecurityMode[options.securityMode],
      securityPolicy: lib.SecurityPolicy[options.securityPolicy],
      endpointMustExist: false,
      keepSessionAlive: true,
      transportTimeout: options.connectTimeout,
      // node-opcua requires maxDelay > initialDelay.
      connectionStrategy: { initialDelay: Math.min(500, options.maxRetryDelay / 2), maxDelay: options.maxRetryDelay, maxRetry: Number.MAX_SAFE_INTEGER },
    });
    this.client = client;
    client.on('backoff', (retry: number, delayMs: number) => {
      this.context.stats.inc('opcua.connect_retry', { source: this.id });
      this.context.log.debug({ source: this.id, endpoint: this.endpoint, retry, delayMs }, 'OPC UA endpoint not reachable; retrying');
      this.setOnline(false, 'connection', `cannot reach ${this.endpoint} (attempt ${retry + 1})`);
    });
    client.on('connection_lost', () => {
      this.context.stats.inc('opcua.connection_lost', { source: this.id });
      this.context.log.warn({ source: this.id, endpoint: this.endpoint }, 'OPC UA connection lost; reconnecting');
      this.setOnline(false, 'connection', `connection to ${this.endpoint} lost`);
    });
    client.on('connection_reestablished', () => {
      this.context.log.info({ source: this.id, endpoint: this.endpoint }, 'OPC UA connection re-established');
    });

    await client.connect(this.endpoint);
    if (!this.running) return;
    const session = await client.createSession();
    this.session = session;
    // The client repaired the session (or made a new one) and republished the subscription after a reconnect.
    session.on('session_restored', () => {
      this.context.log.info({ source: this.id }, 'OPC UA session restored; subscription resumed');
      this.setOnline(true);
    });
    session.on('keepalive_failure', () => {
      this.context.stats.inc('opcua.keepalive_failure', { source: this.id });
      this.setOnline(false, 'timeout', `session keep-alive to ${this.endpoint} failed`);
    });
    if (!this.running) return;
    this.subscribe(session);
    this.setOnline(true);
  }

  private subscribe(session: ClientSession): void {
    const { lib } = this;
    const subscription = lib.ClientSubscription.create(session, {
      requestedPublishingInterval: this.publishingMs,
      // Lifetime and keep-alive counts follow the spec's rule lifetime ≥ 3 × keep-alive.
      requestedLifetimeCount: 60,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 1000,
      publishingEnabled: true,
      priority: 1,
    });
    this.subscription = subscription;
    subscription.on('internal_error', (error: Error) => {
      this.context.stats.inc('opcua.subscription_error', { source: this.id });
      this.context.log.error({ source: this.id, err: error }, 'OPC UA subscription error');
    });
    for (const [pointId, nodeId] of this.nodes) {
      const item = lib.ClientMonitoredItem.create(
        subscription,
        { nodeId, attributeId: lib.AttributeIds.Value },
        { samplingInterval: Math.min(this.publishingMs, 1000), discardOldest: true, queueSize: 10 },
        lib.TimestampsToReturn.Both,
      );
      item.on('changed', (dataValue: DataValue) => this.onChange(pointId, nodeId, dataValue));
      item.on('err', (message: string) => this.onItemError(pointId, nodeId, message));
      this.items.push(item);
    }
  }

  private onChange(pointId: string, nodeId: string, dataValue: DataValue): void {
    const { context } = this;
    const mono = context.clock.mono();
    const status = dataValue.statusCode;
    const severity = statusSeverity(status.value);
    if (severity === 'bad') {
      context.stats.inc('opcua.bad_status', { source: this.id, point: pointId });
      context.log.warn({ source: this.id, point: pointId, nodeId, status: status.name }, 'OPC UA server reports the value as bad');
      this.emitFault(pointId, 'opcua_bad_status', status.name, mono, {
        zh: `OPC UA 服务器报告该点数据无效（${status.name}）`,
        en: `OPC UA server reports the value as bad (${status.name})`,
      });
      return;
    }
    if (severity === 'uncertain') {
      // A Reading cannot carry quality yet (pipeline/types.ts), so uncertain values pass as values and are counted.
      context.stats.inc('opcua.uncertain_status', { source: this.id, point: pointId });
    }
    const mapped = variantToRaw(dataValue, this.source.resolved.points.find((p) => p.id === pointId)?.states);
    if (mapped.kind === 'unsupported') {
      context.stats.inc('opcua.unsupported_value', { source: this.id, point: pointId });
      context.log.warn({ source: this.id, point: pointId, nodeId, why: mapped.why }, 'OPC UA value not mapped to a reading');
      return;
    }
    context.stats.inc('opcua.data_change', { source: this.id });
    context.events.emit('reading', { source: this.id, mono, values: new Map([[pointId, mapped.raw]]) });
  }

  private onItemError(pointId: string, nodeId: string, message: string): void {
    this.context.stats.inc('opcua.monitor_error', { source: this.id, point: pointId });
    this.context.log.error({ source: this.id, point: pointId, nodeId, error: message }, 'OPC UA server refused to monitor this node; check the NodeId');
    this.emitFault(pointId, 'opcua_node_error', message, this.context.clock.mono(), {
      zh: `OPC UA 节点 ${nodeId} 无法订阅（${message}），请检查节点配置`,
      en: `OPC UA node ${nodeId} cannot be monitored (${message}); check the NodeId`,
    });
  }

  private emitFault(pointId: string, code: string, raw: string, mono: number, text: { zh: string; en: string }): void {
    const { context, source } = this;
    const point = source.resolved.points.find((p) => p.id === pointId);
    context.events.emit('fault', {
      source: this.id,
      point: pointId,
      class: point?.class ?? source.profile.class,
      code,
      raw,
      text,
      mono,
      ts: context.clock.now() - (context.clock.mono() - mono),
      tags: source.tags,
    });
  }

  private setOnline(online: boolean, kind?: SourceFaultKind, message?: string): void {
    if (this.online === online || !this.running) return;
    this.online = online;
    const status = { source: this.id, online, mono: this.context.clock.mono() };
    this.context.events.emit('source.status', online || kind === undefined ? status : { ...status, lastError: sourceFault(kind, message ?? '') });
  }
}
