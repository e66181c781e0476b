// Loads and checks every device profile (devices/<vendor>/<model>.yaml) once at start-up and in tests.
// Problems carry file:line and the profile path, like site-config problems.
import { stateKeyProblems } from './state-keys.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, sortIssues, type ConfigIssue, type YamlSource } from '../../contract/load-yaml.js';
import { profile as profileSchema, type Profile } from '../../config/profile.js';
import { ruleUnitProblems } from '../rules/rule-units.js';
import { convertible } from '../shared/measure-units.js';
import { driverPlugin } from '../drivers/registry.js';
import { resolveProfile, type ResolvedPoint } from './resolve.js';
import { parseProfileText, readProfileCache } from './profile-cache.js';

/** The built-in profiles folder (repo-root/devices). */
export const BUILTIN_PROFILES_DIR = fileURLToPath(new URL('../../devices/', import.meta.url));

export function listProfileFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) files.push(...listProfileFiles(full));
    else if (entry.endsWith('.yaml') && !entry.endsWith('.cases.yaml')) files.push(full);
  }
  return files;
}

/** Checks a schema-valid profile for what zod cannot see: references between points, widths, ids vs paths. */
export function profileIssues(source: Pick<YamlSource, 'issue'>, profile: Profile, expectedId: string | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (expectedId !== undefined && profile.id !== expectedId) {
    issues.push(source.issue(['id'], `id "${profile.id}" must match the file path "${expectedId}"`));
  }
  const ids = new Map<string, number>();
  profile.points.forEach((point, index) => {
    if (ids.has(point.id)) issues.push(source.issue(['points', index, 'id'], `duplicate point id "${point.id}"`));
    ids.set(point.id, index);
  });
  profile.points.forEach((point, index) => {
    const at = (key: string) => ['points', index, key];
    const type = point.type ?? profile.defaults.type ?? 'u16';
    for (const ref of [point.decimalsFrom, point.unitFrom?.point]) {
      if (ref !== undefined && !ids.has(ref)) issues.push(source.issue(at(point.decimalsFrom === ref ? 'decimalsFrom' : 'unitFrom'), `no point "${ref}" in this profile`));
    }
    // What this profile's driver needs of a point (an address, a json path, a GPIO line, a DL/T 645 DI).
    issues.push(...(driverPlugin(profile.driver).checkPoint?.({ yaml: source, profile, index }) ?? []));
    if (type === 'bitfield' && point.bits === undefined) issues.push(source.issue(['points', index], 'type bitfield needs "bits: {offset, width}"'));
    if (point.bits !== undefined && point.bits.offset + point.bits.width > 16) issues.push(source.issue(at('bits'), 'bits must fit in one 16-bit register'));
    for (const problem of stateKeyProblems(profile, point)) issues.push(source.issue(at('states'), problem));
  });
  for (const [name, variant] of Object.entries(profile.variants)) {
    for (const pointId of Object.keys(variant.points)) {
      if (!ids.has(pointId)) issues.push(source.issue(['variants', name, 'points'], `variant changes unknown point "${pointId}"`, pointId));
    }
  }
  issues.push(...unitIssues(source, profile));
  const ruleIds = new Set<string>();
  profile.alarms.forEach((rule, index) => {
    if (ruleIds.has(rule.id)) issues.push(source.issue(['alarms', index, 'id'], `duplicate rule id "${rule.id}"`));
    ruleIds.add(rule.id);
    if ('point' in rule && rule.point !== undefined && !ids.has(rule.point)) {
      issues.push(source.issue(['alarms', index, 'point'], `no point "${rule.point}" in this profile`));
    }
  });
  return issues;
}

/** Ranges and rule limits must be in units the point's values convert to, with and without each variant. */
function unitIssues(source: Pick<YamlSource, 'issue'>, profile: Profile): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const add = (path: (string | number)[], message: string) => {
    const key = `${path.join('.')}|${message}`;
    if (!seen.has(key)) issues.push(source.issue(path, message));
    seen.add(key);
  };
  for (const variant of [undefined, ...Object.keys(profile.variants)]) {
    const within = variant === undefined ? '' : ` (variant ${variant})`;
    const points = resolveProfile(profile, variant).points;
    points.forEach((point, index) => {
      for (const problem of rangeProblems(point)) add(['points', index, 'range'], `${problem}${within}`);
    });
    profile.alarms.forEach((rule, index) => {
      const point = 'point' in rule ? points.find((p) => p.id === rule.point) : undefined;
      for (const problem of ruleUnitProblems(rule, point)) add(['alarms', index, 'unit'], `${problem}${within}`);
    });
  }
  return issues;
}

/** What is wrong with a point's range: a unit its values do not convert to, or no unit for a unit-code point. */
export function rangeProblems(point: ResolvedPoint): string[] {
  const range = point.range;
  if (range === undefined) return [];
  const units = point.unitFrom !== undefined ? Object.values(point.unitFrom.map) : point.unit === undefined ? [] : [point.unit];
  if (range.unit === undefined) return point.unitFrom === undefined ? [] : ['a point whose unit comes from a unit-code register needs "unit" on its range'];
  return units.filter((unit) => !convertible(unit, range.unit!)).map((unit) => `the range is in ${range.unit}, which ${unit} does not convert to`);
}

export class ProfileIndex {
  private constructor(private readonly byId: ReadonlyMap<string, Profile>) {}

  /** Loads every profile under the folders (earlier folders win); throws ConfigError with every issue. A folder's profiles.cache.json (profile-cache.ts) saves parsing unchanged YAML. */
  static load(dirs: readonly string[] = [BUILTIN_PROFILES_DIR]): ProfileIndex {
    const byId = new Map<string, Profile>();
    const issues: ConfigIssue[] = [];
    for (const dir of dirs) {
      const cache = readProfileCache(dir);
      for (const file of listProfileFiles(dir)) {
        const path = relative(dir, file).split(sep).join('/');
        const expectedId = path.replace(/\.yaml$/, '');
        const parsed = parseProfileText(file, readFileSync(file, 'utf8'), profileSchema, cache?.files[path]);
        if (!parsed.ok) {
          issues.push(...parsed.issues);
          continue;
        }
        const problems = profileIssues(parsed.source, parsed.value, expectedId);
        issues.push(...problems);
        if (problems.length === 0 && !byId.has(parsed.value.id)) byId.set(parsed.value.id, parsed.value);
      }
    }
    if (issues.length > 0) throw new ConfigError(sortIssues(issues));
    return new ProfileIndex(byId);
  }

  get(id: string): Profile | undefined {
    return this.byId.get(id);
  }

  ids(): string[] {
    return [...this.byId.keys()].sort();
  }
}
