// The gateway's /metrics, /healthz and /readyz (site config `metrics:`), for Prometheus and for probes
// on the box. Healthy: the process answers and the Modbus pollers keep asking (the same check systemd's
// watchdog uses). Ready: every stage and driver has started and none is stopping yet.
import { pollersAlive } from '../installer/systemd-notify.js';
import type { RuntimeContext, Stage } from '../pipeline/stage.js';
import { startMetricsServer, type MetricsServer } from '../../contract/metrics.js';

/** How long the pollers may issue no request before /healthz says so (as the systemd watchdog check). */
const POLLER_STALL_MS = 180_000;

export function metricsStage(context: RuntimeContext): Stage | undefined {
  const config = context.site.metrics;
  if (!config) return undefined;
  let server: MetricsServer | undefined;
  let state: 'starting' | 'ready' | 'stopping' = 'starting';
  const pollers = pollersAlive(context, () => performance.now(), POLLER_STALL_MS);
  return {
    name: 'metrics',
    async start() {
      try {
        server = await startMetricsServer({
          host: config.host,
          port: config.port,
          stats: context.stats,
          constLabels: { gateway: context.site.gateway.id },
          health: [pollers],
          ready: [() => (state === 'ready' ? undefined : `gateway ${state}`)],
        });
      } catch (error) {
        throw new Error(`metrics.port: ${(error as Error).message}`, { cause: error });
      }
      context.log.info({ host: config.host, port: server.port }, 'metrics on /metrics, /healthz, /readyz');
    },
    driversStarted() {
      state = 'ready';
    },
    driversStopping() {
      state = 'stopping';
    },
    async stop() {
      state = 'stopping';
      await server?.close();
    },
  };
}
