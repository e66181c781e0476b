// VictoriaMetrics as the InfluxDB v2 write endpoint in tests: started on a free loopback port with a
// private data dir, read back through /internal/force_flush + /api/v1/export.
import { freePort, requireBinary, startPeer, tempDir, type Peer } from './peers.js';

export interface ExportedSeries {
  readonly metric: Record<string, string>;
  readonly values: number[];
  readonly timestamps: number[];
}

export interface Victoria extends Peer {
  readonly url: string;
  readonly dataDir: string;
  /** Every series matching the selector (e.g. `{__name__=~"smoke_.*"}`), after a forced flush. */
  exportSeries(match: string): Promise<ExportedSeries[]>;
  /** Total number of samples across matching series. */
  countSamples(match: string): Promise<number>;
  /**
   * Polls until matching samples reach `expected` (VictoriaMetrics makes rows searchable about a second
   * after the write, even with force_flush), then returns the series; fails after the timeout with the count seen.
   */
  waitForSamples(match: string, expected: number, timeoutMs?: number): Promise<ExportedSeries[]>;
  /** Restarts on the same port and data dir (outage tests). */
  restart(): Promise<Victoria>;
}

export async function startVictoria(options: { port?: number; dataDir?: string } = {}): Promise<Victoria> {
  const bin = requireBinary('/usr/bin/victoria-metrics');
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? tempDir('victoria').path;
  const peer = await startPeer(bin, [`-storageDataPath=${dataDir}`, `-httpListenAddr=127.0.0.1:${port}`, '-search.latencyOffset=0s', '-search.disableCache', '-loggerLevel=ERROR'], port);
  const url = `http://127.0.0.1:${port}`;
  const exportSeries = async (match: string): Promise<ExportedSeries[]> => {
    const flush = await fetch(`${url}/internal/force_flush`);
    if (!flush.ok) throw new Error(`force_flush: HTTP ${flush.status}`);
    const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': match, start: '0' })}`);
    if (!res.ok) throw new Error(`export ${match}: HTTP ${res.status}: ${await res.text()}`);
    const text = await res.text();
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ExportedSeries);
  };
  const self: Victoria = {
    ...peer,
    url,
    dataDir,
    exportSeries,
    countSamples: async (match) => (await exportSeries(match)).reduce((n, s) => n + s.values.length, 0),
    waitForSamples: async (match, expected, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const series = await exportSeries(match);
        const n = series.reduce((sum, x) => sum + x.values.length, 0);
        if (n >= expected) return series;
        if (Date.now() > deadline) throw new Error(`expected ${expected} samples for ${match}, found ${n} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    restart: async () => {
      await peer.stop();
      return startVictoria({ port, dataDir });
    },
  };
  return self;
}
