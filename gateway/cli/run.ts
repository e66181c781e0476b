// `lastmile run <config> [--for <duration>]`: load, validate and freeze the config, start the gateway, stop
// cleanly on SIGINT/SIGTERM (systemd) so the spool is synced before exit, or after --for (smoke tests, trials).
import { usageLine } from './help.js';
import { ConfigError } from '../../contract/load-yaml.js';
import { loadSiteConfig } from '../../config/load-site.js';
import { hostRequirements, requirementLines } from '../installer/requirements.js';
import { startSystemdNotifier } from '../installer/systemd-notify.js';
import { GatewayRuntime } from '../runtime.js';
import { createLogger } from '../../contract/logger.js';
import { makeMqttNumbersAsWritten } from '../../contract/mqtt-number-cache.js';
import { parseDuration } from '../shared/units.js';

export async function runCommand(args: string[]): Promise<number> {
  makeMqttNumbersAsWritten();
  const forIndex = args.indexOf('--for');
  const runFor = forIndex >= 0 ? parseDuration(args[forIndex + 1] ?? '') : undefined;
  const file = args.find((a, i) => !a.startsWith('-') && (forIndex < 0 || i !== forIndex + 1));
  if (forIndex >= 0 && runFor === undefined) {
    process.stderr.write(usageLine('run', `--for ${args[forIndex + 1] ?? ''}: expected a duration such as 5s or 10m / 需要时长，如 5s、10m`));
    return 2;
  }
  if (file === undefined) {
    process.stderr.write(usageLine('run', 'give the site config file / 请给出站点配置文件'));
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
  const log = createLogger({ level: loaded.config.log.level, pretty: args.includes('--pretty') || process.stdout.isTTY });
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
  await waitForSignal(runFor);
  await notifier?.stop();
  await runtime.stop();
  return 0;
}

/** Resolves on SIGINT/SIGTERM, or with 'timeout' after `forMs` when given. */
export function waitForSignal(forMs?: number): Promise<NodeJS.Signals | 'timeout'> {
  return new Promise((resolve) => {
    const done = (how: NodeJS.Signals | 'timeout') => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(how);
    };
    const onSignal = (signal: NodeJS.Signals) => done(signal);
    const timer = forMs === undefined ? undefined : setTimeout(() => done('timeout'), forMs);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
