// The uplink stage: wires the Uplink to the runtime (spool from the spool stage, commands onto the bus,
// source status into the retained status). Runs only when `uplink:` is configured.
import type { RuntimeContext, Stage, StageFactory } from '../pipeline/stage.js';
import { scope } from '../../contract/logger.js';
import { monoEpochOf } from '../time/honest-clock.js';
import { Uplink } from './uplink.js';

export class UplinkStage implements Stage {
  readonly name = 'uplink';
  private uplink: Uplink | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Withdraws the `uplinkStatus` service (the installer console's uplink badge) on stop. */
  private withdrawStatus: (() => void) | undefined;

  constructor(private readonly context: RuntimeContext) {}

  start(): void {
    const { site, clock, events, stats, sources } = this.context;
    const config = site.uplink!;
    const spool = this.context.services.get('spool');
    if (!spool) throw new Error('uplink: no spool is open (the spool stage must start before the uplink in gateway/stages.ts)');
    const uplink = new Uplink({
      connection: {
        url: config.url,
        gateway: site.gateway.id,
        clientId: config.clientId ?? site.gateway.id,
        username: config.username ?? site.gateway.id,
        passwordFile: config.passwordFile,
        ca: config.ca,
        cert: config.cert,
        key: config.key,
        keepaliveMs: config.keepalive,
        reconnectMinMs: config.reconnectMin,
        reconnectMaxMs: config.reconnectMax,
      },
      spool,
      time: { clock, epoch: monoEpochOf(clock) },
      batchMaxRecords: config.batchMaxMeasurements,
      batchMaxAgeMs: config.batchMaxAge,
      maxInflight: config.maxInflight,
      receiptTimeoutMs: config.receiptTimeout,
      statusEveryMs: config.statusEvery,
      sourceIds: sources.map((s) => s.config.id),
      log: scope(this.context.log, 'uplink'),
      stats,
      onCommand: (command) => {
        events.emit('command', command);
        if (command.kind === 'request_config') return this.publicConfig();
        return undefined;
      },
    });
    this.unsubscribe = events.on('source.status', (status) => uplink.onSourceStatus(status));
    uplink.start();
    this.uplink = uplink;
    // The installer console's uplink badge (issue 20: it said "state not reported" while connected).
    this.withdrawStatus = this.context.services.provide('uplinkStatus', () => ({ connected: uplink.connected(), url: config.url }));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.withdrawStatus?.();
    await this.uplink?.stop();
  }

  /** The config as the township may see it: no file paths to secrets. */
  private publicConfig(): unknown {
    const { site } = this.context;
    const { passwordFile: _password, key: _key, ...uplink } = site.uplink!;
    return { version: site.version, gateway: site.gateway, sources: site.sources.map((s) => ({ id: s.id, profile: s.profile, enabled: s.enabled })), uplink, spool: site.spool };
  }
}

export const uplinkStage: StageFactory = (context) => (context.site.uplink ? new UplinkStage(context) : undefined);
