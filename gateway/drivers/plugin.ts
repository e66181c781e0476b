// What a driver folder says about itself (issue 12, STYLE.md habit 1): the fields it adds to a `sources[]`
// entry and to a profile point, what config/load-site.ts checks for its sources, what the profile index
// checks for its points, its options schema and its factory. config/ builds the source and profile
// schemas and the cross-checks from these, so a new driver is one folder and one line in registry.ts.
//
// A plugin module (gateway/drivers/<name>/plugin.ts) must stay cheap to import: `lastmile validate` loads
// every one. It imports schemas and checks only; the driver itself is loaded by `load()` when a site uses it.
import type { z } from 'zod';
import type { ConfigIssue, YamlSource } from '../../contract/load-yaml.js';
import type { Bus } from '../../config/sections/buses.js';
import type { SourceBase } from '../../config/sections/source-base.js';
import type { Profile } from '../../config/profile.js';
import type { DriverFactory } from './driver.js';

export type ConfigPath = (string | number)[];

/** How a cross-check in config/load-site.ts reports and takes resources (for sources and actuators alike). */
export interface ConfigCheck {
  /** A config path under the checked entry: at('bus') is ['sources', index, 'bus']. */
  at(...rest: (string | number)[]): ConfigPath;
  /** Reports a problem at a config path (file:line:column is looked up from it). */
  report(path: ConfigPath, message: string, key?: string): void;
  /**
   * Takes a resource that only one source or actuator may use (a unit on a bus, a TCP listener, a GPIO
   * line). Returns who had it before, or undefined when it was free; either way it is this owner's now.
   */
  claim(resource: string, owner: string): string | undefined;
}

/** One source of this driver, as config/load-site.ts hands it to the driver's cross-check. */
export interface SourceCheck<S> extends ConfigCheck {
  /** The source entry, valid against the schema. */
  readonly source: S;
  /** Its profile (known: an unknown profile is reported before drivers are asked). */
  readonly profile: Profile;
  /** The valid buses by id. */
  readonly buses: ReadonlyMap<string, Bus>;
  /** Bus ids written in the file, valid or not: a broken bus is reported once, not again as "unknown bus". */
  readonly writtenBusIds: ReadonlySet<string> | undefined;
}

/** One point of a profile of this driver, as the profile index hands it to the driver's point check. */
export interface PointCheck {
  /** Where a problem is (only `issue`: a profile from the build's cache makes its YamlSource only when asked). */
  readonly yaml: Pick<YamlSource, 'issue'>;
  readonly profile: Profile;
  /** Index into profile.points. */
  readonly index: number;
}

export interface DriverPlugin<
  Name extends string = string,
  Fields extends z.ZodRawShape = z.ZodRawShape,
  PointFields extends z.ZodRawShape = z.ZodRawShape,
  ProfileFields extends z.ZodRawShape = z.ZodRawShape,
> {
  /** The folder name, the profile's `driver:` value and the registry key. */
  readonly name: Name;
  /** One line for docs and error messages: what the driver talks to. */
  readonly summary: string;
  /** Fields this driver adds to a `sources[]` entry (all optional there: a source of another driver omits them). */
  readonly sourceFields: Fields;
  /** Fields this driver adds to a profile point; a field two drivers share must be the same schema object. */
  readonly pointFields?: PointFields;
  /** Fields this driver adds to a profile (all optional: a profile of another driver omits them). */
  readonly profileFields?: ProfileFields;
  /** Schema of the driver's own options that are code defaults (not in the site config), from options.ts. */
  readonly options?: z.ZodType;
  /**
   * Schema of the driver's options an installer sets in the site config as `drivers.<name>` (from
   * options.ts; config/sections/drivers.ts builds the section). Every field has a default, so the block
   * may be left out; the driver reads the validated block from `context.site.drivers`.
   */
  readonly siteOptions?: z.ZodType;
  /**
   * Environment variables this driver once read, each with the site config key that replaced it. Loading
   * a site config fails while one is set (config/load-site.ts), so no setting is silently ignored.
   */
  readonly retiredEnvironment?: Readonly<Record<string, string>>;
  /** The cross-checks of one source that zod cannot make: its bus, its address, its point mapping. */
  checkSource(check: SourceCheck<SourceBase & z.infer<z.ZodObject<Fields>>>): void;
  /** Problems with one point of a profile of this driver (a Modbus point needs an address, …). */
  checkPoint?(check: PointCheck): ConfigIssue[];
  /** Loads the driver code (lazily: node-opcua alone is about 40 MB of RSS). */
  load(): Promise<DriverFactory>;
}

/** A plugin with site options, typed so the `drivers:` section knows its schema: `DriverPlugin<…> & WithSiteOptions<typeof schema>`. */
export interface WithSiteOptions<S extends z.ZodType> {
  readonly siteOptions: S;
}

/** The `drivers:` section's shape: one block per plugin that has site options, each defaulted as a whole. */
export type SiteOptionsShape<P extends readonly DriverPlugin[]> = {
  [Plugin in P[number] as Plugin['siteOptions'] extends z.ZodType ? Plugin['name'] : never]: z.ZodPrefault<NonNullable<Plugin['siteOptions']>>;
};

export function siteOptionsShape<P extends readonly DriverPlugin[]>(plugins: P): SiteOptionsShape<P> {
  const shape: Record<string, z.ZodType> = {};
  for (const plugin of plugins) if (plugin.siteOptions !== undefined) shape[plugin.name] = plugin.siteOptions.prefault({});
  return shape as SiteOptionsShape<P>;
}

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never;

/** Every plugin's fields of one kind in one shape, in registry order; a key two plugins declare must be one schema. */
export type MergedFields<P extends readonly DriverPlugin[], K extends 'sourceFields' | 'pointFields' | 'profileFields'> = UnionToIntersection<
  NonNullable<P[number][K]>
>;

export function mergeFields<P extends readonly DriverPlugin[], K extends 'sourceFields' | 'pointFields' | 'profileFields'>(plugins: P, kind: K): MergedFields<P, K> {
  const merged: Record<string, z.ZodType> = {};
  const owner: Record<string, string> = {};
  for (const plugin of plugins) {
    for (const [key, schema] of Object.entries(plugin[kind] ?? {})) {
      if (merged[key] !== undefined && merged[key] !== schema) {
        throw new Error(`drivers ${owner[key]} and ${plugin.name} both declare ${kind}.${key} with different schemas; share one schema object`);
      }
      merged[key] = schema as z.ZodType;
      owner[key] ??= plugin.name;
    }
  }
  return merged as MergedFields<P, K>;
}

/**
 * The usual bus check of a bus-based driver: the source names a bus, it exists and is of one of these types.
 * Returns the bus when the rest of the source can be checked against it.
 */
export function checkBus(check: SourceCheck<SourceBase>, wanted: readonly Bus['type'][], speaks: string): Bus | undefined {
  const { source, buses, writtenBusIds, profile } = check;
  if (source.bus === undefined) {
    check.report(check.at(), `a ${profile.driver} source needs "bus" (one of: ${[...buses.keys()].join(', ') || 'no buses defined'})`);
    return undefined;
  }
  const bus = buses.get(source.bus);
  if (!bus) {
    if (writtenBusIds?.has(source.bus)) return undefined; // the bus itself is invalid and reported already
    const defined = [...new Set([...buses.keys(), ...(writtenBusIds ?? [])])];
    check.report(check.at('bus'), `unknown bus "${source.bus}"; defined: ${defined.join(', ') || 'none'}`);
    return undefined;
  }
  if (!wanted.includes(bus.type)) check.report(check.at('bus'), `profile ${profile.id} speaks ${speaks} but bus "${bus.id}" is ${bus.type}`);
  return bus;
}

/** The usual address check: one source per address on a bus. */
export function claimAddress(check: SourceCheck<SourceBase>, bus: Bus, key: string, address: string | number, slot: string): void {
  const owner = check.claim(slot, check.source.id);
  if (owner !== undefined) check.report(check.at(key), `${key} ${address} on bus "${bus.id}" is already used by source "${owner}"`);
}
