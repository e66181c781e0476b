// What `lastmile provision` calls (the CLI wiring lives elsewhere): parses its arguments, provisions the
// gateway into the registry named by the cloud-ingest config, and returns the text to print.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { loadCloudIngestConfig } from '../config.js';
import { formatProvisionResult, provisionGateway } from './provision.js';
import { GatewayRegistry } from './registry.js';

export const PROVISION_USAGE =
  'usage: lastmile provision --config <cloud-ingest.yaml> --gateway <id> --township <id> --compound <id> --broker-url <mqtts://host:8883> [--password-file <path on gateway>] [--rotate]';

/** Runs `lastmile provision <args>`; throws with the usage text when arguments are missing. */
export function provisionCommand(args: readonly string[]): string {
  const opts = new Map<string, string>();
  let rotate = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--rotate') rotate = true;
    else if (arg.startsWith('--') && args[i + 1] !== undefined) opts.set(arg.slice(2), args[++i]!);
    else throw new Error(`unexpected argument "${arg}"\n${PROVISION_USAGE}`);
  }
  const need = (key: string) => {
    const v = opts.get(key);
    if (!v) throw new Error(`missing --${key}\n${PROVISION_USAGE}`);
    return v;
  };
  const config = loadCloudIngestConfig(need('config'));
  mkdirSync(config.dataDir, { recursive: true });
  const registry = new GatewayRegistry(config.registryFile ?? join(config.dataDir, 'gateways.json')).load();
  const passwordFile = opts.get('password-file');
  const result = provisionGateway(registry, {
    gateway: need('gateway'),
    township: need('township'),
    compound: need('compound'),
    brokerUrl: need('broker-url'),
    rotate,
    ...(passwordFile ? { passwordFile } : {}),
  });
  return formatProvisionResult(result);
}
