// `lastmile provision`: issues a gateway's identity and credentials in the township registry and prints
// the gateway's `uplink:` block and the broker entries (cloud-ingest/registry/provision-command.ts).
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
    if (error instanceof Error && /usage: lastmile provision/.test(error.message)) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}
