// Site config: one gateway in one compound. Validated once at start-up, then frozen.
import { z } from 'zod';
import { id, localText, logSettings } from './sections/common.js';
import { bus } from './sections/buses.js';
import { driversSection } from './sections/drivers.js';
import { alarmSettings } from './sections/rules.js';
import { source } from './sections/sources.js';
import { actuator, console_, localBroker, metrics } from './sections/outputs.js';
import { spool, uplink } from './sections/uplink.js';

export const SITE_CONFIG_VERSION = 1;

export const siteConfig = z.strictObject({
  version: z.literal(SITE_CONFIG_VERSION).describe('Config format version'),
  gateway: z
    .strictObject({
      township: id.describe('Township (街道/乡镇) id, a line-protocol tag'),
      compound: id.describe('Compound (小区) id, a line-protocol tag'),
      id: id.describe('Gateway id, unique in the township; also its MQTT identity'),
      name: localText.optional(),
      profilesDir: z.string().min(1).optional().describe('Extra device profiles folder, searched before the built-in devices/'),
    })
    .describe('Who this gateway is'),
  buses: z.array(bus).prefault([]),
  sources: z.array(source).min(1, 'a site needs at least one source'),
  drivers: driversSection.prefault({}),
  actuators: z.array(actuator).prefault([]),
  alarms: alarmSettings.optional().describe('Site-wide alarm settings: silence length, latched-alarm file, drill/maintenance windows'),
  log: logSettings.default({ level: 'info' }).describe('Logging; LASTMILE_LOG_LEVEL overrides log.level'),
  localBroker: localBroker.optional(),
  console: console_.optional(),
  metrics: metrics.optional().describe('Prometheus /metrics with /healthz and /readyz on a small HTTP listener; off without this section'),
  uplink: uplink.optional().describe('Township broker; without it data stays in the spool'),
  spool: spool.prefault({}),
});
export type SiteConfig = z.infer<typeof siteConfig>;
