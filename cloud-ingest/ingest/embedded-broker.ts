// The embedded township broker (aedes): authenticates gateways against the registry, enforces the ACL
// (publish only under lm/v1/<own id>/, subscribe only to the own command topic) and ingests in
// `authorizePublish`, then lets aedes PUBACK at once: what tells the gateway its data is safe is the
// receipt on lm/v1/<gateway>/receipt, sent after the database write (see contract.ts). Holding the
// PUBACK on the database would stall the gateway's connection (keepalives included) through an outage.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from '../../gateway/shared/logger.js';
import type { Stats } from '../../gateway/shared/stats.js';
import { TOPIC_ROOT, isDownlinkTopic, topics, type CommandMessage, type Receipt } from '../contract.js';
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

export class EmbeddedBroker implements CommandChannel, ReceiptChannel {
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly identities = new WeakMap<Client, GatewayIdentity>();

  constructor(
    private readonly registry: GatewayRegistry,
    private readonly ingest: Ingest,
    private readonly log: Logger,
    private readonly stats: Stats,
  ) {}

  /** Starts listening; returns the bound port (port 0 picks a free one). */
  async start(host: string, port: number): Promise<number> {
    const broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const refuse = () => {
          this.stats.inc('broker.auth_failed');
          this.log.warn({ clientId: client.id, username }, 'gateway authentication failed (unknown id, wrong password, or client id ≠ username)');
          const error = new Error('bad username or password') as AuthenticateError;
          error.returnCode = 4;
          done(error, false);
        };
        if (!username || !password) return refuse();
        this.registry.authenticate(username, password.toString('utf8')).then(
          (identity) => {
            // The client id must be the gateway's own (so no one takes over another gateway's session), or
            // its `-doctor` twin: `lastmile doctor` checks the credentials without touching the real session.
            if (!identity || (client.id !== identity.gateway && client.id !== `${identity.gateway}${DOCTOR_CLIENT_SUFFIX}`)) return refuse();
            this.identities.set(client, identity);
            done(null, true);
          },
          (error: Error) => {
            this.log.error({ username, err: error.message }, 'password check failed');
            refuse();
          },
        );
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null); // our own publishes (commands down)
        const identity = this.identities.get(client);
        const own = identity ? `${TOPIC_ROOT}/${identity.gateway}/` : undefined;
        if (!identity || !packet.topic.startsWith(own!) || isDownlinkTopic(identity.gateway, packet.topic)) {
          this.stats.inc('broker.publish_denied', { gateway: identity?.gateway ?? client.id });
          this.log.warn({ gateway: identity?.gateway ?? client.id, topic: packet.topic }, 'publish outside the gateway\'s own topics denied');
          return done(new Error(`not authorised to publish on ${packet.topic}`));
        }
        void this.ingest.accept(identity, packet.topic, packet.payload as Buffer);
        done(null);
      },
      authorizeSubscribe: (client, subscription, done) => {
        const identity = this.identities.get(client);
        if (identity && isDownlinkTopic(identity.gateway, subscription.topic)) return done(null, subscription);
        this.stats.inc('broker.subscribe_denied', { gateway: identity?.gateway ?? client.id });
        this.log.warn({ gateway: identity?.gateway ?? client.id, topic: subscription.topic }, 'subscription denied');
        done(null, null);
      },
    });
    broker.on('clientReady', (client) => {
      const identity = this.identities.get(client);
      if (identity && client.id === identity.gateway) this.ingest.connection(identity, true);
    });
    broker.on('clientDisconnect', (client) => {
      const identity = this.identities.get(client);
      if (identity && client.id === identity.gateway) this.ingest.connection(identity, false);
    });
    this.broker = broker;
    this.server = createServer(broker.handle);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async sendCommand(gateway: string, message: CommandMessage): Promise<void> {
    const broker = this.broker;
    if (!broker) throw new Error('broker not started');
    await new Promise<void>((resolve, reject) =>
      broker.publish({ cmd: 'publish', topic: topics.command(gateway), payload: Buffer.from(JSON.stringify(message)), qos: 1, retain: false, dup: false }, (error) => (error ? reject(error) : resolve())),
    );
  }

  async sendReceipt(gateway: string, receipt: Receipt): Promise<void> {
    const broker = this.broker;
    if (!broker) throw new Error('broker not started');
    await new Promise<void>((resolve, reject) =>
      broker.publish({ cmd: 'publish', topic: topics.receipt(gateway), payload: Buffer.from(JSON.stringify(receipt)), qos: 1, retain: false, dup: false }, (error) => (error ? reject(error) : resolve())),
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.broker ? this.broker.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
