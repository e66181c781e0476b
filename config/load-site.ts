// Loads a site config: YAML → zod → cross-checks against buses and device profiles → frozen config.
// Every problem is reported at once, each naming file:line:column and the config path.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, deepFreeze, sortIssues, YamlSource, zodIssues, type ConfigIssue } from '../contract/load-yaml.js';
import { bus, type Bus } from './sections/buses.js';
import { actuator } from './sections/outputs.js';
import { source as sourceSchema, type Source } from './sections/sources.js';
import { siteConfig, type SiteConfig } from './site.js';

type Actuator = SiteConfig['actuators'][number];
import { BUILTIN_PROFILES_DIR, ProfileIndex, rangeProblems } from '../gateway/devices/profile-index.js';
import { checkActuator } from '../gateway/actuators/kinds.js';
import { driverPlugin, RETIRED_DRIVER_ENVIRONMENT } from '../gateway/drivers/registry.js';
import { resolveProfile } from '../gateway/devices/resolve.js';
import { effectiveRules, RuleConfigError } from '../gateway/rules/effective.js';

export interface LoadedSite {
  readonly file: string;
  readonly config: SiteConfig;
  readonly profiles: ProfileIndex;
}

/** Reads, validates and freezes a site config; throws ConfigError listing every problem. */
export function loadSiteConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedSite {
  return parseSiteConfig(file, readFileSync(file, 'utf8'), env);
}

/** `env`: checked for variables that settings were once read from (retiredEnvironmentIssues). */
export function parseSiteConfig(file: string, text: string, env: NodeJS.ProcessEnv = process.env): LoadedSite {
  const source = new YamlSource(file, text);
  const syntax = source.syntaxIssues();
  if (syntax.length > 0) throw new ConfigError(syntax);
  // A variable the gateway no longer reads would be ignored without a word; refuse to start until it is moved.
  const retired = retiredEnvironmentIssues(source, env);
  if (retired.length > 0) throw new ConfigError(retired);
  const raw = source.value();
  const result = siteConfig.safeParse(raw);
  const profilesDir = (raw as { gateway?: { profilesDir?: unknown } } | null)?.gateway?.profilesDir;
  const dirs = typeof profilesDir === 'string' ? [resolve(dirname(file), profilesDir), BUILTIN_PROFILES_DIR] : [BUILTIN_PROFILES_DIR];
  const profiles = ProfileIndex.load(dirs);
  if (!result.success) {
    // Report schema problems and, for the items that are valid on their own, the cross-reference
    // problems too: an installer sees every mistake in one run, not one layer at a time.
    throw new ConfigError(sortIssues([...zodIssues(source, result.error), ...crossCheck(source, lenientSections(raw), profiles)]));
  }
  const issues = crossCheck(source, result.data, profiles);
  if (issues.length > 0) throw new ConfigError(sortIssues(issues));
  return { file, config: deepFreeze(result.data), profiles };
}

/**
 * One issue per set environment variable that a driver read before its options moved into the site config
 * (gateway/drivers/<name>/options.ts), at the config key that replaced it.
 */
export function retiredEnvironmentIssues(source: YamlSource, env: NodeJS.ProcessEnv): ConfigIssue[] {
  return Object.entries(RETIRED_DRIVER_ENVIRONMENT)
    .filter(([name]) => env[name] !== undefined && env[name] !== '')
    .map(([name, key]) =>
      source.issue(
        key.split('.'),
        `环境变量 ${name} 已不再读取：请在站点配置里设置 ${key}，再删除该变量 / the environment variable ${name} is no longer read: set ${key} in the site config and remove the variable`,
      ),
    );
}

/** The sections cross-checks read, with every item that fails its own schema left as undefined. */
export interface CheckedSections {
  readonly buses: readonly (Bus | undefined)[];
  readonly sources: readonly (Source | undefined)[];
  readonly actuators: readonly (Actuator | undefined)[];
  /** Ids written in the file, valid items or not, so a broken bus does not also make "unknown bus" noise. */
  readonly writtenBusIds?: ReadonlySet<string>;
}

function lenientSections(raw: unknown): CheckedSections {
  const section = (key: string): unknown[] => {
    const value = (raw as Record<string, unknown> | null)?.[key];
    return Array.isArray(value) ? value : [];
  };
  const each = <T>(key: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }) =>
    section(key).map((item) => {
      const parsed = schema.safeParse(item);
      return parsed.success ? parsed.data : undefined;
    });
  const writtenBusIds = new Set(section('buses').map((b) => (b as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string'));
  return { buses: each('buses', bus), sources: each('sources', sourceSchema), actuators: each('actuators', actuator), writtenBusIds };
}

function duplicates<T extends { id: string }>(source: YamlSource, items: readonly (T | undefined)[], section: string): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  items.forEach((item, index) => {
    if (item === undefined) return;
    if (seen.has(item.id)) issues.push(source.issue([section, index, 'id'], `duplicate id "${item.id}"`));
    seen.add(item.id);
  });
  return issues;
}

/** What zod cannot see: references between sections and to device profiles. */
export function crossCheck(source: YamlSource, config: CheckedSections, profiles: ProfileIndex): ConfigIssue[] {
  const issues: ConfigIssue[] = [
    ...duplicates(source, config.buses, 'buses'),
    ...duplicates(source, config.sources, 'sources'),
    ...duplicates(source, config.actuators, 'actuators'),
  ];
  const buses = new Map(config.buses.filter((b): b is Bus => b !== undefined).map((bus) => [bus.id, bus]));
  // Bus addresses, TCP listeners and GPIO lines: each used by one source or actuator (gateway/drivers/plugin.ts).
  const claimed = new Map<string, string>();
  const claim = (resource: string, owner: string): string | undefined => {
    const before = claimed.get(resource);
    claimed.set(resource, owner);
    return before;
  };
  const report = (path: (string | number)[], message: string, key?: string) => issues.push(source.issue(path, message, key));
  // Each actuator kind's own checks (gateway/actuators/<type>/options.ts), before sources take GPIO lines.
  config.actuators.forEach((actuator, index) => {
    if (actuator !== undefined) checkActuator(actuator, { at: (...rest) => ['actuators', index, ...rest], report, claim });
  });

  config.sources.forEach((src, index) => {
    if (src === undefined) return;
    const at = (...rest: (string | number)[]) => ['sources', index, ...rest];
    const profile = profiles.get(src.profile);
    if (!profile) {
      issues.push(source.issue(at('profile'), `unknown profile "${src.profile}"; known: ${profiles.ids().join(', ')}`));
      return;
    }
    // The driver's own checks (bus, address, its block of the source); the registry knows every profile driver.
    driverPlugin(profile.driver).checkSource({
      source: src,
      profile,
      buses,
      writtenBusIds: config.writtenBusIds,
      at,
      report,
      claim,
    });
    if (src.variant !== undefined && profile.variants[src.variant] === undefined) {
      const known = Object.keys(profile.variants);
      issues.push(source.issue(at('variant'), `profile ${profile.id} has no variant "${src.variant}"${known.length ? `; it has: ${known.join(', ')}` : ''}`));
    }
    const pointIds = new Set(profile.points.map((p) => p.id));
    for (const pointId of Object.keys(src.decode?.points ?? {})) {
      if (!pointIds.has(pointId)) issues.push(source.issue(at('decode', 'points'), `profile ${profile.id} has no point "${pointId}"`, pointId));
    }
    // A site's range must be in a unit the point's values convert to: refused here, not first at decode time.
    if (src.decode !== undefined && (src.variant === undefined || profile.variants[src.variant] !== undefined)) {
      for (const point of resolveProfile(profile, src.variant, src.decode).points) {
        for (const problem of rangeProblems(point)) issues.push(source.issue(at('decode'), `point "${point.id}": ${problem}`));
      }
    }
    const ruleIds = new Set(profile.alarms.map((r) => r.id));
    for (const ruleId of Object.keys(src.rules)) {
      if (!ruleIds.has(ruleId)) {
        issues.push(source.issue(at('rules'), `profile ${profile.id} has no rule "${ruleId}"; its rules: ${[...ruleIds].join(', ') || 'none'}`, ruleId));
      }
    }
    try {
      effectiveRules(profile, src);
    } catch (error) {
      if (!(error instanceof RuleConfigError)) throw error;
      issues.push(source.issue(at('rules'), error.message));
    }
    src.extraRules.forEach((rule, ruleIndex) => {
      if (ruleIds.has(rule.id)) issues.push(source.issue(at('extraRules', ruleIndex, 'id'), `rule "${rule.id}" already comes from the profile; override it under rules:`));
      if ('point' in rule && rule.point !== undefined && !pointIds.has(rule.point)) {
        issues.push(source.issue(at('extraRules', ruleIndex, 'point'), `profile ${profile.id} has no point "${rule.point}"`));
      }
    });
  });
  return issues;
}
