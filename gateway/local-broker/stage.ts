// The local-broker stage: from site config `localBroker`, either the embedded aedes broker or the
// configured external broker, provided as the `localBroker` service so that drivers and actuators can get
// a client through context.services. Listed first in gateway/stages.ts: everything that uses it starts after it.
import type { RuntimeContext, Stage, StageFactory } from '../pipeline/stage.js';
import { scope } from '../../contract/logger.js';
import type { EmbeddedBroker } from './embedded-broker.js';
import { EmbeddedLocalBroker, ExternalLocalBroker, type LocalBroker } from './local-broker.js';
import { loadDeviceUsers } from './users.js';

export class LocalBrokerStage implements Stage {
  readonly name = 'local-broker';
  private embedded: EmbeddedBroker | undefined;
  private unregister: (() => void) | undefined;
  private broker: LocalBroker | undefined;

  constructor(private readonly context: RuntimeContext) {}

  /** The running broker's handle (also the `localBroker` service). */
  get localBroker(): LocalBroker | undefined {
    return this.broker;
  }

  async start(): Promise<void> {
    const config = this.context.site.localBroker!;
    const log = scope(this.context.log, 'local-broker');
    if (config.external !== undefined) {
      const external = new ExternalLocalBroker(config.external);
      this.broker = external;
      log.info({ url: external.url() }, 'using an external local broker; device users and ACLs are that broker\'s job');
    } else {
      const { users, problems } = loadDeviceUsers(config.users);
      for (const problem of problems) {
        this.context.stats.inc('local_broker.user_disabled');
        log.error({ username: problem.username, path: problem.path, reason: problem.reason }, 'local broker user disabled: it will be refused / 本地MQTT用户配置有误，已停用');
      }
      // aedes is loaded only here: a site that uses an external broker never loads it (issue 12, RSS).
      const { EmbeddedBroker } = await import('./embedded-broker.js');
      const embedded = new EmbeddedBroker({ host: config.host, port: config.port, tls: config.tls, users, log, stats: this.context.stats, clock: this.context.clock });
      await embedded.start(false); // devices only once the drivers are ready (driversStarted)
      this.embedded = embedded;
      this.broker = new EmbeddedLocalBroker(embedded);
    }
    this.unregister = this.context.services.provide('localBroker', this.broker);
  }

  async driversStarted(): Promise<void> {
    await this.embedded?.listen();
  }

  async driversStopping(): Promise<void> {
    // Source-first: no device is acknowledged once the driver that makes its data durable is going.
    await this.embedded?.stopListening();
  }

  async stop(): Promise<void> {
    this.unregister?.();
    this.unregister = undefined;
    this.broker = undefined;
    await this.embedded?.stop();
    this.embedded = undefined;
  }
}

/** Builds the stage when the site has an enabled `localBroker` section. */
export const createLocalBrokerStage: StageFactory = (context) => {
  const config = context.site.localBroker;
  if (config === undefined || !config.enabled) return undefined;
  return new LocalBrokerStage(context);
};
