// The embedded aedes broker: TCP for devices (per-device users, ACL), plus in-process streams for the
// gateway's own clients. The gateway's identity exists only in memory (random password made at start)
// and is accepted only on an in-process stream, so it cannot be used from the network even if leaked.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tlsServerOptions, type ListenerTls } from '../../contract/listener-tls.js';
import { duplexPair, type Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Clock } from '../pipeline/types.js';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import { LogThrottle } from './log-throttle.js';
import { guardPacketSize } from '../../contract/mqtt-packet-size-guard.js';
import { LoginGuard } from '../../contract/login-guard.js';
import { DEFAULT_SCRYPT, verifyPassword, type PasswordHash } from '../../contract/password-hash.js';
import { INTERNAL_CLIENT_PREFIX, INTERNAL_USERNAME, mayPublish, maySubscribe, type DeviceUser } from './users.js';

// MQTT 3.1.1 CONNACK return codes (aedes' AuthErrorCode is a const enum, unusable with isolatedModules).
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE = 3;

/** Far above any device JSON or Home Assistant discovery payload; caps what one client can make aedes buffer. */
export const DEFAULT_MAX_PACKET_BYTES = 1024 * 1024;
/** Connection attempts waiting for a password check; more are refused at once. */
const MAX_PENDING_CHECKS = 64;
/**
 * Wrong passwords per address, and per username from anywhere, before they wait (issue 13 item 20).
 * A device's password verified since start skips the per-username limit (never the per-address one),
 * so a flood of wrong passwords for a device's name cannot lock that device out.
 */
export const MAX_FAILURES_PER_ADDRESS = 10;
export const MAX_FAILURES_PER_USER = 10;
/** Client ids remembered with the username that first used them (session theft, issue 13 item 7). */
const MAX_CLIENT_OWNERS = 10_000;

type Identity = { kind: 'internal' } | { kind: 'device'; user: DeviceUser };

/**
 * Takes a device's publish before aedes acknowledges it: returns a promise that settles once the message
 * is durable (PUBACK then) or cannot be (no PUBACK, the device keeps it and resends), or undefined when
 * the topic is not one it maps (the message is routed as usual).
 */
export type DevicePublishGate = (topic: string, payload: Buffer, retain: boolean) => Promise<void> | undefined;

export interface EmbeddedBrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly users: ReadonlyMap<string, DeviceUser>;
  readonly log: Logger;
  readonly stats: Stats;
  readonly clock: Clock;
  /** Largest MQTT packet a device may send (default DEFAULT_MAX_PACKET_BYTES). */
  readonly maxPacketBytes?: number;
  /** Devices connect over TLS (mqtts://) with this certificate (localBroker.tls). */
  readonly tls?: ListenerTls | undefined;
}

export class EmbeddedBroker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly internalStreams = new WeakSet<object>();
  private readonly identities = new WeakMap<Client, Identity>();
  private readonly internalPassword = randomBytes(32);
  private readonly throttle: LogThrottle;
  /** Password checks one at a time (scrypt shares libuv's thread pool with the spool's writes), with lockouts. */
  readonly guard: LoginGuard;
  /** sha256 of each username's password verified since start. */
  private readonly verified = new Map<string, Buffer>();
  /** Which username a client id belongs to: no device may take another's session (and its queued messages). */
  private readonly clientOwners = new Map<string, string>();
  /** Checked when the username is unknown, so a refusal takes as long as a wrong password (no user enumeration by timing). */
  private readonly decoy: PasswordHash = { ...DEFAULT_SCRYPT, salt: randomBytes(16), hash: randomBytes(32) };
  private listening: { host: string; port: number } | undefined;
  private gate: DevicePublishGate | undefined;

  constructor(private readonly options: EmbeddedBrokerOptions) {
    this.throttle = new LogThrottle(() => options.clock.mono());
    this.guard = new LoginGuard({ lockMs: 60_000, maxLockMs: 15 * 60_000, maxConcurrent: 1, maxQueued: MAX_PENDING_CHECKS });
  }

  /**
   * Starts aedes for the gateway's in-process clients, and the device listener unless `listen` is false.
   * The local-broker stage opens the listener (listen()) only once every driver is ready, so no device
   * message is accepted, and acknowledged, before the driver that maps it can take it.
   */
  async start(listen = true): Promise<void> {
    const { log, stats } = this.options;
    const aedes = await Aedes.createBroker({
      connectTimeout: 10_000,
      authenticate: (client, username, password, done) => void this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, subscription, done) => this.authorizeSubscribe(client, subscription, done),
    });
    this.aedes = aedes;
    aedes.on('clientReady', () => stats.set('local_broker.clients', {}, aedes.connectedClients));
    aedes.on('clientDisconnect', () => stats.set('local_broker.clients', {}, aedes.connectedClients));
    aedes.on('clientError', (client, error) => {
      stats.inc('local_broker.client_error');
      log.debug({ client: client.id, err: error.message }, 'local broker client error');
    });
    const onConnection = (socket: Socket) => {
      socket.setNoDelay(true); // small PUBACK writes must not wait for Nagle (~40 ms each)
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      const maxPacketBytes = this.options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
      aedes.handle(
        guardPacketSize(socket, maxPacketBytes, (announced) => {
          stats.inc('local_broker.packet_too_large');
          if (this.throttle.admit(`too-large:${socket.remoteAddress ?? ''}`) !== undefined) {
            log.warn({ remote: socket.remoteAddress, announced, limit: maxPacketBytes }, 'local broker cut a client sending an oversized MQTT packet / 报文过大，已断开');
          }
        }),
      );
    };
    this.server = this.options.tls ? createTlsServer(tlsServerOptions(this.options.tls, 'localBroker.tls'), onConnection) : createServer(onConnection);
    if (listen) await this.listen();
  }

  /** Opens the device listener; rejects naming host:port when the port cannot be bound. */
  async listen(): Promise<void> {
    const { log } = this.options;
    const server = this.server;
    if (!server) throw new Error('local broker: listen() before start()');
    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`local broker cannot listen on ${host}:${port}: ${error.code ?? error.message}`)));
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    this.listening = { host, port: typeof address === 'object' && address ? address.port : port };
    if (this.options.users.size === 0) {
      log.warn('local broker has no device users: every device will be refused. Add localBroker.users with a passwordFile made by `lastmile passwd` / 本地MQTT没有配置设备用户，所有设备都会被拒绝');
    }
    log.info({ host, port: this.listening.port, tls: this.options.tls !== undefined, users: [...this.options.users.keys()] }, 'local broker listening');
  }

  /** Where devices connect, e.g. mqtt://0.0.0.0:1883 (the configured port until the listener is open). */
  url(): string {
    const { host, port } = this.listening ?? this.options;
    return `${this.options.tls ? 'mqtts' : 'mqtt'}://${host}:${port}`;
  }

  /** Closes the device listener and drops connected devices (before the drivers stop); in-process clients stay. */
  async stopListening(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.listening = undefined;
  }

  /** Installs the gate through which device publishes pass before they are acknowledged (the MQTT driver). */
  interceptDevicePublishes(gate: DevicePublishGate): () => void {
    this.gate = gate;
    return () => {
      if (this.gate === gate) this.gate = undefined;
    };
  }

  /** The gateway's own credentials; only valid on a stream from internalStream(). */
  internalCredentials(): { username: string; password: Buffer } {
    return { username: INTERNAL_USERNAME, password: this.internalPassword };
  }

  /** A fresh in-process connection to the broker, for mqtt.js's stream builder (called again on every reconnect). */
  internalStream(): Duplex {
    const [gatewaySide, brokerSide] = duplexPair();
    if (!this.aedes || this.aedes.closed) {
      // A client that outlived the broker (stop order) sees a closed stream and keeps retrying quietly.
      brokerSide.destroy();
      return gatewaySide;
    }
    this.internalStreams.add(brokerSide);
    // duplexPair does not tell one side that the other was destroyed; without this, mqtt.js's end()
    // waits forever for a 'close' after aedes drops the connection on DISCONNECT.
    brokerSide.once('close', () => gatewaySide.destroy());
    this.aedes.handle(brokerSide);
    return gatewaySide;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    const closed = server?.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    // Sockets that never sent CONNECT are not aedes clients yet; without this, close() would wait for them.
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private refuse(client: Client, username: string | undefined, reason: string, code: number, done: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const { log, stats } = this.options;
    stats.inc('local_broker.refused', { reason: reason.split(':')[0]! });
    const suppressed = this.throttle.admit(`refused:${username ?? ''}:${reason}`);
    if (suppressed !== undefined) {
      const remote = (client.conn as Partial<Socket>).remoteAddress;
      log.warn({ username, client: client.id, remote, reason, suppressed }, 'local broker refused a client / 本地MQTT拒绝了一个连接');
    }
    done(Object.assign(new Error(reason), { returnCode: code }) as AuthenticateError, false);
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (error: AuthenticateError | null, success: boolean | null) => void): Promise<void> {
    if (this.internalStreams.has(client.conn)) {
      const ok = username === INTERNAL_USERNAME && password !== undefined && password.length === this.internalPassword.length && timingSafeEqual(password, this.internalPassword);
      if (!ok) return this.refuse(client, username, 'internal stream with wrong credentials', BAD_USERNAME_OR_PASSWORD, done);
      this.identities.set(client, { kind: 'internal' });
      return done(null, true);
    }
    if (username === undefined || username === '') return this.refuse(client, username, 'anonymous: no username given', NOT_AUTHORIZED, done);
    if (username === INTERNAL_USERNAME) return this.refuse(client, username, 'internal identity: only valid in-process, never over the network', NOT_AUTHORIZED, done);
    if (this.options.users.size === 0) return this.refuse(client, username, 'no users configured: localBroker.users is empty', NOT_AUTHORIZED, done);
    if (client.id.startsWith(INTERNAL_CLIENT_PREFIX)) return this.refuse(client, username, `client id prefix ${INTERNAL_CLIENT_PREFIX} is reserved for the gateway`, NOT_AUTHORIZED, done);
    const user = this.options.users.get(username);
    const candidate = password?.toString('utf8') ?? '';
    const digest = createHash('sha256').update(candidate).digest();
    const known = this.verified.get(username);
    const cached = user !== undefined && known !== undefined && timingSafeEqual(known, digest);
    const remote = (client.conn as Partial<Socket>).remoteAddress ?? 'unknown';
    let outcome;
    try {
      outcome = await this.guard.attempt(
        [{ key: `addr:${remote}`, maxFailures: MAX_FAILURES_PER_ADDRESS }, ...(cached ? [] : [{ key: `user:${username.slice(0, 64)}`, maxFailures: MAX_FAILURES_PER_USER }])],
        // An unknown username costs the same scrypt as a wrong password (no user enumeration by timing).
        async () => cached || ((await verifyPassword(user?.hash ?? this.decoy, candidate)) && user !== undefined),
      );
    } catch (error) {
      this.options.log.error({ username, err: error }, 'local broker could not check a password');
      return this.refuse(client, username, 'password check failed', NOT_AUTHORIZED, done);
    }
    if (!outcome.ok && outcome.why === 'busy') return this.refuse(client, username, 'busy: too many connection attempts at once', SERVER_UNAVAILABLE, done);
    if (!outcome.ok && outcome.why === 'locked') return this.refuse(client, username, `locked: too many wrong passwords (${outcome.key.split(':')[0]})`, BAD_USERNAME_OR_PASSWORD, done);
    if (!user) return this.refuse(client, username, 'unknown user', BAD_USERNAME_OR_PASSWORD, done);
    if (!outcome.ok) return this.refuse(client, username, 'wrong password', BAD_USERNAME_OR_PASSWORD, done);
    this.verified.set(username, digest);
    // A client id is its first user's, and a client id spelt like another user's name is that user's.
    const owner = this.clientOwners.get(client.id) ?? (this.options.users.has(client.id) ? client.id : undefined);
    if (owner !== undefined && owner !== username) return this.refuse(client, username, 'client id belongs to another device', NOT_AUTHORIZED, done);
    this.clientOwners.delete(client.id);
    if (this.clientOwners.size >= MAX_CLIENT_OWNERS) this.clientOwners.delete(this.clientOwners.keys().next().value!);
    this.clientOwners.set(client.id, username);
    this.identities.set(client, { kind: 'device', user });
    this.options.log.info({ username, client: client.id }, 'device connected to local broker');
    done(null, true);
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    // client is null for the broker's own publishes ($SYS heartbeats, wills replayed by a cluster peer).
    if (client === null) return done(null);
    const identity = this.identities.get(client);
    if (identity?.kind === 'internal') return done(null);
    if (identity?.kind === 'device' && mayPublish(identity.user, packet.topic)) {
      const durable = this.gate?.(packet.topic, packet.payload as Buffer, packet.retain);
      if (!durable) return done(null);
      durable.then(
        () => done(null),
        (error: Error) => {
          // No PUBACK: aedes drops the connection, and the device resends what it was not told is safe.
          this.options.stats.inc('local_broker.publish_not_durable', { user: identity.user.username });
          if (this.throttle.admit(`not-durable:${identity.user.username}`) !== undefined) {
            this.options.log.error({ username: identity.user.username, topic: packet.topic, err: error.message }, 'device message could not be made durable; not acknowledged, the device will resend / 数据未能写入缓存，未确认，设备将重发');
          }
          done(error);
        },
      );
      return;
    }
    const username = identity?.kind === 'device' ? identity.user.username : undefined;
    this.options.stats.inc('local_broker.publish_denied', { user: username ?? '' });
    const suppressed = this.throttle.admit(`publish:${username ?? ''}:${packet.topic}`);
    if (suppressed !== undefined) {
      this.options.log.warn({ username, client: client.id, topic: packet.topic, suppressed }, 'publish refused by the local broker ACL; the client is disconnected / 设备发布到未授权主题，已断开');
    }
    // MQTT 3.1.1 has no negative PUBACK: aedes drops the message and closes the connection.
    done(new Error(`user ${username ?? '?'} may not publish to ${packet.topic}`));
  }

  private authorizeSubscribe(client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void {
    const identity = this.identities.get(client);
    if (identity?.kind === 'internal') return done(null, subscription);
    if (identity?.kind === 'device' && maySubscribe(identity.user, subscription.topic)) return done(null, subscription);
    const username = identity?.kind === 'device' ? identity.user.username : undefined;
    this.options.stats.inc('local_broker.subscribe_denied', { user: username ?? '' });
    const suppressed = this.throttle.admit(`subscribe:${username ?? ''}:${subscription.topic}`);
    if (suppressed !== undefined) {
      this.options.log.warn({ username, client: client.id, filter: subscription.topic, suppressed }, 'subscribe refused by the local broker ACL / 设备订阅未授权主题，已拒绝');
    }
    // A null subscription is granted as 0x80 (failure) and the client stays connected.
    done(null, null);
  }
}
