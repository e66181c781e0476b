// Entry point: `tsx cloud-ingest/main.ts <config.yaml>`, or `lastmile-ingest <config.yaml>` compiled (systemd runs one per worker);
// `lastmile-ingest provision ...` issues a gateway's credentials (cloud-ingest/registry/provision-command.ts).
import { createLogger } from '../contract/logger.js';
import { ConfigError } from '../contract/load-yaml.js';
import { makeMqttNumbersAsWritten } from '../contract/mqtt-number-cache.js';
import { loadCloudIngestConfig } from './config.js';
import { runProvision } from './registry/provision-command.js';
import { CloudIngest } from './service.js';

export async function runCloudIngest(configFile: string): Promise<CloudIngest> {
  makeMqttNumbersAsWritten();
  const config = loadCloudIngestConfig(configFile);
  const log = createLogger({ level: config.log.level });
  const service = new CloudIngest(config, log);
  await service.start();
  const stop = () => {
    log.info('stopping: broker first, so nothing more is acknowledged, then the writer');
    service.stop().then(
      () => process.exit(0),
      (error: Error) => {
        log.error({ err: error.message }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return service;
}

/** `lastmile-ingest <config.yaml>` or `lastmile-ingest provision ...` (sources through tsx, or bin/lastmile-ingest.js on dist/). */
export function cloudIngestMain(argv: string[]): void {
  if (argv[0] === 'provision') {
    process.exitCode = runProvision(argv.slice(1));
    return;
  }
  const file = argv[0];
  if (!file) {
    console.error('usage: lastmile-ingest <cloud-ingest.yaml> | lastmile-ingest provision --help  (from sources: npm run ingest -- ...)');
    process.exit(2);
  }
  runCloudIngest(file).catch((error: Error) => {
    console.error(error instanceof ConfigError ? error.message : `cloud-ingest failed to start: ${error.message}`);
    process.exit(1);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) cloudIngestMain(process.argv.slice(2));
