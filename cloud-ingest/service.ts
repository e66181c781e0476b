// Composition root of cloud-ingest: registry, dedup, writer, alarm store, broker adapter, console.
// Wires the sink first and stops the broker first, so nothing is acknowledged that was not written.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Logger } from '../contract/logger.js';
import { Stats } from '../contract/stats.js';
import { readSecretFile, type CloudIngestConfig } from './config.js';
import { startWorkflow, type WorkflowServices } from './alarms/services.js';
import type { CaseStore } from './alarms/store.js';
import { systemClock, type WallClock } from './alarms/types.js';
import type { AlarmWorkflow } from './alarms/workflow.js';
import { DedupStore } from './ingest/dedup.js';
import { EmbeddedBroker, type CommandChannel } from './ingest/embedded-broker.js';
import { ExternalBroker } from './ingest/external-broker.js';
import { Ingest } from './ingest/ingest.js';
import { ReceiptBatcher } from './ingest/receipts.js';
import { RecentWindow } from './ingest/recent-window.js';
import { SeriesBudget } from './ingest/series-budget.js';
import { InfluxWriter, type TimeSeriesSink } from './ingest/writer.js';
import { GatewayRegistry } from './registry/registry.js';
import { startConsole, type ConsoleServer } from './console/server.js';
import { startIngestMetrics, type IngestState } from './metrics/server.js';
import { reportSizes } from './metrics/sizes.js';
import type { MetricsServer } from '../contract/metrics.js';

export class CloudIngest {
  readonly stats = new Stats();
  readonly registry: GatewayRegistry;
  readonly window: RecentWindow;
  /** Series per gateway and per township. */
  readonly series: SeriesBudget;
  readonly ingest: Ingest;
  /** The alarm workflow (cases in the workflow database, staff actions, escalation); opened by start(). */
  workflowServices: WorkflowServices | undefined;
  private readonly sink: TimeSeriesSink | undefined;
  /** The broker adapter (embedded aedes or the external cluster client). */
  readonly broker: EmbeddedBroker | ExternalBroker;
  private console: ConsoleServer | undefined;
  private metrics: MetricsServer | undefined;
  private state: IngestState = 'starting';
  /** Bound ports after start (embedded broker, console, metrics). */
  brokerPort = 0;
  consolePort = 0;
  metricsPort = 0;

  constructor(
    readonly config: Readonly<CloudIngestConfig>,
    private readonly log: Logger,
    /** Wall clock of the workflow (deadlines, escalation); tests pass a fake one. */
    readonly clock: WallClock = systemClock,
  ) {
    // Registry, dedup journal and the workflow database: readable by this service only (issue 13 item 19).
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    this.registry = new GatewayRegistry(config.registryFile ?? join(config.dataDir, 'gateways.json'), {
      onSaveError: (error) => log.error({ err: error.message }, 'could not save gateways migrated to token verifiers; tried again on the next migration'),
    }).load();
    this.window = new RecentWindow(config.recentWindow);
    this.series = new SeriesBudget({ maxPerGateway: config.series.maxPerGateway, maxPerTownship: config.series.maxPerTownship, rotateMs: config.series.forgetAfterMs });
    const influx = config.influx;
    this.sink = influx ? new InfluxWriter(influx, influx.tokenFile ? readSecretFile(influx.tokenFile, 'influx.tokenFile') : undefined, log.child({ scope: 'writer' }), this.stats) : undefined;
    const dedup = new DedupStore(config.dedup.capacity, join(config.dataDir, `dedup-${config.worker}.journal`));
    const receipts = new ReceiptBatcher(log.child({ scope: 'receipts' }), this.stats);
    this.ingest = new Ingest({ dedup, sink: this.sink, window: this.window, series: this.series, alarms: { addEvent: (identity, event) => this.alarms.addEvent(identity, event) }, receipts, limits: config.admission, log: log.child({ scope: 'ingest' }), stats: this.stats });
    const b = config.broker;
    this.broker =
      b.type === 'embedded'
        ? new EmbeddedBroker(this.registry, this.ingest, log.child({ scope: 'broker' }), this.stats)
        : new ExternalBroker(
            { url: b.url, username: b.username, password: readSecretFile(b.passwordFile, 'broker.passwordFile'), clientId: b.clientId ?? `cloud-ingest-${config.worker}`, shareGroup: b.shareGroup, connections: b.connections, ...(b.ca ? { caFile: b.ca } : {}) },
            this.registry,
            this.ingest,
            log.child({ scope: 'broker' }),
            this.stats,
          );
    receipts.bind(this.broker);
  }

  /** Alarm cases; the database is open from start() on (no gateway message arrives before). */
  get alarms(): CaseStore {
    if (!this.workflowServices) throw new Error('cloud-ingest: the alarm store is opened by start()');
    return this.workflowServices.store;
  }

  get workflow(): AlarmWorkflow {
    if (!this.workflowServices) throw new Error('cloud-ingest: the workflow is started by start()');
    return this.workflowServices.workflow;
  }

  /** True when time series are written to a database; false means only the recent window exists. */
  get storesHistory(): boolean {
    return this.sink !== undefined;
  }

  async start(): Promise<void> {
    // First, so /healthz answers (and /readyz says "starting") while the stores open.
    if (this.config.metrics) {
      const sized = { window: this.window, windowLimits: this.config.recentWindow, ingest: this.ingest, series: this.series, registry: this.registry };
      this.metrics = await startIngestMetrics(this.config.metrics, this.stats, this.config.worker, () => this.state, () => reportSizes(this.stats, sized));
      this.metricsPort = this.metrics.port;
    }
    if (!this.sink) this.log.warn('no influx section: time series history is NOT stored, only a recent window in memory for the console');
    this.workflowServices = await startWorkflow(this.config, this.broker as CommandChannel, this.log.child({ scope: 'alarms' }), this.stats, this.clock);
    const b = this.config.broker;
    if (b.type === 'embedded') this.brokerPort = await (this.broker as EmbeddedBroker).start(b);
    else await (this.broker as ExternalBroker).start();
    if (this.config.console.enabled) {
      this.console = await startConsole(this, this.log.child({ scope: 'console' }));
      this.consolePort = this.console.port;
    }
    this.state = 'ready';
    this.log.info({ broker: b.type, brokerPort: this.brokerPort, consolePort: this.consolePort, metricsPort: this.metricsPort, gateways: this.registry.list().length, scryptGateways: this.registry.counts().scrypt }, 'cloud-ingest started');
  }

  async stop(): Promise<void> {
    this.state = 'stopping';
    await this.console?.close();
    await this.broker.stop();
    try {
      this.registry.flushMigrations();
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'could not save gateways migrated to token verifiers; they migrate again on their next connect');
    }
    await this.workflowServices?.stop();
    await this.sink?.close();
    await this.metrics?.close();
  }
}
