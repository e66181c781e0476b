// `lastmile provision`: issues a gateway's identity and credentials in the township registry and prints
// the gateway's `uplink:` block and the broker entries (cloud-ingest/registry/provision-command.ts).
import { usageLine } from './help.js';
import { ConfigError } from '../../config/load-yaml.js';
import { provisionCommand as provision } from '../../cloud-ingest/registry/provision-command.js';

export async function provisionCommand(args: string[]): Promise<number> {
  try {
    console.log(provision(args));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    // The registry's usage and refusals are one line each: the first line names what to fix.
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    if (error instanceof Error && /usage: lastmile provision/.test(error.message)) {
      process.stderr.write(usageLine('provision', message));
      return 2;
    }
    console.error(`lastmile provision: ${message}`);
    return 1;
  }
}
