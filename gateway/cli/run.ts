// `lastmile run <config>`: load, validate and freeze the config, start the gateway, stop cleanly on
// SIGINT/SIGTERM (systemd) so the spool is synced before exit.
import { ConfigError } from '../../config/load-yaml.js';
import { loadSiteConfig } from '../../config/load-site.js';
import { hostRequirements, requirementLines } from '../installer/requirements.js';
import { startSystemdNotifier } from '../installer/systemd-notify.js';
import { GatewayRuntime } from '../runtime.js';
import { createLogger } from '../shared/logger.js';

export async function runCommand(args: string[]): Promise<number> {
  const file = args.find((a) => !a.startsWith('-'));
  if (file === undefined) {
    console.error('usage: lastmile run <config.yaml>');
    return 2;
  }
  let loaded;
  try {
    loaded = loadSiteConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  // A missing file or GPIO line would stop a stage half-way through start: refuse before starting anything.
  const missing = requirementLines(file, hostRequirements(loaded));
  if (missing.length > 0) {
    for (const line of missing) console.error(line);
    return 1;
  }
  const log = createLogger({ pretty: args.includes('--pretty') || process.stdout.isTTY });
  const runtime = new GatewayRuntime(loaded, { log });
  try {
    await runtime.start();
  } catch (error) {
    // The stack goes to the log; the installer reads one line (stages name their config path, e.g. actuators.siren-b1).
    log.error({ err: error }, 'gateway did not start');
    console.error(`${file}: gateway did not start / 网关未能启动: ${(error as Error).message}`);
    await runtime.stop();
    return 1;
  }
  // Type=notify + WatchdogSec under systemd: READY once started, WATCHDOG only while polling is alive.
  const notifier = startSystemdNotifier(runtime.context);
  await waitForSignal();
  await notifier?.stop();
  await runtime.stop();
  return 0;
}

export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
