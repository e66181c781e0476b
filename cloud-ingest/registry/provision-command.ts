// `lastmile-ingest provision` (township side; cloud-ingest/main.ts dispatches to it): parses its arguments,
// provisions the gateway into the registry named by the cloud-ingest config, and prints the gateway's
// `uplink:` block and the broker entries. An installed gateway has no township code, so this is not a
// gateway command.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ConfigError } from '../../contract/load-yaml.js';
import { loadCloudIngestConfig } from '../config.js';
import { formatProvisionResult, provisionGateway } from './provision.js';
import { GatewayRegistry } from './registry.js';

export const PROVISION_USAGE =
  'usage: lastmile-ingest provision --config <cloud-ingest.yaml> --gateway <id> --township <id> --compound <id> --broker-url <mqtts://host:8883> [--password-file <path on gateway>] [--rotate]';

/** Provisions from `lastmile-ingest provision <args>` and returns the text to print; throws with the usage text when arguments are missing. */
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

export const PROVISION_HELP = `${PROVISION_USAGE}
  （街道综治中心侧）在网关登记表中为网关签发身份和密码，输出网关的 uplink 配置段和代理配置。已签发过的网关要换密码时加 --rotate。
  (Township side) issues a gateway's identity and password in the registry; prints the gateway's uplink
  block and the broker entries. --rotate issues a new password for a gateway already provisioned.
`;

/** `lastmile-ingest provision <args>`: the exit code; problems are one line on stderr, no stack trace. */
export function runProvision(args: readonly string[]): number {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(PROVISION_HELP);
    return 0;
  }
  try {
    console.log(provisionCommand(args));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    // The registry's usage and refusals are one line each: the first line names what to fix.
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    if (error instanceof Error && error.message.includes(PROVISION_USAGE)) {
      console.error(`lastmile-ingest provision: ${message} (lastmile-ingest provision --help / 用法见 --help)`);
      return 2;
    }
    console.error(`lastmile-ingest provision: ${message}`);
    return 1;
  }
}
