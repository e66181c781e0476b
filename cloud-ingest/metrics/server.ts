// cloud-ingest's /metrics, /healthz and /readyz (config `metrics:`): the ingest, writer, receipt and
// workflow counters its Stats holds, for Prometheus, and the probes systemd and docker compose use.
// Healthy: it answers (the event loop turns). Ready: broker, workflow store and console have started and
// the service is not stopping.
import { startMetricsServer, type MetricsServer } from '../../contract/metrics.js';
import type { Stats } from '../../contract/stats.js';

export type IngestState = 'starting' | 'ready' | 'stopping';

/** `collect`: sets the size gauges before each scrape (sizes.ts). */
export async function startIngestMetrics(config: { host: string; port: number }, stats: Stats, worker: string, state: () => IngestState, collect?: () => void): Promise<MetricsServer> {
  try {
    return await startMetricsServer({
      host: config.host,
      port: config.port,
      stats,
      prefix: 'lastmile_',
      constLabels: { worker },
      health: [],
      ready: [() => (state() === 'ready' ? undefined : `cloud-ingest ${state()}`)],
      collect,
    });
  } catch (error) {
    throw new Error(`metrics.port: ${(error as Error).message}`, { cause: error });
  }
}
