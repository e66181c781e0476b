// The uplink: one MQTT connection to the township broker carrying spooled data up (alarm lane first),
// a retained status (and its LWT), and commands down. Independent of the runtime so the crash-test child
// and the benchmark can run it on a bare spool.
import type { CommandResult } from '../../contract/wire.js';
import { parseReceipt, topics } from '../../contract/wire.js';
import type { GatewayCommand, SourceStatus } from '../pipeline/types.js';
import { PLAUSIBLE_EPOCH_MS } from '../time/honest-clock.js';
import type { Logger } from '../../contract/logger.js';
import type { Stats } from '../../contract/stats.js';
import type { Spool } from '../spool/spool.js';
import type { TimeContext } from './batch.js';
import { commandResult, parseCommand } from './commands.js';
import { UplinkConnection, type ConnectionOptions } from './connection.js';
import { Sender } from './sender.js';
import { StatusTracker } from './status.js';

export interface UplinkOptions {
  readonly connection: Omit<ConnectionOptions, 'lastWill'>;
  readonly spool: Spool;
  readonly time: TimeContext;
  readonly batchMaxRecords: number;
  readonly batchMaxAgeMs: number;
  readonly maxInflight: number;
  readonly receiptTimeoutMs: number;
  readonly statusEveryMs: number;
  readonly sourceIds: readonly string[];
  readonly log: Logger;
  readonly stats: Stats;
  /** Hands a township command to the gateway (emits 'command' on the bus); returns data for request_* kinds. */
  readonly onCommand: (command: GatewayCommand) => unknown;
}

export class Uplink {
  private connection: UplinkConnection | undefined;
  private sender: Sender | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  readonly status: StatusTracker;
  private warnedClock = false;

  constructor(private readonly options: UplinkOptions) {
    this.status = new StatusTracker(options.connection.gateway, options.time.clock, options.spool, options.sourceIds);
  }

  start(): void {
    const { options } = this;
    const gateway = options.connection.gateway;
    const connection = new UplinkConnection({ ...options.connection, lastWill: () => this.status.status(false) }, options.log, options.stats);
    this.connection = connection;
    const client = connection.client;
    const downlink = [topics.command(gateway), topics.receipt(gateway)];
    client.on('connect', () => {
      // On every connect, whatever sessionPresent says: a broker may restore a session without its
      // subscriptions. Sending starts only once receipts can reach us.
      client.subscribe(downlink, { qos: 1 }, (error, granted) => {
        const refused = error ?? (granted?.some((g) => g.qos === 128) ? new Error('the broker refused a subscription (ACL?)') : undefined);
        if (refused) {
          options.stats.inc('uplink.subscribe_failed');
          options.log.error({ topics: downlink, err: refused.message }, 'uplink: could not subscribe to commands and receipts; nothing is sent until it can / 无法订阅回执主题');
          return;
        }
        this.sender?.setReady();
      });
      this.publishStatus();
    });
    client.on('message', (topic, payload) => {
      if (topic === topics.command(gateway)) this.handleCommand(payload);
      else if (topic === topics.receipt(gateway)) this.handleReceipt(payload);
    });
    this.sender = new Sender({ ...options, gateway, client });
    this.sender.start();
    this.statusTimer = setInterval(() => this.publishStatus(), options.statusEveryMs);
  }

  async stop(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    await this.sender?.stop();
    await this.connection?.close(this.statusIfPlausible(false));
  }

  connected(): boolean {
    return this.connection?.connected() ?? false;
  }

  onSourceStatus(status: SourceStatus): void {
    this.status.onSourceStatus(status);
  }

  private statusIfPlausible(online: boolean) {
    if (this.options.time.clock.now() >= PLAUSIBLE_EPOCH_MS) return this.status.status(online);
    if (!this.warnedClock) {
      this.warnedClock = true;
      this.options.log.warn('uplink: the wall clock reads before 2025; status is not published until it is believable');
    }
    return undefined;
  }

  private publishStatus(): void {
    const client = this.connection?.client;
    const status = this.statusIfPlausible(true);
    if (!client?.connected || !status) return;
    client.publish(topics.status(this.options.connection.gateway), JSON.stringify(status), { qos: 1, retain: true }, (error) => {
      if (error) this.options.log.warn({ err: error.message }, 'uplink: status not acknowledged');
    });
  }

  private handleReceipt(payload: Buffer): void {
    const receipt = parseReceipt(payload);
    if (!receipt) {
      this.options.stats.inc('uplink.receipt_malformed');
      this.options.log.warn({ bytes: payload.length }, 'uplink: malformed receipt ignored');
      return;
    }
    this.sender?.onReceipt(receipt.items);
  }

  private handleCommand(payload: Buffer): void {
    const { log, stats, connection } = { ...this.options, connection: this.connection };
    const parsed = parseCommand(payload);
    let result: CommandResult;
    if (!parsed.ok) {
      stats.inc('uplink.command_rejected');
      log.warn({ error: parsed.error }, 'uplink: township command rejected');
      result = commandResult(parsed.id ?? 'unknown', false, parsed.error);
    } else {
      const { id, command } = parsed.message;
      stats.inc('uplink.command', { kind: command.kind });
      log.info({ id, kind: command.kind, by: command.by }, 'uplink: township command received');
      try {
        const data = this.options.onCommand(command);
        if (command.kind === 'request_health') result = commandResult(id, true, 'health', { status: this.status.status(true), stats: stats.snapshot(), ...(data === undefined ? {} : { data }) });
        else result = commandResult(id, true, `${command.kind} passed to the gateway`, data);
      } catch (error) {
        stats.inc('uplink.command_failed', { kind: command.kind });
        log.error({ id, kind: command.kind, err: error }, 'uplink: command failed in the gateway');
        result = commandResult(id, false, `${command.kind} failed: ${(error as Error).message}`);
      }
    }
    connection?.client.publish(topics.commandResult(this.options.connection.gateway), JSON.stringify(result), { qos: 1 }, (error) => {
      if (error) log.warn({ err: error.message }, 'uplink: command result not acknowledged');
    });
  }
}
