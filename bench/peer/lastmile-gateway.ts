// The lastmile side of bench:peer as its own process (so /proc/<pid> shows its own RSS and CPU): loads
// the site config the harness wrote and runs the gateway until SIGTERM.
import { loadSiteConfig } from '../../config/load-site.js';
import { GatewayRuntime } from '../../gateway/runtime.js';
import { silentLogger } from '../../contract/logger.js';

const file = process.argv[2];
if (!file) throw new Error('usage: lastmile-gateway.ts <site.yaml>');
const runtime = new GatewayRuntime(loadSiteConfig(file), { log: silentLogger() });
await runtime.start();
process.stdout.write('started\n');
process.once('SIGTERM', () => {
  runtime
    .stop()
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      process.stderr.write(`lastmile-gateway: stop failed: ${String(error)}\n`);
      process.exit(1);
    });
});
