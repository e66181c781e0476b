// Entry point: `tsx cloud-ingest/main.ts <config.yaml>` (systemd runs one per worker).
import { createLogger } from '../gateway/shared/logger.js';
import { ConfigError } from '../config/load-yaml.js';
import { loadCloudIngestConfig } from './config.js';
import { CloudIngest } from './service.js';

export async function runCloudIngest(configFile: string): Promise<CloudIngest> {
  const log = createLogger();
  const config = loadCloudIngestConfig(configFile);
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: cloud-ingest/main.ts <cloud-ingest.yaml>');
    process.exit(2);
  }
  runCloudIngest(file).catch((error: Error) => {
    console.error(error instanceof ConfigError ? error.message : `cloud-ingest failed to start: ${error.message}`);
    process.exit(1);
  });
}
