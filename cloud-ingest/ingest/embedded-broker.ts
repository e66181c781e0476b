// The embedded township broker (aedes): authenticates gateways against the registry, enforces the ACL
// (publish only under lm/v1/<own id>/, subscribe only to the own command topic) and ingests in
// `authorizePublish`, then lets aedes PUBACK at once: what tells the gateway its data is safe is the
// receipt on lm/v1/<gateway>/receipt, sent after the database write (see contract.ts). Holding the
// PUBACK on the database would stall the gateway's connection (keepalives included) through an outage.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tlsServerOptions, type ListenerTls } from '../../contract/listener-tls.js';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { LoginGuard } from '../../contract/login-guard.js';
import type { Logger } from '../../contract/logger.js';
import { guardPacketSize } from '../../contract/mqtt-packet-size-guard.js';
import type { Stats } from '../../contract/stats.js';
import { RECEIPT_QOS, TOPIC_ROOT, isDownlinkTopic, topics, type CommandMessage, type Receipt } from '../../contract/wire.js';
import type { GatewayIdentity, GatewayRegistry } from '../registry/registry.js';
import type { Ingest } from './ingest.js';
import type { ReceiptChannel } from './receipts.js';

/** How cloud-ingest reaches gateways (commands down). */
export interface CommandChannel {
  /** Publishes a command to the gateway's cmd topic at QoS 1 (kept for it while offline, where the broker can). */
  sendCommand(gateway: string, message: CommandMessage): Promise<void>;
}

/** Client-id suffix of `lastmile doctor`'s credential check (gateway/installer/doctor-broker.ts). */
export const DOCTOR_CLIENT_SUFFIX = '-doctor';

/** Where and how the broker listens. */
export interface BrokerListenOptions {
  readonly host: string;
  readonly port: number;
  /** PEM files; without them the listener is plain MQTT (config refuses that off loopback). */
  readonly tls?: ListenerTls | undefined;
  readonly maxPacketBytes: number;
}

/** CONNECT carries a client id, a user name and a password: 64 KiB is far more than any needs. */
const MAX_CONNECT_BYTES = 64 * 1024;
/**
 * Login limits (issue 13 item 10): wrong passwords per address, and per gateway id from anywhere. A
 * gateway's password is 24 random bytes, so these stop floods, not guessing; the per-id limit never
 * locks out credentials already verified since start (the registry's cache answers them without a hash).
 */
export const BROKER_MAX_FAILURES_PER_ADDRESS = 20;
export const BROKER_MAX_FAILURES_PER_GATEWAY = 20;

interface Session {
  readonly identity: GatewayIdentity;
  /** `lastmile doctor`'s check: connect and CONNACK only, no publish or subscribe (no second session). */
  readonly doctor: boolean;
}

/** aedes' publish as its protocol handlers call it (with the sending client), beside the public two-argument form. */
type BrokerPublish = (packet: PublishPacket, client: Client | ((error?: Error) => void) | null, done?: (error?: Error) => void) => void;

export class EmbeddedBroker implements CommandChannel, ReceiptChannel {
  private broker: Aedes | undefined;
  /** Gateway messages handed to Ingest in authorizePublish, which aedes need not forward (start() says why). */
  private readonly consumed = new WeakSet<PublishPacket>();
  private server: Server | undefined;
  private readonly sessions = new WeakMap<Client, Session>();
  private readonly busyLog = { at: 0, count: 0 };
  /**
   * Password checks, bounded: scrypt (old registry entries) shares libuv's 4 threads with gunzip and file
   * writes, so two run at a time and 64 wait, in arrival order; past that a connect is refused with
   * CONNACK 3. Token checks (HMAC, µs) take no slot and never wait.
   */
  readonly guard: LoginGuard;

  constructor(
    private readonly registry: GatewayRegistry,
    private readonly ingest: Ingest,
    private readonly log: Logger,
    private readonly stats: Stats,
    guard?: LoginGuard,
  ) {
    // Two hashes at a time: a reconnect storm after a restart needs them, and two of libuv's four threads stay free for gunzip and files.
    this.guard = guard ?? new LoginGuard({ lockMs: 30_000, maxLockMs: 10 * 60_000, maxConcurrent: 2, maxQueued: 64 });
  }

  /** Starts listening; returns the bound port (port 0 picks a free one). */
  async start(listen: BrokerListenOptions): Promise<number> {
    const broker = await Aedes.createBroker({
      // 0: aedes' message emitter delivers at once instead of queueing past 100 messages in flight. Its
      // queue is released by synchronous recursion, and a few thousand queued messages with no
      // subscriber (5,000 gateways connecting: bench:fleet) overflowed the stack and crashed the
      // process. What bounds the work instead: each client's inflight limit, the packet-size guard and
      // Ingest's admission budget.
      concurrency: 0,
      authenticate: (client, username, password, done) => void this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null); // our own publishes (commands down)
        const session = this.sessions.get(client);
        const identity = session && !session.doctor ? session.identity : undefined;
        const own = identity ? `${TOPIC_ROOT}/${identity.gateway}/` : undefined;
        if (!identity || !packet.topic.startsWith(own!) || isDownlinkTopic(identity.gateway, packet.topic)) {
          this.stats.inc('broker.publish_denied', { gateway: identity?.gateway ?? client.id });
          this.log.warn({ gateway: identity?.gateway ?? client.id, topic: packet.topic }, 'publish outside the gateway\'s own topics denied');
          return done(new Error(`not authorised to publish on ${packet.topic}`));
        }
        void this.ingest.accept(identity, packet.topic, packet.payload as Buffer);
        this.consumed.add(packet);
        done(null);
      },
      authorizeSubscribe: (client, subscription, done) => {
        const session = this.sessions.get(client);
        const identity = session && !session.doctor ? session.identity : undefined;
        if (identity && isDownlinkTopic(identity.gateway, subscription.topic)) return done(null, subscription);
        this.stats.inc('broker.subscribe_denied', { gateway: identity?.gateway ?? client.id });
        this.log.warn({ gateway: identity?.gateway ?? client.id, topic: subscription.topic }, 'subscription denied');
        done(null, null);
      },
    });
    // A gateway's message ends in Ingest (authorizePublish above), and no client can subscribe to it
    // (authorizeSubscribe allows a gateway its own downlink topics only), so aedes' forwarding of each one
    // found nobody: a packet copy, two subscription matches (the offline queue's and the emitter's), a
    // 'publish' event, a promise. Per 60-measurement batch that was ~2-4 % of the worker's busy time at
    // 1,000 gateways (bench:fleet profile, issue 19). Those messages skip it; the PUBACK is written before
    // publish is called (QoS 1), and the callback runs on the next tick, as aedes' own path never calls it
    // inside the packet parser. Our own publishes (receipts, commands) go through as before.
    const forward = broker.publish.bind(broker) as BrokerPublish;
    const publish: BrokerPublish = (packet, client, done) => {
      if (this.consumed.delete(packet)) {
        process.nextTick(() => done?.());
        return;
      }
      forward(packet, client, done);
    };
    (broker as unknown as { publish: BrokerPublish }).publish = publish;
    broker.on('clientReady', (client) => {
      const session = this.sessions.get(client);
      if (session && !session.doctor) this.ingest.connection(session.identity, true);
    });
    broker.on('clientDisconnect', (client) => {
      const session = this.sessions.get(client);
      if (session && !session.doctor) this.ingest.connection(session.identity, false);
    });
    this.broker = broker;
    // Every connection passes a packet-size guard before aedes buffers anything (aedes has no limit).
    const guarded = (socket: Socket) => {
      // aedes writes a PUBACK in several small writes; with Nagle on, each waits ~40 ms for the last ACK
      // (measured by bench:fleet: one gateway's PUBACK 44 ms → 1.7 ms with no delay).
      socket.setNoDelay(true);
      broker.handle(
        guardPacketSize(
          socket,
          listen.maxPacketBytes,
          (announced) => {
            this.stats.inc('broker.packet_too_large');
            this.log.warn({ remote: socket.remoteAddress, announced, limit: listen.maxPacketBytes }, 'township broker cut a client announcing an oversized MQTT packet');
          },
          MAX_CONNECT_BYTES,
        ),
      );
    };
    this.server = listen.tls ? createTlsServer(tlsServerOptions(listen.tls, 'broker.tls'), guarded) : createServer(guarded);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(listen.port, listen.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * The user name is the gateway id and the client id must be it too (no one takes over another gateway's
   * session), or its `-doctor` twin with a clean session: `lastmile doctor` checks the credentials and
   * gets nothing more. Every refusal reads the same, and an unknown id costs a decoy hash (registry), so
   * neither answer nor timing tells which ids exist; a refusal for a locked address or id costs no hash.
   */
  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (error: AuthenticateError | null, success: boolean | null) => void): Promise<void> {
    const address = (client.conn as Partial<Socket>).remoteAddress ?? 'unknown';
    const refuse = (why: string) => {
      if (why === 'busy') return this.refuseBusy(client, address, done);
      this.stats.inc('broker.auth_failed', { why });
      this.log.warn({ clientId: client.id.slice(0, 64), username: username?.slice(0, 64), remote: address, why }, 'gateway authentication failed (unknown id, wrong password, client id ≠ username, or too many attempts)');
      const error = new Error('bad username or password') as AuthenticateError;
      error.returnCode = 4;
      done(error, false);
    };
    if (!username || !password) return refuse('no credentials');
    const doctor = client.id === `${username}${DOCTOR_CLIENT_SUFFIX}`;
    if (client.id !== username && !doctor) return refuse('client id is not the user name');
    if (doctor && !client.clean) return refuse('doctor check without a clean session');
    const secret = password.toString('utf8');
    // Right credentials that need no slow hash (token entries, scrypt entries verified since start) skip
    // the per-id limit (so a flood on a gateway's id cannot lock that gateway out), never the per-address
    // one (the quick answer must not be a guessing oracle).
    const quick = this.registry.quickCheck(username, secret);
    const cached = quick === 'slow' ? undefined : quick;
    let identity: GatewayIdentity | undefined;
    const outcome = await this.guard
      .attempt(
        [
          { key: `addr:${address}`, maxFailures: BROKER_MAX_FAILURES_PER_ADDRESS },
          ...(cached ? [] : [{ key: `gw:${username.slice(0, 64)}`, maxFailures: BROKER_MAX_FAILURES_PER_GATEWAY }]),
        ],
        async () => (identity = cached ?? (await this.registry.authenticate(username, secret))) !== undefined,
        quick === 'slow' ? 'slow' : 'quick',
      )
      .catch((error: Error) => {
        this.log.error({ username: username.slice(0, 64), err: error.message }, 'password check failed');
        return { ok: false, why: 'wrong' } as const;
      });
    if (!outcome.ok) return refuse(outcome.why);
    this.sessions.set(client, { identity: identity!, doctor });
    done(null, true);
  }

  /**
   * Slow checks (scrypt entries not yet migrated) all busy and the queue full: CONNACK 3 "server
   * unavailable" at once, so the gateway backs off (gateway/uplink/connection.ts) instead of waiting for
   * its connect timeout; counted apart from wrong credentials. Costs no hash and no failure on any key.
   */
  private refuseBusy(client: Client, address: string, done: (error: AuthenticateError | null, success: boolean | null) => void): void {
    this.stats.inc('broker.connect_refused_busy');
    this.busyLog.count++;
    const now = Date.now();
    // One line per second at most: a storm refuses hundreds a second.
    if (now - this.busyLog.at >= 1000) {
      this.log.warn({ refused: this.busyLog.count, lastClientId: client.id.slice(0, 64), remote: address }, 'township broker busy with password checks: connects refused with "server unavailable"; gateways retry after back-off');
      this.busyLog.at = now;
      this.busyLog.count = 0;
    }
    const error = new Error('server unavailable') as AuthenticateError;
    error.returnCode = 3;
    done(error, false);
  }

  async sendCommand(gateway: string, message: CommandMessage): Promise<void> {
    const broker = this.broker;
    if (!broker) throw new Error('broker not started');
    await new Promise<void>((resolve, reject) =>
      broker.publish({ cmd: 'publish', topic: topics.command(gateway), payload: Buffer.from(JSON.stringify(message)), qos: 1, retain: false, dup: false }, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** At RECEIPT_QOS (contract/wire.ts says which, and why). */
  async sendReceipt(gateway: string, receipt: Receipt): Promise<void> {
    const broker = this.broker;
    if (!broker) throw new Error('broker not started');
    await new Promise<void>((resolve, reject) =>
      broker.publish({ cmd: 'publish', topic: topics.receipt(gateway), payload: Buffer.from(JSON.stringify(receipt)), qos: RECEIPT_QOS, retain: false, dup: false }, (error) => (error ? reject(error) : resolve())),
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.broker ? this.broker.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
