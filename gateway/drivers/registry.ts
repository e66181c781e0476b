// Driver registry: the profile's `driver:` names the folder. One line per driver (STYLE.md habit 1); the
// source and profile schemas (config/sections/sources.ts, config/profile.ts), the site cross-checks
// (config/load-site.ts), the site's `drivers:` section (config/sections/drivers.ts) and the profile checks
// (gateway/devices/profile-index.ts) are built from it.
// Plugins load their driver code lazily, so a gateway without OPC UA sources never loads node-opcua
// (about 40 MB of RSS on a Pi).
import type { DriverFactory } from './driver.js';
import { dlt645Plugin } from './dlt645/plugin.js';
import { gbt26875Plugin } from './gbt26875/plugin.js';
import { gpioPlugin } from './gpio/plugin.js';
import { modbusPlugin } from './modbus/plugin.js';
import { mqttPlugin } from './mqtt/plugin.js';
import { opcuaPlugin } from './opcua/plugin.js';
import { mergeFields, siteOptionsShape, type DriverPlugin } from './plugin.js';
import { serialPlugin } from './serial/plugin.js';

export const DRIVER_PLUGINS = [modbusPlugin, serialPlugin, mqttPlugin, opcuaPlugin, gpioPlugin, gbt26875Plugin, dlt645Plugin] as const;

type Plugins = typeof DRIVER_PLUGINS;
export type DriverName = Plugins[number]['name'];

type Names<T extends readonly DriverPlugin[]> = { -readonly [K in keyof T]: T[K] extends DriverPlugin<infer N> ? N : never };

/** The registered names in registry order, as a tuple for z.enum. */
export const REGISTERED_DRIVERS = DRIVER_PLUGINS.map((plugin) => plugin.name) as Names<Plugins>;

/** Fields the drivers add to a `sources[]` entry, to a profile point and to a profile. */
export const DRIVER_SOURCE_FIELDS = mergeFields(DRIVER_PLUGINS, 'sourceFields');
export const DRIVER_POINT_FIELDS = mergeFields(DRIVER_PLUGINS, 'pointFields');
export const DRIVER_PROFILE_FIELDS = mergeFields(DRIVER_PLUGINS, 'profileFields');

/** The blocks of the site config's `drivers:` section (config/sections/drivers.ts), by driver name. */
export const DRIVER_SITE_OPTIONS = siteOptionsShape(DRIVER_PLUGINS);

/** Environment variable → the site config key that replaced it, for every driver (refused at config load). */
export const RETIRED_DRIVER_ENVIRONMENT: Readonly<Record<string, string>> = Object.assign({}, ...DRIVER_PLUGINS.map((plugin) => plugin.retiredEnvironment ?? {}));

const BY_NAME = Object.fromEntries(DRIVER_PLUGINS.map((plugin) => [plugin.name, plugin])) as unknown as Readonly<Record<DriverName, DriverPlugin>>;

/** The plugin of a profile's driver (a valid profile names a registered one). */
export function driverPlugin(name: DriverName): DriverPlugin {
  return BY_NAME[name];
}

export async function loadDriver(name: string): Promise<DriverFactory> {
  if (!Object.hasOwn(BY_NAME, name)) throw new Error(`no driver "${name}" is registered (registered: ${REGISTERED_DRIVERS.join(', ')})`);
  return BY_NAME[name as DriverName].load();
}
